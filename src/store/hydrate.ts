import type { StorageAdapter } from '../adapters/storage-adapter.js';
import {
  CorruptStateError,
  FutureVersionError,
  InvalidStateError,
  MigrationError,
  UnserializableStateError,
  errorMessage,
  storageErrorFrom,
} from '../errors.js';
import { whyNotAdoptable } from './adoptable.js';
import { assertJson, MAX_DEPTH } from './assert-json.js';
import { unwrap } from './envelope.js';
import { applyJournalOps, weighOps, type JournalOp } from './journal-ops.js';
import { formatPath } from './json-path.js';
import { createMapReplay, type MapReplay } from './keyed-map.js';
import { freezeAndWeigh, reviveMaps, type Weight } from './revive.js';
import type { StateSchema } from './state-schema.js';
import { withRecordWrites, type WriteLineage } from './write-lineage.js';

export interface HydrateOptions<T> {
  readonly key: string;
  readonly adapter: StorageAdapter;
  readonly initial: T;
  readonly schema: StateSchema<T> | undefined;
  readonly version: number;
  readonly migrate: ((state: unknown, fromVersion: number) => T | Promise<T>) | undefined;
  readonly adoptUnversioned: boolean;
  readonly onInvalidStored: 'throw' | 'moveAside';
}

export interface Hydrated<T> {
  /** The state, deeply frozen. */
  readonly state: T;
  readonly restored: boolean;
  /** The key the unusable stored copy was moved to (with `onInvalidStored: 'moveAside'`). */
  readonly movedAside: string | undefined;
  /** The sequence number of the last journal record in storage. */
  readonly seq: number;
  /** Storage holds no snapshot of this state at this version: the first write must be one. */
  readonly needsSnapshot: boolean;
  /** Weight of the state, which sizes journal compaction. */
  readonly weight: Weight;
  /** Weight of the journal records replayed on the snapshot. */
  readonly journalWeight: Weight;
  /** How many journal records were replayed on the snapshot. */
  readonly journalRecords: number;
  /** The writes the stored state includes. */
  readonly writes: WriteLineage;
}

/** One line of the journal: the ops of one write, numbered, and (on a shared key) the write it belongs to. */
export interface JournalRecord {
  readonly seq: number;
  readonly ops: readonly JournalOp[];
  /** Its writer's entry of the write lineage, so that a state replayed from it names the write. */
  readonly by?: WriteLineage;
}

/**
 * Loads the stored state: unwrap, replay the journal, migrate, validate. Every failure throws a
 * typed error and leaves storage untouched, except that `moveAside` moves an unusable copy to a
 * new key (never overwriting) so that the store can start from `initial`.
 */
export async function hydrate<T>(options: HydrateOptions<T>): Promise<Hydrated<T>> {
  const { key, adapter } = options;
  try {
    const stored = await readStored(adapter, key);
    const journal = await readStoredJournal(adapter, key);
    if (stored !== undefined) return await restore(stored, journal, options);
    if (journal.length > 0) throw new CorruptStateError(key, adapter.locate(key), 'there is a journal but no snapshot to apply it to');
    return fresh(options, undefined);
  } catch (error) {
    if (options.onInvalidStored !== 'moveAside' || !isRecoverable(error)) throw error;
    const aside = asideKey(key, new Date());
    const started = fresh(options, aside); // an unusable `initial` must fail before anything is moved
    try {
      await adapter.rename(key, aside);
    } catch (renameError) {
      throw storageErrorFrom(renameError, `move the unusable stored state aside to "${aside}"`, adapter.locate(key));
    }
    return started;
  }
}

/** `adapter.read`, with any untyped failure turned into a typed `StorageError` (a typed one passes as it is). */
export async function readStored(adapter: StorageAdapter, key: string): Promise<unknown> {
  try {
    return await adapter.read(key);
  } catch (error) {
    throw storageErrorFrom(error, 'read the stored state', adapter.locate(key));
  }
}

/** `adapter.readJournal`, with any untyped failure turned into a typed `StorageError`. */
export async function readStoredJournal(adapter: StorageAdapter, key: string): Promise<unknown[]> {
  try {
    return (await adapter.readJournal?.(key)) ?? [];
  } catch (error) {
    throw storageErrorFrom(error, 'read the journal', adapter.locate(key));
  }
}

export function fresh<T>({ initial, schema, key }: HydrateOptions<T>, movedAside: string | undefined): Hydrated<T> {
  assertJson(initial);
  const state = validate(initial, schema, key, 'initial');
  return {
    state,
    restored: false,
    movedAside,
    seq: 0,
    needsSnapshot: true,
    weight: freezeAndWeigh(state),
    journalWeight: { values: 0, bytes: 0 },
    journalRecords: 0,
    writes: {},
  };
}

/** Turns a stored value and its journal into the current state: unwrap, replay, migrate, validate. */
export async function restore<T>(stored: unknown, journal: readonly unknown[], options: HydrateOptions<T>): Promise<Hydrated<T>> {
  const { key, adapter, version, migrate, schema } = options;
  const location = adapter.locate(key);
  const decoded = unwrap(stored, key, location);
  if (decoded.unversioned && !options.adoptUnversioned) {
    throw new CorruptStateError(key, location, 'it holds a bare value without the store envelope, and adoptUnversioned is off');
  }
  if (decoded.unversioned && journal.length > 0) {
    // Our journal follows only our own snapshots: a bare value beside it was written over ours by someone else.
    throw new CorruptStateError(
      key,
      location,
      `it holds a value not written by this library beside ${journal.length} journal record(s) of this library's: another program overwrote the snapshot (an auto-save on the same key, such as Crawlee's useState?), and neither can be applied to the other. Nothing was changed; keep one (onInvalidStored: 'moveAside' starts afresh and keeps both)`,
    );
  }
  if (decoded.version > version) throw new FutureVersionError(key, decoded.version, version);
  const maps = createMapReplay();
  let state: unknown;
  try {
    state = reviveMaps(decoded.state, maps.made);
  } catch (error) {
    throw new CorruptStateError(key, location, `it holds ${errorMessage(error)}`, { cause: error });
  }
  const replayed = replay(state, decoded.seq, journal, maps, key, location);
  let current: T;
  if (decoded.version === version) {
    current = validate(replayed.state, schema, key, 'stored');
  } else {
    if (migrate === undefined) throw new MissingMigrationError(key, decoded.version, version);
    let migrated: T;
    try {
      migrated = await migrate(replayed.state, decoded.version);
      assertJson(migrated);
    } catch (error) {
      const reason = error instanceof UnserializableStateError ? error.message : `migrate threw: ${errorMessage(error)}`;
      throw new MigrationError(key, decoded.version, version, reason, { cause: error });
    }
    current = validate(migrated, schema, key, 'migrated');
  }
  // Without a schema, a stray 200 page from a gateway would be taken for the state, then overwritten.
  // No `initial` (the CLI's inspect, which only shows what is stored): nothing to compare with.
  if (decoded.unversioned && schema === undefined && options.initial !== undefined) {
    const why = whyNotAdoptable(current, options.initial);
    if (why !== undefined) {
      throw new CorruptStateError(
        key,
        location,
        `it holds a bare value (no store envelope) that does not look like this store's state: ${why}. To adopt it anyway, pass a \`schema\` that accepts it; to refuse bare values always, pass adoptUnversioned: false`,
      );
    }
  }
  let weight: Weight;
  try {
    weight = freezeAndWeigh(current, MAX_DEPTH);
  } catch (error) {
    throw new CorruptStateError(key, location, errorMessage(error), { cause: error });
  }
  return {
    state: current,
    restored: true,
    movedAside: undefined,
    seq: replayed.seq,
    // A bare value or an older version is still what storage holds: the next write replaces it whole.
    needsSnapshot: decoded.unversioned || decoded.version !== version,
    weight,
    journalWeight: replayed.weight,
    journalRecords: replayed.records,
    writes: withRecordWrites(decoded.writes, journal as readonly { by?: unknown }[]),
  };
}

/**
 * Applies the journal records that follow the snapshot, in order; a gap or a bad record is
 * corruption. Maps are edited in place and take their contents at the end (see createMapReplay).
 */
function replay(state: unknown, fromSeq: number, journal: readonly unknown[], maps: MapReplay, key: string, location: string) {
  let seq = fromSeq;
  let records = 0;
  const weight: Weight = { values: 0, bytes: 0 };
  for (let index = 0; index < journal.length; index++) {
    const { seq: recordSeq, ops } = (journal[index] ?? {}) as Partial<JournalRecord>;
    if (typeof recordSeq !== 'number' || !Number.isSafeInteger(recordSeq) || !Array.isArray(ops)) {
      throw new CorruptStateError(key, location, `journal record ${index + 1} is not a { seq, ops } record`);
    }
    if (recordSeq <= seq) continue; // already in the snapshot, or written twice by a retried append
    if (recordSeq !== seq + 1) {
      throw new CorruptStateError(key, location, `journal record ${recordSeq} follows record ${seq}: records are missing`);
    }
    let added: Weight;
    try {
      state = applyJournalOps(state, ops, maps);
      added = weighOps(ops);
    } catch (error) {
      throw new CorruptStateError(key, location, `journal record ${recordSeq} does not apply (${errorMessage(error)})`, { cause: error });
    }
    seq = recordSeq;
    records++;
    weight.values += added.values;
    weight.bytes += added.bytes;
  }
  maps.commit();
  return { state, seq, weight, records };
}

function validate<T>(value: unknown, schema: StateSchema<T> | undefined, key: string, source: InvalidStateError['source']): T {
  if (schema === undefined) return value as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = (issue?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)));
  throw new InvalidStateError(key, source, formatPath(path), issue?.message ?? 'rejected');
}

/** A store declared a version with no way to reach it: a programming error, never moved aside. */
class MissingMigrationError extends MigrationError {
  constructor(key: string, from: number, to: number) {
    super(key, from, to, 'no migrate function was given');
  }
}

function isRecoverable(error: unknown): boolean {
  if (error instanceof MissingMigrationError) return false;
  if (error instanceof InvalidStateError) return error.source !== 'initial';
  return error instanceof CorruptStateError || error instanceof MigrationError;
}

/** `KEY.invalid-20261123T005100123Z`, shortened so it stays a valid key. */
/** At most 200 characters, so that the name fits every adapter (the file adapter's limit). */
function asideKey(key: string, now: Date): string {
  const suffix = `.invalid-${now.toISOString().replace(/[-:]/g, '')}`;
  return key.slice(0, 200 - suffix.length) + suffix;
}
