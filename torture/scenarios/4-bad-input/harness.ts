import fc from 'fast-check';
import { PersistentStoreError } from '../../../src/index.js';
import { describeError } from './print.js';
import { pollution } from './prototypes.js';
import { Hang, within as withinMs } from '../../within.js';

// What every family shares: the families, their input counts, the tally, and the step that turns a crash into a count.

export type Family = 'files' | 'schemas' | 'versions' | 'keys' | 'events' | 'socket' | 'huge';

const SCALE = Number(process.env.TORTURE_BAD_INPUT_SCALE ?? 1);

export const RUNS: Record<Family, number> = {
  files: 1500,
  schemas: 300,
  versions: 300,
  keys: 600,
  events: 3000,
  socket: 1000,
  huge: 200,
};

export const TITLES: Record<Family, string> = {
  files: 'corrupt / truncated snapshots and journals (+ a sweep of nesting depths)',
  schemas: 'schemas the stored state fails',
  versions: 'future and past versions, migrate',
  keys: 'hostile keys (store and file adapter)',
  events: 'platform event messages (parsePlatformEvent)',
  socket: 'messages on the Apify events socket',
  huge: 'huge and non-JSON values given to update()',
};

export const sample = <T>(arbitrary: fc.Arbitrary<T>, seed: number, runs: number): T[] =>
  fc.sample(arbitrary, { seed, numRuns: Math.max(1, Math.round(runs * SCALE)) });

/** Longest any single open, flush or close may take before it counts as a hang. */
const HANG_MS = 15_000;

/** `within` at this scenario's bound. */
export const within = <T>(promise: Promise<T>, what: string, ms = HANG_MS): Promise<T> => withinMs(promise, what, ms);

/** What the scenario counts, and the first example of each distinct problem. */
export class Tally {
  readonly tried = new Map<Family, number>();
  readonly crashes = new Map<Family, number>();
  overwrites = 0;
  outside = 0;
  polluted = 0;
  lost = 0;
  eventsWrong = 0;
  refused = 0;
  opened = 0;
  movedAside = 0;
  movedThenRefused = 0;
  flushFailed = 0;
  unwritable = 0;
  /** Pollution found (and undone) after a step, waiting for the input's check. */
  readonly pollutionFound: string[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly log: (line: string) => void) {}

  try(family: Family): void {
    this.tried.set(family, (this.tried.get(family) ?? 0) + 1);
  }
  crash(family: Family): void {
    this.crashes.set(family, (this.crashes.get(family) ?? 0) + 1);
  }
  /** Logs the first input of each kind of problem: `sameAs` (numbers and paths left out) tells kinds apart. */
  note(family: Family, kind: string, detail: string, input: string, sameAs = detail): void {
    const signature = `${family}|${kind}|${sameAs
      .replace(/\/tmp\/[^\s'"]+/g, 'PATH')
      .replace(/[0-9a-f-]{36}/g, 'UUID')
      .replace(/\d+/g, 'N')
      .slice(0, 120)}`;
    if (this.seen.has(signature)) return;
    this.seen.add(signature);
    this.log(`[${family}] ${kind}: ${detail}`);
    this.log(`    input: ${input}`);
  }
}

export interface Outcome<T> {
  readonly ok: boolean;
  readonly value?: T;
  readonly error?: unknown;
  /** Refused with a PersistentStoreError. */
  readonly typed: boolean;
}

/** Runs one step of an input; anything thrown that is not a PersistentStoreError is a crash. */
export async function attempt<T>(
  tally: Tally,
  family: Family,
  input: string,
  what: string,
  run: () => T | Promise<T>,
  crashed: { value: boolean },
): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await within(Promise.resolve().then(run), what), typed: false };
  } catch (error) {
    const typed = error instanceof PersistentStoreError;
    if (!typed) {
      crashed.value = true;
      // One line per kind of error and family, whichever step raised it (an fs error by its code).
      const code = (error as { code?: unknown }).code;
      const kind = error instanceof Hang ? 'hang' : error instanceof Error && typeof code === 'string' ? `${error.name} ${code}` : describeError(error);
      tally.note(family, 'crash', `in ${what}: ${error instanceof Hang ? error.message : describeError(error)}`, input, kind);
    }
    return { ok: false, error, typed };
  } finally {
    // Polluted prototypes break whatever runs next (every for…in sees the new key): undo at once,
    // so that each input is judged on its own.
    tally.pollutionFound.push(...pollution());
  }
}

export interface Context {
  readonly dir: string;
  readonly log: (line: string) => void;
  readonly tally: Tally;
}

export function checkPollution(ctx: Context, family: Family, input: string): void {
  const found = [...new Set([...ctx.tally.pollutionFound.splice(0), ...pollution()])];
  if (found.length === 0) return;
  ctx.tally.polluted++;
  ctx.tally.note(
    family,
    'global prototype polluted (and put back by the torture)',
    found.join(', '),
    input,
    found.map((f) => f.replace(/ = .*/, '')).join(', '),
  );
}
