import fc from 'fast-check';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { EMPTY, filter, firstValueFrom, Subject, type Subscription } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { apifySocketSource } from '../../src/events/apify-socket-source.js';
import { EventType, eventDataSchemas, parsePlatformEvent, type EventName, type PlatformEvent } from '../../src/events/event-types.js';
import {
  createPersistentStore,
  fileAdapter,
  KeyedMap,
  PersistentStoreError,
  type PersistentStore,
  type PersistentStoreOptions,
  type Recipe,
  type StateSchema,
} from '../../src/index.js';
import { ROOT } from '../../src/store/keyed-map.js';
import type { Figure, Scenario } from '../scenario.js';

/*
 * Bad input, generated with fast-check from the scenario's seed. Each input must either work or be
 * refused with a typed PersistentStoreError; anything else (a TypeError, a RangeError, a raw fs
 * error, an unhandled rejection, an uncaught exception, a hang) is a crash. And stored data is
 * never overwritten or deleted without consent: a refused open leaves every stored byte as it was;
 * opening and closing without an update writes nothing; `moveAside` keeps the original bytes under
 * the moved-aside name; a hostile key creates or touches no file outside the store's folder.
 */

type Family = 'files' | 'schemas' | 'versions' | 'keys' | 'events' | 'socket' | 'huge';

const SCALE = Number(process.env.TORTURE_BAD_INPUT_SCALE ?? 1);
const RUNS: Record<Family, number> = {
  files: 1500,
  schemas: 300,
  versions: 300,
  keys: 600,
  events: 3000,
  socket: 1000,
  huge: 200,
};
const TITLES: Record<Family, string> = {
  files: 'corrupt / truncated snapshots and journals (+ a sweep of nesting depths)',
  schemas: 'schemas the stored state fails',
  versions: 'future and past versions, migrate',
  keys: 'hostile keys (store and file adapter)',
  events: 'platform event messages (parsePlatformEvent)',
  socket: 'messages on the Apify events socket',
  huge: 'huge and non-JSON values given to update()',
};
/** Longest any single open, flush or close may take before it counts as a hang. */
const HANG_MS = 15_000;

class Hang extends Error {}

/** A hang is turned into a rejection; the late settling of what hung is ignored (it was counted). */
function within<T>(promise: Promise<T>, what: string, ms = HANG_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  promise.catch(() => undefined);
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Hang(`${what} did not settle within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return `a thrown ${typeof error}: ${String(error).slice(0, 100)}`;
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` (${code})` : ''}: ${(error.message.split('\n')[0] ?? '').slice(0, 220)}`;
};

/** Short printable rendering of an input (strings cut, deep values summarised). */
function show(value: unknown, max = 400): string {
  const seen = new WeakSet<object>();
  let text: string;
  try {
    text =
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === 'bigint') return `${v}n`;
        if (typeof v === 'string' && v.length > 80) return `${v.slice(0, 40)}…(${v.length} chars)`;
        if (typeof v === 'function') return 'a function';
        if (typeof v === 'symbol') return String(v);
        if (v === undefined) return 'undefined';
        if (typeof v === 'object' && v !== null) {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
          if (v instanceof Uint8Array) return `bytes(${v.length})`;
        }
        return v;
      }) ?? String(value);
  } catch (error) {
    text = `(unprintable: ${describeError(error)})`;
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** What the scenario counts, and the first example of each distinct problem. */
class Tally {
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

interface Outcome<T> {
  readonly ok: boolean;
  readonly value?: T;
  readonly error?: unknown;
  /** Refused with a PersistentStoreError. */
  readonly typed: boolean;
}

/** Runs one step of an input; anything thrown that is not a PersistentStoreError is a crash. */
async function attempt<T>(
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

// ——— Global prototypes: a journal op must never reach them ———

const PROTOTYPES: Array<[string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Number.prototype', Number.prototype],
];
const prototypeBaseline = PROTOTYPES.map(
  ([, proto]) => new Map(Reflect.ownKeys(proto).map((key) => [key, Object.getOwnPropertyDescriptor(proto, key)?.value as unknown])),
);

/** Names of properties added to or changed on the global prototypes since the start; puts them back. */
function pollution(): string[] {
  const found: string[] = [];
  PROTOTYPES.forEach(([name, proto], i) => {
    const baseline = prototypeBaseline[i]!;
    for (const key of Reflect.ownKeys(proto)) {
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
      if (!baseline.has(key)) {
        found.push(`${name}.${String(key)} = ${show(value, 60)}`);
        delete (proto as Record<PropertyKey, unknown>)[key];
      } else if (baseline.get(key) !== value) {
        found.push(`${name}.${String(key)} replaced`);
        try {
          Object.defineProperty(proto, key, { value: baseline.get(key), writable: true, configurable: true, enumerable: false });
        } catch {
          (proto as Record<PropertyKey, unknown>)[key] = baseline.get(key); // Array.prototype.length: not configurable, but writable
        }
      }
    }
  });
  return found;
}

// ——— Folders ———

/** Every file under `folder` (one level of sub-folders), by relative name; lock files left out. */
async function listing(folder: string): Promise<Map<string, Buffer | 'dir'>> {
  const out = new Map<string, Buffer | 'dir'>();
  const walk = async (at: string, prefix: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const name = `${prefix}${entry.name}`;
      if (/\.lock($|\.)|~lock\.\d+$/.test(entry.name)) continue; // the store's own lock, gone once it is closed
      if (entry.isDirectory()) {
        out.set(name, 'dir');
        if (depth < 2) await walk(path.join(at, entry.name), `${name}/`, depth + 1);
      } else {
        out.set(name, await fs.readFile(path.join(at, entry.name)).catch(() => Buffer.from('(unreadable)')));
      }
    }
  };
  await walk(folder, '', 0);
  return out;
}

const sameBytes = (a: Buffer | 'dir' | undefined, b: Buffer | 'dir' | undefined): boolean =>
  a === b || (a instanceof Buffer && b instanceof Buffer && a.equals(b));

/** How `after` differs from `before`, or undefined when every file is the same. */
function difference(before: Map<string, Buffer | 'dir'>, after: Map<string, Buffer | 'dir'>): string | undefined {
  for (const [name, bytes] of before) {
    if (!after.has(name)) return `${name} is gone`;
    if (!sameBytes(bytes, after.get(name))) return `${name} changed`;
  }
  for (const name of after.keys()) if (!before.has(name)) return `${name} appeared`;
  return undefined;
}

// ——— fast-check helpers ———

const sample = <T>(arbitrary: fc.Arbitrary<T>, seed: number, runs: number): T[] =>
  fc.sample(arbitrary, { seed, numRuns: Math.max(1, Math.round(runs * SCALE)) });

/** Odd numbers: the edges of integers, floats and the safe range. */
const edgeNumber = fc.constantFrom(0, -0, 1, -1, 0.5, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e21, 1e308, -1e308, 5e-324);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  edgeNumber,
  fc.integer(),
  fc.constantFrom(
    '',
    'x',
    '1',
    null,
    true,
    false,
    [],
    {},
    { $rxpsMap: 1 },
    { $rxpsMap: 1, size: 0, node: [1] },
    { $rxpsMap: 1, size: 0, entries: [] },
    { $rxpsMap: 1, size: 1, entries: [['__proto__', 1]] },
    { $rxpsMap: 1, entries: [] },
    { $rxps: 1 },
  ),
);
const pathSegment = fc.oneof(
  fc.constantFrom<string | number>(
    '__proto__',
    'constructor',
    'prototype',
    'length',
    'items',
    'list',
    'nested',
    'a',
    'b',
    'n',
    'name',
    'root',
    0,
    1,
    -1,
    3,
    1e9,
    4294967295,
    1.5,
    '0',
    '',
  ),
  fc.string({ maxLength: 5 }),
  fc.integer(),
);
const mapChange = fc.oneof(
  fc.tuple(fc.constant('set'), fc.oneof(fc.string({ maxLength: 6 }), hostileValue), hostileValue),
  fc.tuple(fc.constant('delete'), fc.oneof(fc.string({ maxLength: 6 }), hostileValue)),
  fc.constant(['clear']),
  fc.jsonValue({ maxDepth: 2 }),
);
const journalOp = fc.record(
  {
    op: fc.oneof({ arbitrary: fc.constantFrom('add', 'replace', 'remove', 'map'), weight: 4 }, fc.constantFrom('set', '', 'ADD'), hostileValue),
    path: fc.oneof(
      { arbitrary: fc.array(pathSegment, { maxLength: 4 }), weight: 3 },
      // Paths that lead out of the state into the prototypes, if followed blindly.
      fc.tuple(fc.constantFrom('__proto__', 'constructor'), fc.constantFrom('polluted', 'prototype', 'toString')),
      fc.tuple(fc.constantFrom('list', 'nested'), fc.constantFrom('__proto__', 'constructor'), fc.constantFrom('polluted', 'prototype')),
      fc.constant(['constructor', 'prototype', 'polluted']),
      hostileValue,
    ),
    value: hostileValue,
    changes: fc.oneof(fc.array(mapChange, { maxLength: 4 }), hostileValue),
  },
  { requiredKeys: [] },
);
const deepText = (depth: number, arrays: boolean): string =>
  arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepValue = (depth: number, arrays: boolean): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
};
/** Depths around the limits of the JavaScript stack (a few thousand frames) and well past them. */
const depth = fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1_000, max: 10_000 }), fc.integer({ min: 10_000, max: 60_000 }));

// ——— Family 1: corrupt snapshot and journal files ———

type FileName = 'snapshot' | 'journal';
type Mutation =
  | { kind: 'truncate'; file: FileName; at: number }
  | { kind: 'flip'; file: FileName; at: number; xor: number }
  | { kind: 'garbage-line'; at: number; line: string; whole: boolean }
  | { kind: 'duplicate' | 'drop'; at: number }
  | { kind: 'swap'; at: number; with: number }
  | { kind: 'envelope'; field: string; value: unknown; remove: boolean }
  | { kind: 'record'; at: number; field: string; value: unknown }
  | { kind: 'hostile-record'; seq: number | 'next'; ops: unknown }
  // The map of the base state, as this version stores it (its entries) or as earlier ones did (its trie), with a field replaced.
  | { kind: 'map'; form: 'entries' | 'trie'; field: 'entries' | 'node' | 'size' | '$rxpsMap'; value: unknown }
  | { kind: 'map-entry'; at: number; value: unknown }
  | { kind: 'deep'; depth: number; arrays: boolean; where: 'snapshot' | 'journal' }
  | { kind: 'replace'; file: FileName; text: string }
  | { kind: 'bytes'; file: FileName; bytes: Uint8Array }
  | { kind: 'delete'; file: FileName };

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const fileName = fc.constantFrom<FileName>('snapshot', 'journal');
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('truncate' as const), file: fileName, at: fraction }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('flip' as const), file: fileName, at: fraction, xor: fc.integer({ min: 1, max: 255 }) }), weight: 4 },
  {
    arbitrary: fc.record({
      kind: fc.constant('garbage-line' as const),
      at: fraction,
      line: fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        fc.constantFrom('{', '}', '{"seq":1}', '{"ops":[]}', 'null', '[]', '\r', '\u0000', '{"seq":1e400,"ops":[]}'),
      ),
      whole: fc.boolean(),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constantFrom('duplicate' as const, 'drop' as const), at: fraction }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('swap' as const), at: fraction, with: fraction }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('envelope' as const),
      field: fc.constantFrom('$rxps', 'version', 'seq', 'savedAt', 'state'),
      value: hostileValue,
      remove: fc.boolean(),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('envelope' as const),
      field: fc.constantFrom('seq', 'version'),
      value: fc.oneof(edgeNumber, fc.integer({ min: -2, max: 10 }), fc.double()),
      remove: fc.constant(false),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('record' as const), at: fraction, field: fc.constantFrom('seq', 'ops'), value: hostileValue }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('hostile-record' as const),
      seq: fc.oneof(fc.constant('next' as const), edgeNumber),
      ops: fc.oneof(fc.array(journalOp, { minLength: 1, maxLength: 3 }), hostileValue),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('map' as const),
      form: fc.constantFrom('entries' as const, 'trie' as const),
      field: fc.constantFrom('entries' as const, 'node' as const, 'size' as const, '$rxpsMap' as const),
      value: hostileValue,
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('map-entry' as const),
      at: fraction,
      value: fc.oneof(hostileValue, fc.tuple(hostileValue, hostileValue), fc.constant(['item-1', 'twice'])),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('deep' as const), depth, arrays: fc.boolean(), where: fc.constantFrom('snapshot' as const, 'journal' as const) }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('replace' as const),
      file: fileName,
      text: fc.oneof(
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        fc.constantFrom('', ' ', '\n', '\ufeff{}', 'null', '"', '{"$rxps":1}', '{"$rxps":1,"version":0,"state":{}}'),
      ),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('bytes' as const), file: fileName, bytes: fc.uint8Array({ maxLength: 64 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), file: fileName }), weight: 1 },
);

interface Files {
  snapshot: Buffer | undefined;
  journal: Buffer | undefined;
}

/** The journal's whole lines (without their newline) and its tail after the last newline. */
function lines(journal: Buffer | undefined): { whole: Buffer[]; tail: Buffer } {
  const whole: Buffer[] = [];
  if (!journal) return { whole, tail: Buffer.alloc(0) };
  let start = 0;
  for (let at = journal.indexOf(0x0a); at >= 0; at = journal.indexOf(0x0a, start)) {
    whole.push(journal.subarray(start, at));
    start = at + 1;
  }
  return { whole, tail: journal.subarray(start) };
}
const joinLines = ({ whole, tail }: { whole: Buffer[]; tail: Buffer }): Buffer => Buffer.concat([...whole.flatMap((line) => [line, Buffer.from('\n')]), tail]);
const parseOr = (bytes: Buffer | undefined): unknown => {
  try {
    return bytes === undefined ? undefined : (JSON.parse(bytes.toString('utf8')) as unknown);
  } catch {
    return undefined;
  }
};
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function mutate(files: Files, m: Mutation): Files {
  const { snapshot, journal } = files;
  const pick = (file: FileName): Buffer | undefined => (file === 'snapshot' ? snapshot : journal);
  const put = (file: FileName, bytes: Buffer | undefined): Files => (file === 'snapshot' ? { snapshot: bytes, journal } : { snapshot, journal: bytes });
  const onLines = (change: (l: { whole: Buffer[]; tail: Buffer }) => void): Files => {
    const l = lines(journal);
    change(l);
    return { snapshot, journal: joinLines(l) };
  };
  switch (m.kind) {
    case 'truncate': {
      const bytes = pick(m.file);
      return bytes ? put(m.file, bytes.subarray(0, Math.floor(m.at * bytes.length))) : files;
    }
    case 'flip': {
      const bytes = pick(m.file);
      if (!bytes || bytes.length === 0) return files;
      const copy = Buffer.from(bytes);
      const at = Math.floor(m.at * copy.length);
      copy[at] = copy[at]! ^ m.xor;
      return put(m.file, copy);
    }
    case 'garbage-line':
      return onLines((l) => {
        if (m.whole) l.whole.splice(Math.floor(m.at * (l.whole.length + 1)), 0, Buffer.from(m.line));
        else l.tail = Buffer.concat([l.tail, Buffer.from(m.line)]);
      });
    case 'duplicate':
    case 'drop':
      return onLines((l) => {
        if (l.whole.length === 0) return;
        const at = Math.floor(m.at * l.whole.length);
        if (m.kind === 'drop') l.whole.splice(at, 1);
        else l.whole.splice(at, 0, l.whole[at]!);
      });
    case 'swap':
      return onLines((l) => {
        const a = Math.floor(m.at * l.whole.length);
        const b = Math.floor(m.with * l.whole.length);
        if (a === b) return;
        [l.whole[a], l.whole[b]] = [l.whole[b]!, l.whole[a]!];
      });
    case 'envelope': {
      const envelope = parseOr(snapshot);
      if (!isObject(envelope)) return files;
      if (m.remove) delete envelope[m.field];
      else envelope[m.field] = m.value;
      return { snapshot: Buffer.from(JSON.stringify(envelope)), journal };
    }
    case 'record':
      return onLines((l) => {
        if (l.whole.length === 0) return;
        const at = Math.floor(m.at * l.whole.length);
        const record = parseOr(l.whole[at]);
        if (!isObject(record)) return;
        record[m.field] = m.value;
        l.whole[at] = Buffer.from(JSON.stringify(record));
      });
    case 'hostile-record':
      return onLines((l) => {
        const seqs = l.whole.map((line) => (parseOr(line) as { seq?: unknown } | undefined)?.seq).filter((s): s is number => typeof s === 'number');
        const snapshotSeq = (parseOr(snapshot) as { seq?: unknown } | undefined)?.seq;
        const last = Math.max(typeof snapshotSeq === 'number' ? snapshotSeq : 0, ...seqs);
        l.whole.push(Buffer.from(JSON.stringify({ seq: m.seq === 'next' ? last + 1 : m.seq, ops: m.ops })));
      });
    case 'map': {
      const envelope = parseOr(snapshot);
      if (!isObject(envelope) || !isObject(envelope.state) || !isObject(envelope.state.items)) return files;
      if (m.form === 'trie') {
        let map: KeyedMap | undefined;
        try {
          map = new KeyedMap(envelope.state.items.entries as [string, unknown][]);
        } catch {
          return files; // entries an earlier mutation broke: no trie to make of them
        }
        envelope.state.items = { $rxpsMap: 1, size: map.size, node: map[ROOT].node };
      }
      (envelope.state.items as Record<string, unknown>)[m.field] = m.value;
      return { snapshot: Buffer.from(JSON.stringify(envelope)), journal };
    }
    case 'map-entry': {
      const envelope = parseOr(snapshot);
      const items = isObject(envelope) && isObject(envelope.state) ? envelope.state.items : undefined;
      if (!isObject(items) || !Array.isArray(items.entries) || items.entries.length === 0) return files;
      items.entries[Math.floor(m.at * items.entries.length)] = m.value;
      return { snapshot: Buffer.from(JSON.stringify(envelope)), journal };
    }
    case 'deep': {
      const text = deepText(m.depth, m.arrays);
      if (m.where === 'snapshot') {
        const envelope = parseOr(snapshot);
        if (!isObject(envelope) || !isObject(envelope.state)) return files;
        envelope.state.deep = '@@DEEP@@';
        return { snapshot: Buffer.from(JSON.stringify(envelope).replace('"@@DEEP@@"', text)), journal };
      }
      return onLines((l) => {
        const seqs = l.whole.map((line) => (parseOr(line) as { seq?: unknown } | undefined)?.seq).filter((s): s is number => typeof s === 'number');
        const snapshotSeq = (parseOr(snapshot) as { seq?: unknown } | undefined)?.seq;
        const seq = Math.max(typeof snapshotSeq === 'number' ? snapshotSeq : 0, ...seqs) + 1;
        l.whole.push(Buffer.from(`{"seq":${seq},"ops":[{"op":"add","path":["deep"],"value":${text}}]}`));
      });
    }
    case 'replace':
      return put(m.file, Buffer.from(m.text));
    case 'bytes':
      return put(m.file, Buffer.from(m.bytes));
    case 'delete':
      return put(m.file, undefined);
  }
}

// ——— The scenario ———

interface Context {
  readonly dir: string;
  readonly log: (line: string) => void;
  readonly tally: Tally;
}

type AnyOptions = PersistentStoreOptions<unknown>;

/** A store's options on `folder`, apart from what each family sets. */
const baseOptions = (folder: string): Pick<AnyOptions, 'adapter' | 'events' | 'debounceMs' | 'maxWaitMs' | 'flushTimeoutMs' | 'compactOnClose'> => ({
  adapter: fileAdapter({ dir: folder }),
  events: EMPTY,
  debounceMs: 0,
  maxWaitMs: 0,
  flushTimeoutMs: 5_000,
  // The checks compare the files after a close without an update, and look for a lost journal
  // record, which a snapshot written at close (from memory) would hide. Writing whole is checked
  // by the compaction on `migrating`.
  compactOnClose: false,
});

/**
 * The checks every family with stored files shares. Open with 'throw': refused (typed, files
 * unchanged), or opened (then closing without an update changes nothing; with `checkUpdate`, an
 * update made on it is there after reopening). When refused, open with 'moveAside': the original
 * bytes must survive, under the key or under the moved-aside name.
 */
async function checkStored(
  ctx: Context,
  family: Family,
  folder: string,
  key: string,
  options: (onInvalidStored: 'throw' | 'moveAside') => AnyOptions,
  input: string,
  checkUpdate: boolean,
): Promise<{ crashed: boolean; first: 'opened' | 'refused' | 'crashed' }> {
  const { tally } = ctx;
  const crashed = { value: false };
  const before = await listing(folder);
  const overwrite = async (what: string): Promise<void> => {
    tally.overwrites++;
    tally.note(family, 'overwrite without consent', what, input);
  };
  const first = await attempt(tally, family, input, 'open', () => createPersistentStore(options('throw')), crashed);
  const done = () => ({ crashed: crashed.value, first: first.ok ? ('opened' as const) : first.typed ? ('refused' as const) : ('crashed' as const) });
  if (!first.ok) {
    tally.refused++;
    const changed = difference(before, await listing(folder));
    if (changed) await overwrite(`a refused open (${describeError(first.error)}) changed the files: ${changed}`);
    if (!first.typed) return done();
    const second = await attempt(tally, family, input, "open with onInvalidStored 'moveAside'", () => createPersistentStore(options('moveAside')), crashed);
    const after = await listing(folder);
    // Every original file must still be there, under its name or under `<key>.invalid-…`.
    const survives = (name: string, bytes: Buffer | 'dir'): boolean => {
      if (sameBytes(after.get(name), bytes)) return true;
      const suffix = name.slice(key.length);
      return [...after].some(([other, otherBytes]) => other.startsWith(`${key}.invalid-`) && other.endsWith(suffix) && sameBytes(otherBytes, bytes));
    };
    const lostFile = [...before].find(([name, bytes]) => !survives(name, bytes));
    if (lostFile)
      await overwrite(`onInvalidStored 'moveAside' (${second.ok ? 'opened' : describeError(second.error)}) lost the original bytes of ${lostFile[0]}`);
    if (!second.ok) {
      if (second.typed && difference(before, after)) {
        tally.movedThenRefused++;
        tally.note(
          family,
          'moveAside moved the stored copy, then refused to open (the caller is not told where the copy went)',
          describeError(second.error),
          input,
          '',
        );
      }
      return done();
    }
    const store = second.value as PersistentStore<unknown>;
    if (store.movedAside !== undefined) {
      tally.movedAside++;
      for (const [name, bytes] of before) {
        const moved = name.startsWith(`${key}.json`) ? `${store.movedAside}${name.slice(key.length)}` : name;
        if (!sameBytes(after.get(moved), bytes)) await overwrite(`moveAside to ${store.movedAside}: ${moved} does not hold the original bytes of ${name}`);
      }
    }
    await attempt(tally, family, input, 'close', () => store.close(), crashed);
    return done();
  }
  tally.opened++;
  const store = first.value as PersistentStore<unknown>;
  await attempt(tally, family, input, 'close', () => store.close(), crashed);
  const changed = difference(before, await listing(folder));
  if (changed) await overwrite(`opening and closing without an update changed the files: ${changed}`);
  if (!checkUpdate || crashed.value) return done();

  // What opened must take an update that is still there after reopening.
  const again = await attempt(tally, family, input, 'reopen', () => createPersistentStore(options('throw')), crashed);
  if (!again.ok) {
    tally.lost++;
    tally.note(family, 'opened once, refused the second time (nothing was written in between)', describeError(again.error), input);
    return done();
  }
  const reopened = again.value as PersistentStore<unknown>;
  const state = reopened.getState();
  const marker = `torture-${Math.random()}`;
  const updatable = isObject(state) && !(state instanceof KeyedMap);
  if (updatable) {
    await attempt(tally, family, input, 'update', () => reopened.update((draft) => void ((draft as Record<string, unknown>).__torture = marker)), crashed);
    const flushed = await attempt(tally, family, input, 'flush', () => reopened.flush(), crashed);
    if (!flushed.ok && flushed.typed) {
      tally.flushFailed++;
      tally.note(family, 'an update on an opened store could not be made durable', describeError(flushed.error), input);
    }
  }
  await attempt(tally, family, input, 'close', () => reopened.close(), crashed);
  if (!updatable || crashed.value) return done();
  // Its events are ours: a `migrating` folds the journal (the update) into a snapshot, so the state
  // must be writable whole. (Only after the check of the update: a snapshot would hide a lost record.)
  const events = new Subject<PlatformEvent>();
  const third = await attempt(tally, family, input, 'open after the update', () => createPersistentStore({ ...options('throw'), events }), crashed);
  if (!third.ok) {
    tally.lost++;
    tally.note(family, 'an update made the store unreadable', describeError(third.error), input);
    return done();
  }
  const last = third.value as PersistentStore<unknown>;
  const found = (last.getState() as Record<string, unknown> | null)?.__torture;
  if (found !== marker) {
    tally.lost++;
    tally.note(family, 'a durable update (flush resolved) is missing after reopening', `found ${show(found)} instead of the update`, input);
  }
  const compaction = await attempt(tally, family, input, 'compaction on migrating', () => compactNow(last, events), crashed);
  if (compaction.ok && compaction.value) {
    tally.unwritable++;
    tally.note(family, 'a state that opened cannot be written whole (the compaction fails, and is retried forever)', describeError(compaction.value), input);
  }
  await attempt(tally, family, input, 'close', () => last.close(), crashed);
  return done();
}

/** Sends `migrating`, which writes and folds the journal into a snapshot; resolves to that write's error, if any. */
async function compactNow(store: PersistentStore<unknown>, events: Subject<PlatformEvent>): Promise<Error | undefined> {
  events.next({ name: 'migrating', data: {} });
  const status = await within(firstValueFrom(store.status$.pipe(filter((s) => s.phase !== 'saving'))), 'the compaction after migrating', 5_000);
  return status.lastError ?? undefined;
}

interface BaseState {
  n: number;
  name: string;
  list: number[];
  nested: { a: { b: unknown[]; c?: string } };
  items: KeyedMap<unknown>;
}

/** A real store written by the library: a snapshot and a journal of six records. */
async function writeBase(folder: string, key: string): Promise<Files> {
  const store = await createPersistentStore<BaseState>({
    key,
    initial: { n: 0, name: 'base', list: [1, 2, 3], nested: { a: { b: [true, null, 'x'] } }, items: new KeyedMap<unknown>() },
    adapter: fileAdapter({ dir: folder }),
    events: EMPTY,
    debounceMs: 0,
    maxWaitMs: 0,
    compactOnClose: false, // the journal of six records is part of the base
  });
  store.update((s) => {
    for (let i = 0; i < 300; i++) s.items.set(`item-${i}`, i % 3 === 0 ? { i, tags: ['t'] } : i);
  });
  await store.flush(); // the first write: a snapshot
  const steps: Array<Recipe<BaseState>> = [
    (s) => void (s.n = 1),
    (s) => void s.list.push(4),
    (s) => {
      s.items.delete('item-7');
      s.items.set('new', 'x');
    },
    (s) => void (s.nested.a.c = 'c'),
    (s) => void s.list.splice(0, 1),
    (s) => {
      s.name = 'ünïcödé \u2028 \ud83d\ude00';
      s.n++;
    },
  ];
  for (const step of steps) {
    store.update(step);
    await store.flush(); // one journal record each
  }
  await store.close();
  return {
    snapshot: await fs.readFile(path.join(folder, `${key}.json`)),
    journal: await fs.readFile(path.join(folder, `${key}.json.journal`)),
  };
}

async function putFiles(folder: string, key: string, files: Files): Promise<void> {
  await fs.rm(folder, { recursive: true, force: true });
  await fs.mkdir(folder, { recursive: true });
  if (files.snapshot) await fs.writeFile(path.join(folder, `${key}.json`), files.snapshot);
  if (files.journal) await fs.writeFile(path.join(folder, `${key}.json.journal`), files.journal);
}

/**
 * Where nesting breaks depends on the stack left at each recursive walk (JSON.parse, reviving maps,
 * freezing, validating, immer), so besides the random depths, a sweep: every 100 levels from 1,000 to
 * 12,000, objects and arrays, in the snapshot and in a journal record.
 */
const DEPTH_SWEEP: Mutation[][] = (['snapshot', 'journal'] as const).flatMap((where) =>
  [false, true].flatMap((arrays) => Array.from({ length: 111 }, (_, i): Mutation[] => [{ kind: 'deep', depth: 1_000 + 100 * i, arrays, where }])),
);

/** What the depth sweep found: for each series, the ranges of depths that opened, were refused or crashed. */
const depthOutcomes = new Map<string, Array<{ outcome: string; from: number; to: number }>>();

async function corruptFiles(ctx: Context, seed: number, base: Files): Promise<void> {
  const inputs = [...sample(fc.array(mutation, { minLength: 1, maxLength: 3 }), seed, RUNS.files), ...DEPTH_SWEEP];
  const folder = path.join(ctx.dir, 'files');
  for (const [i, mutations] of inputs.entries()) {
    // A mutation the torture itself cannot make (re-serialising a value nested too deep) is skipped.
    const files = mutations.reduce((at, m) => {
      try {
        return mutate(at, m);
      } catch {
        return at;
      }
    }, base);
    await putFiles(folder, 'BASE', files);
    ctx.tally.try('files');
    const input = show(mutations);
    const { crashed, first } = await checkStored(
      ctx,
      'files',
      folder,
      'BASE',
      (onInvalidStored) => ({ key: 'BASE', initial: { n: -1 }, ...baseOptions(folder), onInvalidStored }),
      input,
      true,
    );
    if (crashed) ctx.tally.crash('files');
    const sweep = mutations.length === 1 && DEPTH_SWEEP.includes(mutations) ? mutations[0] : undefined;
    if (sweep?.kind === 'deep') {
      const series = `${sweep.arrays ? 'arrays' : 'objects'} in the ${sweep.where}`;
      const ranges = depthOutcomes.get(series) ?? [];
      const lastRange = ranges.at(-1);
      if (lastRange?.outcome === first) lastRange.to = sweep.depth;
      else ranges.push({ outcome: first, from: sweep.depth, to: sweep.depth });
      depthOutcomes.set(series, ranges);
    }
    checkPollution(ctx, 'files', input);
    if ((i + 1) % 200 === 0) ctx.log(`files: ${i + 1} of ${inputs.length}`);
  }
  for (const [series, ranges] of depthOutcomes) ctx.log(`stored nesting, ${series}: ${ranges.map((r) => `${r.from}–${r.to} ${r.outcome}`).join(', ')}`);
}

function checkPollution(ctx: Context, family: Family, input: string): void {
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

// ——— Family 2: schemas ———

type FieldKind = 'right' | 'number' | 'string' | 'boolean' | 'array' | 'missing' | 'optional' | 'nullable' | 'literal' | 'coerce-date' | 'refine-false';
const fieldKind = fc.constantFrom<FieldKind>(
  'right',
  'right',
  'right',
  'number',
  'string',
  'boolean',
  'array',
  'missing',
  'optional',
  'nullable',
  'literal',
  'coerce-date',
  'refine-false',
);
const schemaShape = fc.record({
  root: fc.constantFrom('object', 'object', 'strict', 'loose', 'array', 'number', 'string', 'any', 'union', 'record'),
  fields: fc.record({
    n: fieldKind,
    name: fieldKind,
    list: fieldKind,
    nested: fieldKind,
    items: fc.constantFrom('instanceof', 'instanceof', 'object', 'any', 'missing', 'string', 'map'),
  }),
  extra: fc.constantFrom('none', 'none', 'number', 'string', 'optional'),
  transform: fc.boolean(),
  stored: fc.constantFrom('base', 'base', 'base', 'nothing'),
  initial: fc.constantFrom('good', 'bad'),
});
type SchemaShape = typeof schemaShape extends fc.Arbitrary<infer S> ? S : never;

function buildSchema(shape: SchemaShape): StateSchema<unknown> {
  const right: Record<string, z.ZodType> = {
    n: z.number(),
    name: z.string(),
    list: z.array(z.number()),
    nested: z.object({ a: z.object({ b: z.array(z.unknown()) }) }),
  };
  const field = (name: string, kind: FieldKind): z.ZodType | undefined => {
    switch (kind) {
      case 'right':
        return right[name];
      case 'number':
        return z.number();
      case 'string':
        return z.string();
      case 'boolean':
        return z.boolean();
      case 'array':
        return z.array(z.string());
      case 'missing':
        return undefined;
      case 'optional':
        return right[name]!.optional();
      case 'nullable':
        return z.null();
      case 'literal':
        return z.literal('something else');
      case 'coerce-date':
        return z.coerce.date();
      case 'refine-false':
        return right[name]!.refine(() => false, 'refused by a refinement');
    }
  };
  const fields: Record<string, z.ZodType> = {};
  for (const [name, kind] of Object.entries(shape.fields)) {
    if (name === 'items') {
      const items = {
        instanceof: z.instanceof(KeyedMap),
        object: z.object({}),
        any: z.any(),
        missing: undefined,
        string: z.string(),
        map: z.map(z.string(), z.unknown()),
      }[kind as string];
      if (items) fields.items = items;
      continue;
    }
    const schema = field(name, kind as FieldKind);
    if (schema) fields[name] = schema;
  }
  if (shape.extra === 'number') fields.extra = z.number();
  if (shape.extra === 'string') fields.extra = z.string();
  if (shape.extra === 'optional') fields.extra = z.number().optional();
  let schema: z.ZodType = {
    object: z.object(fields),
    strict: z.strictObject(fields),
    loose: z.looseObject(fields),
    array: z.array(z.unknown()),
    number: z.number(),
    string: z.string(),
    any: z.any(),
    union: z.union([z.number(), z.object(fields)]),
    record: z.record(z.string(), z.number()),
  }[shape.root]!;
  if (shape.transform) schema = schema.transform((value) => value);
  return schema as unknown as StateSchema<unknown>;
}

async function schemas(ctx: Context, seed: number, base: Files): Promise<void> {
  const folder = path.join(ctx.dir, 'schemas');
  for (const shape of sample(schemaShape, seed, RUNS.schemas)) {
    await putFiles(folder, 'BASE', shape.stored === 'base' ? base : { snapshot: undefined, journal: undefined });
    ctx.tally.try('schemas');
    const input = show(shape);
    const initial = shape.initial === 'good' ? { n: 0, name: '', list: [], nested: { a: { b: [] } }, items: new KeyedMap() } : { n: 'not a number' };
    const { crashed } = await checkStored(
      ctx,
      'schemas',
      folder,
      'BASE',
      (onInvalidStored) => ({ key: 'BASE', initial, schema: buildSchema(shape), ...baseOptions(folder), onInvalidStored }),
      input,
      false,
    );
    if (crashed) ctx.tally.crash('schemas');
    checkPollution(ctx, 'schemas', input);
  }
}

// ——— Family 3: versions and migrations ———

const MIGRATES = {
  none: undefined,
  identity: (state: unknown) => state,
  bump: (state: unknown, from: number) => ({ ...(isObject(state) ? state : { was: state }), migratedFrom: from }),
  throws: () => {
    throw new Error('migrate failed');
  },
  'throws-string': () => {
    throw 'a thrown string';
  },
  undefined: () => undefined,
  function: () => ({ f: () => 1 }),
  rejects: async () => {
    throw new TypeError('an async migrate failed');
  },
  deep: () => deepValue(60_000, false),
  bigint: () => ({ big: 1n }),
  null: () => null,
  date: () => ({ when: new Date(0) }),
} as const;
const versionShape = fc.record({
  stored: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(2 ** 31, 2 ** 53 - 1, 2 ** 53, 1e21)),
  bare: fc.boolean(),
  version: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.constantFrom(2 ** 53, -1, 1.5, Number.NaN)),
  migrate: fc.constantFrom(...(Object.keys(MIGRATES) as Array<keyof typeof MIGRATES>)),
  adoptUnversioned: fc.boolean(),
});

async function versions(ctx: Context, seed: number, base: Files): Promise<void> {
  const folder = path.join(ctx.dir, 'versions');
  const envelope = parseOr(base.snapshot) as Record<string, unknown>;
  for (const shape of sample(versionShape, seed, RUNS.versions)) {
    // A bare value (what Crawlee's useState writes) has no journal; an envelope keeps the base's.
    const files: Files = shape.bare
      ? { snapshot: Buffer.from(JSON.stringify({ n: 5, name: 'bare', list: [] })), journal: undefined }
      : { snapshot: Buffer.from(JSON.stringify({ ...envelope, version: shape.stored })), journal: base.journal };
    await putFiles(folder, 'BASE', files);
    ctx.tally.try('versions');
    const input = show(shape);
    const { crashed } = await checkStored(
      ctx,
      'versions',
      folder,
      'BASE',
      (onInvalidStored) => ({
        key: 'BASE',
        initial: { n: -1 },
        version: shape.version,
        migrate: MIGRATES[shape.migrate] as AnyOptions['migrate'],
        adoptUnversioned: shape.adoptUnversioned,
        ...baseOptions(folder),
        onInvalidStored,
      }),
      input,
      true,
    );
    if (crashed) ctx.tally.crash('versions');
    checkPollution(ctx, 'versions', input);
  }
}

// ——— Family 4: hostile keys ———

const ABSOLUTE = '@@ABSOLUTE@@';
const hostileKey: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.constantFrom<unknown>(
      '..',
      '.',
      '../x',
      '../../x',
      '../../../x',
      '..\\x',
      '..\\..\\x',
      'a/b',
      'a\\b',
      '/',
      '\\',
      '',
      ' ',
      'a\0b',
      '\0',
      'CON',
      'NUL',
      'COM1',
      'LPT1',
      'AUX',
      'PRN',
      'con.json',
      'CON.',
      'x.',
      '...',
      '.hidden',
      '-rf',
      '~',
      '$HOME',
      '%2e%2e',
      '%2F',
      '．．',
      '..．',
      'a\u202Eb',
      'é',
      '日本',
      '🙂',
      '\ud800',
      'key\n',
      'tab\t',
      'x'.repeat(257),
      'x'.repeat(1_000),
      'x'.repeat(100_000),
      "a'b(c)!",
      '__proto__',
      'constructor',
      'SRC.json',
      'K.json.journal',
      'K.json.lock',
      'K.invalid-20260101T000000000Z',
      ABSOLUTE,
      `${ABSOLUTE}/K`,
    ),
    weight: 6,
  },
  { arbitrary: fc.integer({ min: 190, max: 260 }).map((n) => 'k'.repeat(n)), weight: 2 },
  { arbitrary: fc.stringMatching(/^[a-zA-Z0-9!\-_.'()]{1,256}$/), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }), weight: 1 },
  { arbitrary: fc.array(fc.constantFrom('..', '.', 'a', '', '\\', 'CON', 'K'), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')), weight: 2 },
  { arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.constant(undefined), fc.object(), fc.array(fc.string())), weight: 1 },
);

async function keys(ctx: Context, seed: number): Promise<void> {
  const { tally } = ctx;
  const root = path.join(ctx.dir, 'keys');
  await fs.mkdir(root);
  const scenarioBefore = (await fs.readdir(ctx.dir)).sort().join(',');
  for (const [i, generated] of sample(hostileKey, seed, RUNS.keys).entries()) {
    const parent = path.join(root, `k${i}`);
    const folder = path.join(parent, 'store');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(parent, 'sentinel'), 'sentinel');
    // An absolute key points inside this input's folder, so that a mistake stays in the scenario's dir.
    const key = typeof generated === 'string' ? generated.replaceAll(ABSOLUTE, path.join(parent, 'outside')) : generated;
    const input = show(key, 200);
    const crashed = { value: false };
    tally.try('keys');
    const options = { key: key as string, initial: { k: 1 }, ...baseOptions(folder) };
    const opened = await attempt(tally, 'keys', input, 'createPersistentStore', () => createPersistentStore(options), crashed);
    if (opened.ok) {
      const store = opened.value!;
      await attempt(tally, 'keys', input, 'update', () => store.update((s) => void (s.k = 2)), crashed);
      await attempt(tally, 'keys', input, 'close', () => store.close(), crashed);
      const again = await attempt(tally, 'keys', input, 'reopen', () => createPersistentStore(options), crashed);
      if (again.ok) {
        if (again.value!.getState().k !== 2) {
          tally.lost++;
          tally.note('keys', 'a durable update is missing after reopening', show(again.value!.getState()), input);
        }
        await attempt(tally, 'keys', input, 'close', () => again.value!.close(), crashed);
      }
    }
    // The file adapter on its own, every method.
    const adapter = fileAdapter({ dir: folder });
    await adapter.write('SRC', { src: true });
    const k = key as string;
    const calls: Array<[string, () => unknown]> = [
      ['locate', () => adapter.locate(k)],
      ['lock', async () => (await adapter.lock!(k))()],
      ['read', () => adapter.read(k)],
      ['readJournal', () => adapter.readJournal!(k)],
      ['write', () => adapter.write(k, { v: 1 })],
      ['append', () => adapter.append!(k, [{ seq: 1, ops: [] }])],
      ['rename SRC → key', () => adapter.rename('SRC', k)],
      ['rename key → DST', () => adapter.rename(k, 'DST')],
      ['delete', () => adapter.delete(k)],
    ];
    for (const [what, call] of calls) await attempt(tally, 'keys', input, `fileAdapter ${what}`, call, crashed);
    if (crashed.value) tally.crash('keys');
    checkPollution(ctx, 'keys', input);

    // Nothing outside the store's folder: its parent holds just the sentinel and the folder, the
    // folder holds plain files named after the key (or SRC / DST), the scenario's folder is as it was.
    const problems: string[] = [];
    const around = await listing(parent);
    for (const [name, bytes] of around) {
      if (name === 'sentinel') {
        if (!(bytes instanceof Buffer) || bytes.toString() !== 'sentinel') problems.push('the sentinel beside the folder changed');
      } else if (name === 'store') {
        continue;
      } else if (!name.startsWith('store/')) {
        problems.push(`${name} appeared beside the store's folder`);
      } else {
        const file = name.slice('store/'.length);
        const ownName = typeof key === 'string' && (file.startsWith(`${key}.json`) || file.startsWith(`${key}.invalid-`));
        if (bytes === 'dir' || !(ownName || /^(SRC|DST)\.json/.test(file))) problems.push(`${name} is not a file of the key`);
      }
    }
    if (!around.has('sentinel')) problems.push('the sentinel beside the folder is gone');
    const scenarioAfter = (await fs.readdir(ctx.dir)).sort().join(',');
    if (scenarioAfter !== scenarioBefore) problems.push(`the scenario's folder changed: ${scenarioAfter}`);
    if (problems.length > 0) {
      tally.outside++;
      tally.note('keys', 'file outside the store folder', problems.join('; '), input);
    }
    await fs.rm(parent, { recursive: true, force: true });
  }
}

// ——— Family 5: platform event messages ———

const VALID_NAMES = Object.values(EventType) as EventName[];
const eventField = fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.string({ maxLength: 8 }), fc.constant(null), fc.jsonValue({ maxDepth: 2 }), edgeNumber);
const anything = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withTypedArray: true,
  withSparseArray: true,
});
const rawEvent: fc.Arbitrary<unknown> = fc.oneof(
  anything,
  fc.record(
    {
      name: fc.oneof(
        fc.constantFrom<unknown>(...VALID_NAMES, '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'SYSTEM_INFO', 'Migrating', ''),
        fc.string({ maxLength: 12 }),
        anything,
      ),
      data: fc.oneof(
        anything,
        fc.record(
          {
            cpuCurrentUsage: eventField,
            isCpuOverloaded: eventField,
            memCurrentBytes: eventField,
            memTotalBytes: eventField,
            memMaxBytes: eventField,
            createdAt: eventField,
            timeRemainingSecs: eventField,
            isMigrating: eventField,
            exitCode: eventField,
          },
          { requiredKeys: [] },
        ),
        fc.constantFrom<unknown>(undefined, null, {}, [], 'x', 0),
      ),
    },
    { requiredKeys: [] },
  ),
  // Through JSON.parse, as the socket sees them: own __proto__ keys and all.
  fc
    .constantFrom(
      '{"name":"systemInfo","data":{"__proto__":{"isCpuOverloaded":"yes"}}}',
      '{"name":"persistState","data":{"__proto__":{"isMigrating":"no"}}}',
      '{"__proto__":{"name":"migrating"}}',
      '{"name":"exit","data":{"exitCode":1e400}}',
      '{"name":"migrating","data":{"timeRemainingSecs":-0}}',
      '{"name":"constructor","data":{}}',
    )
    .map((text) => JSON.parse(text) as unknown),
);

/** Why an event that parsePlatformEvent let through is not a valid event, or undefined. */
function invalidEvent(event: PlatformEvent): string | undefined {
  if (!VALID_NAMES.includes(event.name)) return `unknown name ${show(event.name)}`;
  const again = eventDataSchemas[event.name].safeParse(event.data);
  if (!again.success) return `its data fails its own schema: ${show(event.data)}`;
  if (event.name === 'persistState' && typeof event.data.isMigrating !== 'boolean') return 'persistState without a boolean isMigrating';
  return undefined;
}

async function events(ctx: Context, seed: number): Promise<void> {
  const { tally } = ctx;
  for (const raw of sample(rawEvent, seed, RUNS.events)) {
    tally.try('events');
    const input = show(raw, 200);
    try {
      const result = parsePlatformEvent(raw);
      const why = 'event' in result ? invalidEvent(result.event) : typeof result.problem === 'string' ? undefined : 'neither an event nor a problem';
      if (why) {
        tally.eventsWrong++;
        tally.note('events', 'parsePlatformEvent let a wrong event through', why, input);
      }
    } catch (error) {
      tally.crash('events');
      tally.note('events', 'parsePlatformEvent threw', describeError(error), input);
    }
    checkPollution(ctx, 'events', input);
  }
}

// ——— Family 6: the Apify events socket ———

type Frame = { text: string } | { binary: Uint8Array };
const frame: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: rawEvent.map((raw) => ({ text: safeStringify(raw) })), weight: 5 },
  {
    arbitrary: fc
      .record({
        name: fc.constantFrom(...VALID_NAMES),
        data: fc.option(
          fc.record({ timeRemainingSecs: eventField, isMigrating: eventField, exitCode: eventField, cpuCurrentUsage: eventField }, { requiredKeys: [] }),
          { nil: undefined },
        ),
      })
      .map((raw) => ({ text: JSON.stringify(raw) })),
    weight: 4,
  },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((text) => ({ text })), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 80 }).map((binary) => ({ binary })), weight: 1 },
  {
    arbitrary: fc.constantFrom<Frame>(
      { text: '' },
      { text: 'null' },
      { text: '1' },
      { text: '"migrating"' },
      { text: '[{"name":"migrating"}]' },
      { text: `{"name":"systemInfo","data":{"pad":"${'x'.repeat(1_000_000)}"}}` },
      { text: deepText(100_000, true) },
    ),
    weight: 1,
  },
);
function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) ?? 'undefined';
  } catch {
    return String(value);
  }
}

/** The events the source should emit for a frame: what parsePlatformEvent makes of its text. */
function expectedNames(f: Frame): string[] {
  const text = 'text' in f ? Buffer.from(f.text, 'utf8').toString('utf8') : Buffer.from(f.binary).toString();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const result = parsePlatformEvent(parsed);
  if (!('event' in result)) return [];
  return result.event.name === 'migrating' ? ['migrating', 'persistState'] : [result.event.name];
}

async function socket(ctx: Context, seed: number): Promise<void> {
  const { tally, log } = ctx;
  const frames = sample(frame, seed, RUNS.socket);
  const closeCodes = sample(fc.constantFrom(1000, 1001, 1011, 1012, 1013, 4000, 4999, 3000, 1002, 1003, 1007, 1008, 1010), seed + 1, 64);
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const connections: WebSocket[] = [];
  let waitingForConnection: ((ws: WebSocket) => void) | undefined;
  server.on('connection', (ws) => {
    ws.on('error', () => undefined);
    if (waitingForConnection) {
      const resolve = waitingForConnection;
      waitingForConnection = undefined;
      resolve(ws);
    } else connections.push(ws);
  });
  const nextConnection = (): Promise<WebSocket> =>
    connections.length > 0 ? Promise.resolve(connections.shift()!) : new Promise((resolve) => (waitingForConnection = resolve));

  const received: PlatformEvent[] = [];
  let sourceError: unknown;
  let subscription: Subscription | undefined;
  const subscribe = (): void => {
    subscription = apifySocketSource({ url, reconnectDelayMs: 10, maxReconnectDelayMs: 40, report: () => undefined }).subscribe({
      next: (event) => void received.push(event),
      error: (error: unknown) => void (sourceError = error),
    });
  };
  const ROUND = 50;
  try {
    subscribe();
    for (let round = 0; round * ROUND < frames.length; round++) {
      const batch = frames.slice(round * ROUND, (round + 1) * ROUND);
      const input = `round ${round}: ${show(
        batch.map((f) => ('text' in f ? f.text : `bytes(${f.binary.length})`)),
        600,
      )}`;
      const connection = await within(nextConnection(), 'the source to connect (or reconnect)', 10_000).catch((error: unknown) => error as Error);
      if (connection instanceof Error) {
        tally.crash('socket');
        tally.note('socket', 'crash', `hang: ${connection.message}`, input);
        break;
      }
      received.length = 0;
      const expected: string[] = [];
      for (const f of batch) {
        tally.try('socket');
        expected.push(...expectedNames(f));
        connection.send('text' in f ? f.text : f.binary, { binary: !('text' in f) });
      }
      // A sentinel the source must pass on: everything sent before it has been handled by then.
      const sentinel = 987_654_321 + round;
      connection.send(JSON.stringify({ name: 'exit', data: { exitCode: sentinel } }));
      const deadline = Date.now() + 10_000;
      while (!received.some((e) => e.name === 'exit' && e.data.exitCode === sentinel) && Date.now() < deadline && sourceError === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const got = received.filter((e) => !(e.name === 'exit' && e.data.exitCode === sentinel));
      if (sourceError !== undefined) {
        tally.crash('socket');
        tally.note('socket', 'the source errored', describeError(sourceError), input);
        sourceError = undefined;
        subscription?.unsubscribe();
        subscribe();
        continue;
      }
      if (got.length === received.length) {
        tally.crash('socket');
        tally.note('socket', 'crash', 'hang: the sentinel event never came through', input);
      }
      const names = got.map((e) => e.name);
      const wrong = got.map(invalidEvent).find((why) => why !== undefined);
      if (names.join(',') !== expected.join(',') || wrong) {
        tally.eventsWrong++;
        tally.note('socket', 'events dropped, invented or wrong', wrong ?? `expected [${expected.join(', ')}], got [${names.join(', ')}]`, input);
      }
      // Close with a random code: a final one ends the source (start a new one), others reconnect.
      const code = closeCodes[round % closeCodes.length]!;
      connection.close(code, 'torture');
      if ([1002, 1003, 1007, 1008, 1010].includes(code)) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        subscription?.unsubscribe();
        subscribe();
      }
      if ((round + 1) % 5 === 0) log(`socket: ${Math.min(frames.length, (round + 1) * ROUND)} of ${frames.length} frames`);
    }
  } finally {
    subscription?.unsubscribe();
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
}

// ——— Family 7: huge and non-JSON values given to update() ———

class Custom {
  x = 1;
}
type Huge = { label: string; make: () => unknown };
const huge: fc.Arbitrary<Huge> = fc.oneof(
  {
    arbitrary: fc
      .record({ depth, arrays: fc.boolean() })
      .map(({ depth: d, arrays }) => ({ label: `${arrays ? 'arrays' : 'objects'} nested ${d} deep`, make: () => deepValue(d, arrays) })),
    weight: 6,
  },
  {
    arbitrary: fc
      .record({
        length: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 100_000, max: 4_000_000 })),
        chunk: fc.constantFrom('x', 'é', '🙂', '\ud800', '"\\\n', '\u2028', '\u0000'),
      })
      .map(({ length, chunk }) => ({
        label: `a string of ${length} × ${JSON.stringify(chunk)}`,
        make: () => chunk.repeat(length),
      })),
    weight: 3,
  },
  {
    arbitrary: fc.integer({ min: 0, max: 200_000 }).map((n) => ({ label: `an array of ${n} numbers`, make: () => Array.from({ length: n }, (_, i) => i) })),
    weight: 2,
  },
  {
    arbitrary: fc
      .integer({ min: 0, max: 100_000 })
      .map((n) => ({ label: `an object of ${n} keys`, make: () => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])) })),
    weight: 2,
  },
  {
    arbitrary: fc
      .integer({ min: 0, max: 100_000 })
      .map((n) => ({ label: `a KeyedMap of ${n} entries`, make: () => new KeyedMap(Array.from({ length: n }, (_, i) => [`k${i}`, i] as const)) })),
    weight: 2,
  },
  {
    arbitrary: fc.constantFrom<Huge>(
      { label: 'undefined', make: () => undefined },
      { label: 'NaN', make: () => Number.NaN },
      { label: 'Infinity', make: () => Number.POSITIVE_INFINITY },
      { label: 'a BigInt', make: () => 10n },
      { label: 'a function', make: () => () => 1 },
      { label: 'a symbol', make: () => Symbol('s') },
      { label: 'a Date', make: () => new Date(0) },
      { label: 'a Map', make: () => new Map([['a', 1]]) },
      { label: 'a Set', make: () => new Set([1]) },
      { label: 'a class instance', make: () => new Custom() },
      { label: 'a sparse array', make: () => [1, , 3] }, // eslint-disable-line no-sparse-arrays
      { label: 'a typed array', make: () => new Uint8Array(4) },
      {
        label: 'a cycle',
        make: () => {
          const a: Record<string, unknown> = {};
          a.self = a;
          return a;
        },
      },
      { label: 'an object with toJSON', make: () => ({ toJSON: () => 'x' }) },
      {
        label: 'an object with a getter',
        make: () => ({
          get g() {
            return 1;
          },
        }),
      },
      { label: 'a null-prototype object', make: () => Object.assign(Object.create(null) as object, { a: 1 }) },
      { label: '-0', make: () => -0 },
      { label: 'an own __proto__ key', make: () => JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}') as unknown },
      { label: 'a frozen KeyedMap of another store', make: () => Object.freeze(new KeyedMap([['a', 1]])) },
    ),
    weight: 3,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ label: `JSON ${show(v, 100)}`, make: () => v })), weight: 2 },
);

async function hugeValues(ctx: Context, seed: number): Promise<void> {
  const { tally } = ctx;
  const folder = path.join(ctx.dir, 'huge');
  await fs.mkdir(folder);
  for (const [i, { label, make }] of sample(huge, seed, RUNS.huge).entries()) {
    tally.try('huge');
    const crashed = { value: false };
    const key = `H${i}`;
    const events = new Subject<PlatformEvent>();
    const options: PersistentStoreOptions<Record<string, unknown>> = { key, initial: { n: 0 }, ...baseOptions(folder), flushTimeoutMs: 10_000, events };
    const opened = await attempt(tally, 'huge', label, 'open', () => createPersistentStore(options), crashed);
    if (!opened.ok) {
      tally.crash('huge');
      continue;
    }
    const store = opened.value!;
    store.update((s) => void (s.n = 1));
    await attempt(tally, 'huge', label, 'flush', () => store.flush(), crashed); // the snapshot: the value goes to the journal
    const before = store.getState();
    const value = make();
    const updated = await attempt(tally, 'huge', label, 'update', () => store.update((s) => void (s.v = value)), crashed);
    if (!updated.ok && store.getState() !== before) {
      crashed.value = true;
      tally.note('huge', 'a refused update changed the state', '', label);
    }
    let written: string | undefined;
    if (updated.ok) {
      written = safeStringify(store.getState().v);
      const flushed = await attempt(tally, 'huge', label, 'flush', () => store.flush(), crashed);
      if (!flushed.ok && flushed.typed) {
        tally.flushFailed++;
        tally.note('huge', 'an accepted update could not be made durable', describeError(flushed.error), label);
      }
      const compaction = await attempt(tally, 'huge', label, 'compaction on migrating', () => compactNow(store as PersistentStore<unknown>, events), crashed);
      if (compaction.ok && compaction.value) {
        tally.unwritable++;
        tally.note('huge', 'an accepted value cannot be written whole (the compaction fails, and is retried forever)', describeError(compaction.value), label);
      }
    }
    await attempt(tally, 'huge', label, 'update after', () => store.update((s) => void (s.n = 2)), crashed);
    await attempt(tally, 'huge', label, 'close', () => store.close(), crashed);
    const again = await attempt(tally, 'huge', label, 'reopen', () => createPersistentStore(options), crashed);
    if (again.ok) {
      const state = again.value!.getState();
      if (state.n !== 2 || (written !== undefined && safeStringify(state.v) !== written)) {
        tally.lost++;
        tally.note(
          'huge',
          'after reopening, the state is not what was made durable',
          `n = ${String(state.n)}, v ${written === undefined ? 'was refused' : safeStringify(state.v) === written ? 'as written' : 'differs'}`,
          label,
        );
      }
      await attempt(tally, 'huge', label, 'close', () => again.value!.close(), crashed);
    } else if (again.typed) {
      tally.lost++;
      tally.note('huge', 'a store that took an update cannot be reopened', describeError(again.error), label);
    }
    if (crashed.value) tally.crash('huge');
    checkPollution(ctx, 'huge', label);
    await fs.rm(path.join(folder, `${key}.json`), { force: true });
    await fs.rm(path.join(folder, `${key}.json.journal`), { force: true });
  }
}

// ——— The scenario ———

function badInput(): Scenario {
  return {
    name: 'Bad input, generated with fast-check (corrupt files, schemas, versions, hostile keys, event messages, huge values)',
    async run({ dir, log, seed }) {
      const tally = new Tally(log);
      const ctx: Context = { dir, log, tally };
      let family: Family = 'files';
      // Unhandled rejections and uncaught exceptions while a family runs are its crashes.
      const onStray =
        (kind: string) =>
        (error: unknown): void => {
          tally.crash(family);
          tally.note(family, kind, describeError(error), '(not known: raised outside any awaited call)');
        };
      const onRejection = onStray('unhandled rejection');
      const onException = onStray('uncaught exception');
      process.on('unhandledRejection', onRejection);
      process.on('uncaughtException', onException);
      const times: string[] = [];
      try {
        const baseFolder = path.join(dir, 'base');
        const base = await writeBase(baseFolder, 'BASE');
        log(`base store: snapshot ${base.snapshot!.length} bytes, journal ${lines(base.journal).whole.length} records`);
        const steps: Array<[Family, () => Promise<void>]> = [
          ['files', () => corruptFiles(ctx, seed, base)],
          ['schemas', () => schemas(ctx, seed + 1, base)],
          ['versions', () => versions(ctx, seed + 2, base)],
          ['keys', () => keys(ctx, seed + 3)],
          ['events', () => events(ctx, seed + 4)],
          ['socket', () => socket(ctx, seed + 5)],
          ['huge', () => hugeValues(ctx, seed + 6)],
        ];
        for (const [name, step] of steps) {
          family = name;
          const at = Date.now();
          await step();
          await new Promise((resolve) => setTimeout(resolve, 50)); // stray rejections land in their family
          times.push(`${name} ${((Date.now() - at) / 1000).toFixed(1)} s`);
          log(`${name}: ${tally.tried.get(name) ?? 0} inputs, ${tally.crashes.get(name) ?? 0} crashes (${((Date.now() - at) / 1000).toFixed(1)} s)`);
        }
      } finally {
        process.off('unhandledRejection', onRejection);
        process.off('uncaughtException', onException);
      }
      const families = Object.keys(TITLES) as Family[];
      const total = families.reduce((sum, f) => sum + (tally.tried.get(f) ?? 0), 0);
      const crashes = families.reduce((sum, f) => sum + (tally.crashes.get(f) ?? 0), 0);
      const crashesBy = families.filter((f) => (tally.crashes.get(f) ?? 0) > 0).map((f) => `${f} ${tally.crashes.get(f)}`);
      const figures: Figure[] = [
        ...families.map((f): Figure => ({
          name: `inputs: ${TITLES[f]}`,
          value: `${(tally.tried.get(f) ?? 0).toLocaleString('en')}${(tally.crashes.get(f) ?? 0) > 0 ? ` (${tally.crashes.get(f)} crashed)` : ''}`,
        })),
        { name: 'inputs in all', value: `${total.toLocaleString('en')} (${times.join(', ')})` },
        { name: 'stored inputs refused with a typed error / opened / moved aside', value: `${tally.refused} / ${tally.opened} / ${tally.movedAside}` },
        {
          name: 'crashes (not a PersistentStoreError: TypeError, RangeError, raw fs errors, unhandled rejections, hangs over 15 s)',
          value: crashesBy.length > 0 ? `${crashes} (${crashesBy.join(', ')})` : 0,
          must: '= 0',
          ok: crashes === 0,
        },
        { name: 'overwrites or deletions of stored data without consent', value: tally.overwrites, must: '= 0', ok: tally.overwrites === 0 },
        { name: 'files created or touched outside the store folder (hostile keys)', value: tally.outside, must: '= 0', ok: tally.outside === 0 },
        { name: 'global prototypes polluted by stored data or values', value: tally.polluted, must: '= 0', ok: tally.polluted === 0 },
        { name: 'durable updates missing after reopening', value: tally.lost, must: '= 0', ok: tally.lost === 0 },
        { name: 'platform events dropped, invented or let through invalid', value: tally.eventsWrong, must: '= 0', ok: tally.eventsWrong === 0 },
        {
          name: 'accepted states or values that cannot be written whole (compaction fails forever)',
          value: tally.unwritable,
          must: '= 0',
          ok: tally.unwritable === 0,
        },
        { name: 'flushes refused with FlushError after an accepted update', value: tally.flushFailed },
        { name: 'moveAside: copy moved, then the open refused (initial fails the schema)', value: tally.movedThenRefused },
      ];
      return figures;
    },
  };
}

export default badInput();
