// W7 remote: update one key until durable, and open a stored state, on the Apify API (the specs'
// server), real etcd and real Apache mod_dav, all on loopback; what each write sends, counted.
import { filter, firstValueFrom, EMPTY } from 'rxjs';
import { createPersistentStore, KeyedMap, remoteKvAdapter, type PersistentStore } from '../src/index.js';
import { fmt, keyedState, keyOf, median, QUICK, quantile, settle, sizeLabel, TARGET_SIZE, timeMs, type BenchState, type Row } from './harness.js';
import { countingFetch, startBackend, type Backend, type BackendName, type CountingFetch, type Traffic } from './remote.js';
import { check, mdTable, type Section } from './report.js';

/** `BENCH_REMOTE_SIZES=1000,200000` overrides; 1M takes about a minute a backend. */
export const W7_SIZES: readonly number[] = (process.env.BENCH_REMOTE_SIZES ?? `1000,${TARGET_SIZE},1000000`)
  .split(',')
  .map((s) => Number(s.trim().replace(/_/g, '')));
/** `BENCH_REMOTE_BACKENDS=etcd,webdav` picks backends. */
export const W7_BACKENDS = (process.env.BENCH_REMOTE_BACKENDS ?? 'apify,etcd,webdav').split(',').map((s) => s.trim()) as BackendName[];

/** Writes timed: past the adapter's 1,000 journal records, so one compaction falls among them. */
const WRITES = QUICK ? 200 : 1_050;
const WARMUP = 10;
/** What one write changes, as JSON: the key and its value (the "change" of the target). */
const changeBytes = (key: string): number => JSON.stringify({ k: key, v: true }).length;

export const W7 = {
  write: 'write (ms, median)',
  writeP95: 'write p95 (ms)',
  sent: 'sent per write (B)',
  requests: 'requests per write',
  change: 'change (B)',
  snapshotMs: 'first snapshot (ms)',
  snapshotSent: 'first snapshot sent (MB)',
  snapshotRequests: 'first snapshot requests',
  compactions: 'compactions',
  compactMs: 'compaction (ms)',
  compactSent: 'compaction sent (MB)',
  compactRequests: 'compaction requests',
  open: 'open (ms, median)',
  parse: 'JSON.parse (ms)',
  openRequests: 'open requests',
  openReceived: 'open received (MB)',
  limited: '429 answers',
} as const;

type Store = PersistentStore<BenchState<KeyedMap<true>>>;

/** Resolves once no write or compaction is under way; throws the error a failed one left. */
async function idle(store: Store): Promise<void> {
  const status = await firstValueFrom(store.status$.pipe(filter((s) => s.phase === 'idle' || s.phase === 'error')));
  if (status.phase === 'error') throw status.lastError;
}

/** Waits while the last second's requests exceed `share` of the service's limit (Apify: 200 a second per store). */
async function pace(backend: Backend, counter: CountingFetch, share = 0.5): Promise<void> {
  if (backend.requestsPerSecond === undefined) return;
  while (counter.recent() > backend.requestsPerSecond * share) await new Promise((resolve) => setTimeout(resolve, 10));
}

const MB = (bytes: number): number => bytes / 1e6;

export async function w7Measure(backend: Backend, size: number): Promise<Row> {
  const counter = countingFetch();
  const key = `W7-${sizeLabel(size)}-${Date.now().toString(36)}`;
  const adapter = () => remoteKvAdapter({ dialect: backend.dialect, fetch: counter.fetch, timeoutMs: 60_000 });
  // compactOnClose: false: the open below reads the segments written since the last compaction, as after a kill.
  const open = (initial: BenchState<KeyedMap<true>>) =>
    createPersistentStore({
      key,
      initial,
      adapter: adapter(),
      events: EMPTY,
      debounceMs: 3_600_000,
      maxWaitMs: 3_600_000,
      flushTimeoutMs: 300_000,
      compactOnClose: false,
    });

  // The first write of a new store is its snapshot: chunks and head.
  const store = await open(keyedState(size));
  store.update((s) => void s.done++);
  let mark = counter.mark();
  const snapshotMs = await timeMs(() => store.flush());
  const snapshot = counter.since(mark);
  await idle(store);

  for (let i = 0; i < WARMUP; i++) {
    await pace(backend, counter);
    store.update((s) => void s.seen.set(keyOf(50_000_000 + i), true));
    await store.flush();
    await idle(store);
  }
  await settle();

  // Steady state: each write is one update then flush(); a compaction that follows is waited for
  // (status$ back to idle) and counted apart, so it falls in neither this write's time nor the next's.
  const writes: number[] = [];
  const perWrite: Traffic[] = [];
  const compactions: Array<{ ms: number; traffic: Traffic }> = [];
  let change = 0;
  for (let i = 0; i < WRITES; i++) {
    await pace(backend, counter);
    const k = keyOf(size + i);
    change = Math.max(change, changeBytes(k));
    mark = counter.mark();
    const start = performance.now();
    store.update((s) => void s.seen.set(k, true));
    await store.flush();
    writes.push(performance.now() - start);
    perWrite.push(counter.since(mark));
    if (store.getStatus().phase !== 'idle') {
      const after = counter.mark();
      const ms = await timeMs(() => idle(store));
      compactions.push({ ms, traffic: counter.since(after) });
    }
  }
  const finalState = store.getState();
  const plain = { done: finalState.done, seen: finalState.seen.toObject() };
  await store.close();
  await settle();

  // Open: the head, its chunks and the segments written since the compaction, against JSON.parse of the same state.
  const text = JSON.stringify(plain);
  const parses: number[] = [];
  for (let i = 0; i < 5; i++) parses.push(await timeMs(() => JSON.parse(text)));
  parses.sort((a, b) => a - b);
  const opens: number[] = [];
  let openTraffic: Traffic | undefined;
  for (let i = 0; i < (size >= 1_000_000 ? 2 : 3); i++) {
    await settle();
    await pace(backend, counter, 0);
    let reopened: Store | undefined;
    mark = counter.mark();
    opens.push(await timeMs(async () => void (reopened = await open({ done: 0, seen: new KeyedMap<true>() }))));
    openTraffic = counter.since(mark);
    if (reopened!.getState().seen.size !== finalState.seen.size)
      throw new Error(`W7 ${backend.name}: the state opened has ${reopened!.getState().seen.size} entries, ${finalState.seen.size} were stored`);
    await reopened!.close();
  }
  opens.sort((a, b) => a - b);
  const sorted = [...writes].sort((a, b) => a - b);
  const steady = perWrite.filter((t) => t.limited === 0);
  const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    size,
    [W7.write]: median(sorted),
    [W7.writeP95]: quantile(sorted, 0.95),
    [W7.sent]: mean(steady.map((t) => t.sent)),
    [W7.requests]: mean(steady.map((t) => t.requests)),
    [W7.change]: change,
    [W7.snapshotMs]: snapshotMs,
    [W7.snapshotSent]: MB(snapshot.sent),
    [W7.snapshotRequests]: snapshot.requests,
    [W7.compactions]: compactions.length,
    [W7.compactMs]: mean(compactions.map((c) => c.ms)),
    [W7.compactSent]: MB(mean(compactions.map((c) => c.traffic.sent))),
    [W7.compactRequests]: mean(compactions.map((c) => c.traffic.requests)),
    [W7.open]: median(opens),
    [W7.parse]: median(parses),
    [W7.openRequests]: openTraffic!.requests,
    [W7.openReceived]: MB(openTraffic!.received),
    [W7.limited]: counter.total().limited,
  };
}

type Each = (name: string, sizes: readonly number[], measure: (size: number) => Promise<Row>) => Promise<Row[]>;

/** Every backend at every size; one server per backend, started and stopped here. */
export async function w7Run(each: Each): Promise<Section> {
  const results: Array<{ name: BackendName; rows: Row[] }> = [];
  for (const name of W7_BACKENDS) {
    const backend = await startBackend(name);
    try {
      results.push({ name, rows: await each(`W7 ${name}`, W7_SIZES, (size) => w7Measure(backend, size)) });
    } finally {
      await backend.stop();
    }
  }
  return w7Section(results);
}

export function w7Section(results: ReadonlyArray<{ name: BackendName; rows: readonly Row[] }>): Section {
  const writeRows = results.flatMap(({ name, rows }) =>
    rows.map((r) => [
      name,
      r.size.toLocaleString('en'),
      r[W7.write],
      r[W7.writeP95],
      r[W7.sent],
      r[W7.requests],
      r[W7.snapshotMs],
      r[W7.snapshotSent],
      r[W7.snapshotRequests],
      r[W7.compactMs],
      r[W7.compactSent],
      r[W7.compactRequests],
      r[W7.limited],
    ]),
  );
  const openRows = results.flatMap(({ name, rows }) =>
    rows.map((r) => [
      name,
      r.size.toLocaleString('en'),
      r[W7.open],
      r[W7.parse],
      `${fmt(r[W7.open]! / r[W7.parse]!)}×`,
      r[W7.openRequests],
      r[W7.openReceived],
    ]),
  );
  const checks = results.flatMap(({ name, rows }) => {
    const [first, target] = [rows[0], rows.find((r) => r.size === TARGET_SIZE) ?? rows[rows.length - 1]];
    if (!first || !target || first === target) return [check(undefined, `W7 ${name}: needs two sizes`)];
    const budget = 2_048 + target[W7.change]!;
    return [
      check(
        target[W7.write]! <= 2 * first[W7.write]!,
        `W7 ${name} at ${target.size.toLocaleString('en')} entries: update + flush ${fmt(target[W7.write])} ms median, ${fmt(target[W7.write]! / first[W7.write]!)}× the same at ${first.size.toLocaleString('en')} (target ≤ 2×)`,
      ),
      check(
        target[W7.sent]! <= budget,
        `W7 ${name} at ${target.size.toLocaleString('en')} entries: ${fmt(target[W7.sent])} bytes sent per write in ${fmt(target[W7.requests])} requests (target ≤ 2 KB + the change, ${budget} B)`,
      ),
      ...rows
        .filter((r) => r.size >= TARGET_SIZE)
        .map((r) =>
          check(
            undefined,
            `W7 ${name} at ${r.size.toLocaleString('en')} entries: open ${fmt(r[W7.open])} ms = ${fmt(r[W7.open]! / r[W7.parse]!)}× JSON.parse (${fmt(r[W7.parse])} ms) with ${fmt(r[W7.openRequests])} requests (target ≤ 2× JSON.parse plus the round trips: judged by eye)`,
          ),
        ),
    ];
  });
  return {
    title: 'W7 remote: update one key until durable; open a stored state (Apify API server of the specs, real etcd, real Apache mod_dav; loopback)',
    body: [
      mdTable(
        [
          'backend',
          'entries',
          'write (ms, median)',
          'p95 (ms)',
          'sent per write (B)',
          'requests per write',
          'first snapshot (ms)',
          'snapshot sent (MB)',
          'snapshot requests',
          'compaction (ms)',
          'compaction sent (MB)',
          'compaction requests',
          '429 answers',
        ],
        writeRows,
      ),
      '',
      mdTable(['backend', 'entries', 'open (ms, median)', 'JSON.parse (ms)', 'open ÷ JSON.parse', 'open requests', 'open received (MB)'], openRows),
      '',
      `- **write**: \`store.update()\` of one new key in a \`KeyedMap\`, then \`await flush()\`: one journal segment. ${WRITES} writes after ${WARMUP} warm-up ones, following the first write (the whole snapshot, its own columns). The adapter compacts every 1,000 journal records (\`compactAfterRecords\`), so one compaction falls among them: it runs after the write that crossed the bound has resolved, and is waited for (\`status$\` back to \`idle\`) and counted apart (its own columns: it comes once per 1,000 writes).`,
      "- **sent**: every request counted by a wrapper around the adapter's `fetch` option: request line, headers (with `host` and `content-length`) and body, as HTTP/1.1 writes them. Requests answered 429 and retried are counted as sent; the write's mean leaves out writes that met a 429.",
      '- **Apify**: the server of the specs, which keeps the documented 200 requests a second per store (429 beyond); writes are paced at 100 requests a second, so the 429 column counts what a compaction or an open meets. The Apify store has no conditional writes: a write is its segment, then a read of the head (another writer would have changed it).',
      '- **open**: `createPersistentStore()` on a new adapter, of the state the writes left (the snapshot of the compaction and the segments written after it); **JSON.parse**: of the same state as a plain object, in memory. Median of 3 opens (2 at 1M).',
    ].join('\n'),
    checks,
  };
}
