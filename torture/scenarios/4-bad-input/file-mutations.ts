import fc from 'fast-check';
import { KeyedMap } from '../../../src/index.js';
import { ROOT } from '../../../src/store/keyed-map.js';
import { isObject, lines, parseOr, type Files } from './stored-files.js';
import { deepText, depth, edgeNumber, hostileValue } from './values.js';

// Family 1, the inputs: corrupt snapshot and journal files, made from the base by mutations.

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

type FileName = 'snapshot' | 'journal';
export type Mutation =
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
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
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

const joinLines = ({ whole, tail }: { whole: Buffer[]; tail: Buffer }): Buffer => Buffer.concat([...whole.flatMap((line) => [line, Buffer.from('\n')]), tail]);

export function mutate(files: Files, m: Mutation): Files {
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
