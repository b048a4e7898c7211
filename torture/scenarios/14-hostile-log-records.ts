import { EMPTY } from 'rxjs';
import { createPersistentStore, etcdDialect, KeyedMap, PersistentStoreError, remoteKvAdapter, type StorageAdapter } from '../../src/index.js';
import { apifyDialect } from '../../src/adapters/remote/dialects/apify.js';
import { logNames } from '../../src/adapters/log/log-names.js';
import { fromBase64, toBase64 } from '../../src/adapters/remote/base64.js';
import { ETCD_BINARY, startEtcd } from '../../spec/support/etcd-server.js';
import { startFakeApify } from '../../spec/support/fake-apify-server.js';
import { requireBinary } from '../../spec/support/server-binaries.js';
import { compactionModel, type CompactionState } from '../children/compaction-model.js';
import { mustBeZero, type Figure, type Scenario } from '../scenario.js';

const KEY = 'HOSTILE';
const names = logNames(KEY);

/** Raw access to one backend's records of KEY, beside the adapter under test. */
interface Raw {
  readonly name: string;
  readonly adapter: (chunkBytes: number) => StorageAdapter;
  all(): Promise<Map<string, string>>;
  put(name: string, text: string): Promise<void>;
  remove(name: string): Promise<void>;
  stop(): Promise<void>;
}

async function etcdRaw(): Promise<Raw> {
  const etcd = await startEtcd();
  const prefix = 'hostile/';
  const call = (path: string, body: unknown) =>
    fetch(`${etcd.url}${path}`, { method: 'POST', body: JSON.stringify(body) }).then(
      (r) => r.json() as Promise<{ kvs?: Array<{ key: string; value?: string }> }>,
    );
  return {
    name: 'etcd',
    adapter: (chunkBytes) => remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url, prefix, maxValueBytes: chunkBytes }), retries: 0 }),
    async all() {
      const { kvs = [] } = await call('/v3/kv/range', { key: toBase64(prefix + KEY), range_end: toBase64(`${prefix}${KEY}\u007f`) });
      return new Map(kvs.map(({ key, value }) => [fromBase64(key).slice(prefix.length), fromBase64(value ?? '')]));
    },
    put: async (name, text) => void (await call('/v3/kv/put', { key: toBase64(prefix + name), value: toBase64(text) })),
    remove: async (name) => void (await call('/v3/kv/deleterange', { key: toBase64(prefix + name) })),
    stop: () => etcd.stop(),
  };
}

async function apifyRaw(): Promise<Raw> {
  const fake = await startFakeApify('hostile-token-0123456789', 'hostile-store');
  return {
    name: 'apify',
    adapter: (chunkBytes) =>
      remoteKvAdapter({
        dialect: { ...apifyDialect({ baseUrl: fake.url, storeId: 'hostile-store', token: 'hostile-token-0123456789' }), maxValueBytes: chunkBytes },
        retries: 0,
      }),
    all: async () => new Map([...fake.records].filter(([name]) => name === KEY || name.startsWith(names.prefix))),
    put: async (name, text) => void fake.records.set(name, text),
    remove: async (name) => void fake.records.delete(name),
    stop: () => fake.stop(),
  };
}

type Head = {
  gen: string;
  seq: number;
  from: number;
  closed: unknown[];
  snapshot: { id?: string; count?: number; length?: number; inline?: unknown };
} & Record<string, unknown>;

/** One hostile edit of a valid layout: what it changes, given the records and the head. */
interface Hostile {
  readonly label: string;
  readonly edit: (records: Map<string, string>, head: Head) => Array<[name: string, text: string | undefined]>;
}

const segmentsOf = (records: Map<string, string>): string[] => [...records.keys()].filter((name) => names.parse(name)?.kind === 'segment').sort();
const chunksOf = (_records: Map<string, string>, head: Head): string[] =>
  Array.from({ length: head.snapshot.count ?? 0 }, (_, i) => names.chunk(head.snapshot.id!, i));
const headWith = (head: Head, change: Record<string, unknown>): Array<[string, string]> => [[KEY, JSON.stringify({ ...head, ...change })]];
const lastSegment = (
  records: Map<string, string>,
): [string, { gen: string; writer: string; records: Array<{ seq: number; ops: unknown }> } & Record<string, unknown>] => {
  const name = segmentsOf(records).at(-1)!;
  return [name, JSON.parse(records.get(name)!)];
};

const HOSTILE: readonly Hostile[] = [
  { label: 'head: not JSON', edit: () => [[KEY, '{"$rxps":2,"gen":']] },
  { label: 'head: generation not an id (a path)', edit: (_r, h) => headWith(h, { gen: '../../x' }) },
  { label: 'head: seq negative', edit: (_r, h) => headWith(h, { seq: -1 }) },
  { label: 'head: from before seq', edit: (_r, h) => headWith(h, { from: h.seq }) },
  { label: 'head: closed ranges out of order', edit: (_r, h) => headWith(h, { closed: [{ gen: h.gen, from: h.seq + 5, to: h.seq + 2 }], from: h.seq + 3 }) },
  {
    label: 'head: closed range with a foreign id',
    edit: (_r, h) => headWith(h, { closed: [{ gen: 'A/B', from: h.seq + 1, to: h.seq + 1 }], from: h.seq + 2 }),
  },
  { label: 'head: chunk count absurd (10^9)', edit: (_r, h) => headWith(h, { snapshot: { ...h.snapshot, count: 1e9 } }) },
  { label: 'head: chunk count 0', edit: (_r, h) => headWith(h, { snapshot: { ...h.snapshot, count: 0 } }) },
  { label: 'head: chunk count one too many', edit: (_r, h) => headWith(h, { snapshot: { ...h.snapshot, count: (h.snapshot.count ?? 0) + 1 } }) },
  { label: 'head: snapshot id not an id', edit: (_r, h) => headWith(h, { snapshot: { ...h.snapshot, id: 'x.y/z' } }) },
  { label: 'head: snapshot length wrong', edit: (_r, h) => headWith(h, { snapshot: { ...h.snapshot, length: (h.snapshot.length ?? 0) + 7 } }) },
  { label: 'head: no snapshot', edit: (_r, h) => headWith(h, { snapshot: null }) },
  { label: 'head: inline garbage (a string)', edit: (_r, h) => headWith(h, { snapshot: { inline: 'garbage' } }) },
  {
    label: 'head: inline garbage (an envelope with a broken state)',
    edit: (_r, h) => headWith(h, { snapshot: { inline: { $rxps: 1, v: 0, seq: h.seq, state: { n: 'x', items: 5 } } } }),
  },
  { label: 'chunk: missing (the middle one)', edit: (r, h) => [[chunksOf(r, h)[Math.floor((h.snapshot.count ?? 1) / 2)]!, undefined]] },
  {
    label: 'chunk: shorter (wrong length)',
    edit: (r, h) => {
      const c = chunksOf(r, h)[0]!;
      return [[c, r.get(c)!.slice(0, -10)]];
    },
  },
  {
    label: 'chunk: not JSON (same length)',
    edit: (r, h) => {
      const c = chunksOf(r, h)[1]!;
      return [[c, '}'.repeat(r.get(c)!.length)]];
    },
  },
  {
    label: 'segment: not JSON (torn)',
    edit: (r) => {
      const [n] = lastSegment(r);
      return [[n, r.get(n)!.slice(0, 20)]];
    },
  },
  {
    label: 'segment: foreign generation inside',
    edit: (r) => {
      const [n, s] = lastSegment(r);
      return [[n, JSON.stringify({ ...s, gen: 'zzzzzzzzzzzz' })]];
    },
  },
  {
    label: 'segment: no writer',
    edit: (r) => {
      const [n, s] = lastSegment(r);
      return [[n, JSON.stringify({ ...s, writer: 7 })]];
    },
  },
  {
    label: 'segment: not a segment (a bare value)',
    edit: (r) => {
      const [n] = lastSegment(r);
      return [[n, '{"n":1e9}']];
    },
  },
  {
    label: 'segment: misnumbered record',
    edit: (r) => {
      const [n, s] = lastSegment(r);
      return [[n, JSON.stringify({ ...s, records: s.records.map((x) => ({ ...x, seq: x.seq + 1 })) })]];
    },
  },
  {
    label: 'segment: ops not a list',
    edit: (r) => {
      const [n, s] = lastSegment(r);
      return [[n, JSON.stringify({ ...s, records: s.records.map((x) => ({ ...x, ops: { $set: 1 } })) })]];
    },
  },
  {
    label: 'segment: ops that do not apply',
    edit: (r) => {
      const [n, s] = lastSegment(r);
      return [[n, JSON.stringify({ ...s, records: s.records.map((x) => ({ ...x, ops: [{ op: 'nonsense', path: ['__proto__', 'x'] }] })) })]];
    },
  },
  {
    label: 'segment: no records',
    edit: (r) => {
      const [n, s] = lastSegment(r);
      return [[n, JSON.stringify({ ...s, records: [] })]];
    },
  },
];

/**
 * Hostile records placed straight in etcd and in the Apify API server, one at a time, on a valid
 * log (a ~450 KB state in chunks of 48 KiB, and journal segments after it): heads, chunks and
 * segments that are malformed, missing, foreign or misnumbered. Each open must be refused with a
 * typed PersistentStoreError (CorruptStateError where the records are unreadable) naming the key,
 * and no record may be changed or removed by the attempt (compared before/after, byte for byte).
 */
function hostileLogRecords(): Scenario {
  return {
    name: `Hostile log records: ${HOSTILE.length} kinds of bad heads, chunks and segments placed in etcd and the Apify API server`,
    async run({ log }) {
      const figures: Figure[] = [];
      const makers = [apifyRaw, ...(requireBinary(ETCD_BINARY, 'etcd-server').available ? [etcdRaw] : [])];
      for (const make of makers) {
        const raw = await make();
        try {
          // A valid layout: a chunked snapshot (the first change compacted at once: a new key starts from
          // the initial state, its first change a segment), then three journal segments.
          const compacting = { ...raw.adapter(compactionModel.chunkBytes), compactAfterRecords: 1 };
          const writer = await createPersistentStore<CompactionState>({
            key: KEY,
            initial: { n: 0, items: new KeyedMap<string>() },
            adapter: compacting,
            events: EMPTY,
            debounceMs: 0,
            maxWaitMs: 0,
          });
          writer.update((s) => compactionModel.step(s));
          await writer.flush();
          await writer.close();
          // Closed without folding its segments into the snapshot: they are part of the baseline.
          const again = await createPersistentStore<CompactionState>({
            key: KEY,
            initial: { n: 0, items: new KeyedMap<string>() },
            adapter: raw.adapter(compactionModel.chunkBytes),
            events: EMPTY,
            debounceMs: 0,
            maxWaitMs: 0,
            compactOnClose: false,
          });
          for (let i = 0; i < 3; i++) {
            again.update((s) => compactionModel.step(s));
            await again.flush();
          }
          await again.close();
          const baseline = await raw.all();
          const head = JSON.parse(baseline.get(KEY)!) as Head;
          if (!head.snapshot.id || segmentsOf(baseline).length === 0)
            throw new Error(`the baseline layout has no chunks or no segments: ${[...baseline.keys()].join(', ')}`);
          let opened = 0;
          let untyped = 0;
          let unnamed = 0;
          let notCorrupt = 0;
          let changed = 0;
          const kinds = new Map<string, number>();
          for (const hostile of HOSTILE) {
            // Back to the baseline, then the one hostile edit.
            for (const name of (await raw.all()).keys()) if (!baseline.has(name)) await raw.remove(name);
            for (const [name, text] of baseline) await raw.put(name, text);
            for (const [name, text] of hostile.edit(baseline, head)) await (text === undefined ? raw.remove(name) : raw.put(name, text));
            const before = await raw.all();
            let outcome: string;
            try {
              const store = await createPersistentStore<CompactionState>({
                key: KEY,
                initial: { n: 0, items: new KeyedMap<string>() },
                adapter: raw.adapter(compactionModel.chunkBytes),
                events: EMPTY,
              });
              opened++;
              outcome = `OPENED with n ${store.getState().n} (${compactionModel.whyNot(store.getState()) ?? 'a state of the sequence'})`;
              await store.close().catch(() => undefined);
            } catch (error) {
              if (!(error instanceof PersistentStoreError)) {
                untyped++;
                outcome = `untyped ${String(error)}`;
              } else {
                kinds.set(error.name, (kinds.get(error.name) ?? 0) + 1);
                if (error.name !== 'CorruptStateError') notCorrupt++;
                if (!error.message.includes(KEY)) unnamed++;
                outcome = `${error.name}: ${error.message.slice(0, 160)}`;
              }
            }
            const after = await raw.all();
            const diff = [...new Set([...before.keys(), ...after.keys()])].filter((name) => before.get(name) !== after.get(name));
            if (diff.length > 0) {
              changed++;
              outcome += `; CHANGED ${diff.join(', ')}`;
            }
            log(`${raw.name}: ${hostile.label}: ${outcome}`);
          }
          const r = raw.name;
          figures.push(
            { name: `${r}: hostile layouts opened`, value: `${HOSTILE.length} (refused: ${[...kinds].map(([k, v]) => `${k} ${v}`).join(', ')})` },
            mustBeZero(`${r}: opened anyway (a bad record taken in)`, opened),
            mustBeZero(`${r}: refused with an error that is not a PersistentStoreError`, untyped),
            { name: `${r}: refused with a typed error other than CorruptStateError`, value: notCorrupt },
            mustBeZero(`${r}: errors not naming the key`, unnamed),
            mustBeZero(`${r}: opens that changed or removed a stored record`, changed),
          );
        } finally {
          await raw.stop();
        }
      }
      return figures;
    },
  };
}

export default hostileLogRecords();
