import { CorruptStateError } from '../errors.js';
import type { WriteLineage } from './write-lineage.js';

/** Marks a stored value as ours, so a bare value (e.g. Crawlee's `useState`) is told apart. */
const FORMAT = 1;

/**
 * What the store writes as a snapshot: the state with its version, when it was saved, and the
 * sequence number of the last journal record it contains (later records are replayed on it).
 */
export interface Envelope {
  readonly $rxps: typeof FORMAT;
  readonly version: number;
  readonly savedAt: string;
  readonly seq: number;
  /** Which writes the state includes (see write-lineage.ts); left out when empty. */
  readonly writes?: WriteLineage;
  readonly state: unknown;
}

/** A stored value taken apart; `unversioned` when it carried no envelope. */
export interface Decoded {
  readonly version: number;
  readonly seq: number;
  readonly writes: WriteLineage;
  readonly state: unknown;
  readonly unversioned: boolean;
}

export function wrap(state: unknown, version: number, seq: number, savedAt: Date, writes: WriteLineage = {}): Envelope {
  return { $rxps: FORMAT, version, savedAt: savedAt.toISOString(), seq, ...(Object.keys(writes).length > 0 && { writes }), state };
}

/**
 * Reads an envelope; any other value is a bare state of version 0 (what Crawlee's `useState`
 * and the Apify SDK store). A value that claims to be an envelope but is malformed is corrupt.
 */
export function unwrap(stored: unknown, key: string, location: string): Decoded {
  if (typeof stored !== 'object' || stored === null || !('$rxps' in stored)) {
    return { version: 0, seq: 0, writes: {}, state: stored, unversioned: true };
  }
  const { $rxps, version, state, seq = 0, writes = {} } = stored as Partial<Envelope>;
  if ($rxps !== FORMAT) throw new CorruptStateError(key, location, `unknown format ${JSON.stringify($rxps)} (this library writes ${FORMAT})`);
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new CorruptStateError(key, location, `the version ${JSON.stringify(version)} is not a whole number from 0 to 2^53 − 1`);
  }
  // Below 2^52, so that counting on from it stays exact for 2^52 more records.
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 || seq >= 2 ** 52) {
    throw new CorruptStateError(key, location, `the journal sequence ${JSON.stringify(seq)} is not a whole number from 0 to 2^52 − 1`);
  }
  if (typeof writes !== 'object' || writes === null || Array.isArray(writes) || !Object.values(writes).every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw new CorruptStateError(key, location, 'the write lineage ("writes") is not a map of writers to write numbers');
  }
  if (!('state' in stored)) throw new CorruptStateError(key, location, 'the envelope has no state');
  return { version, seq, writes, state, unversioned: false };
}
