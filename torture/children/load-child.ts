// The load scenario's child (torture/scenarios/7-load.ts): a store on the file adapter, updated at
// a steady RATE updates per second for DURATION ms: each update overwrites one of KEYS KeyedMap
// entries (round-robin) and bumps two counters. Reports its own measurements as JSON lines on
// stdout, so that the harness disturbs nothing:
//   {"type":"sample",...}  every second: updates made, heap used, RSS, longest stall so far
//   {"type":"result",...}  at the end: rate, durability lags, writes, journal, memory after GC
// Started with --expose-gc (the memory after GC at the end of the warm-up and of the run).
// argv: dir durationMs rate keys debounceMs maxWaitMs warmupMs
import { promises as fs } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { EMPTY } from 'rxjs';
import { createPersistentStore, fileAdapter, KeyedMap, type StorageAdapter } from '../../src/index.js';
import type { JournalRecord } from '../../src/store/hydrate.js';
import { weighOps } from '../../src/store/journal-ops.js';
import { COMPACT_FRACTION } from '../../src/store/journal-writer.js';
import { freezeAndWeigh } from '../../src/store/revive.js';

const [dir, durationArg, rateArg, keysArg, debounceArg, maxWaitArg, warmupArg] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];
const DURATION = Number(durationArg);
const RATE = Number(rateArg);
const KEYS = Number(keysArg);
const WARMUP = Number(warmupArg);
const COUNTERS = 10;
const KEY = 'LOAD';
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const say = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

// The adapter, timed: every append (a write of the changes) and every snapshot (the first write,
// then compactions), and the journal's size in bytes and in ops after each append.
const file = fileAdapter({ dir });
const appends: number[] = [];
const snapshots: number[] = [];
let journalOps = 0;
let journalMaxOps = 0;
/** The journal's records in bytes (not its file's size: that has room of zeros past them, src/adapters/file-adapter.ts). */
let journalBytes = 0;
let journalMaxBytes = 0;
let largestRecordOps = 0;
/** Compaction is due once the journal weighs max(10,000, state / COMPACT_FRACTION) (src/store/journal-writer.ts). */
let threshold = 10_000;
let maxThreshold = 10_000;
let stateWeight = 0;
let snapshotBytes = 0;
/** Appends made to a journal that was already over the threshold: compaction should have come first. */
let appendsOverThreshold = 0;
const adapter: StorageAdapter = {
  ...file,
  async write(key, value) {
    const at = performance.now();
    await file.write(key, value);
    snapshots.push(performance.now() - at);
    stateWeight = freezeAndWeigh((value as { state: unknown }).state).values;
    threshold = Math.max(10_000, stateWeight / COMPACT_FRACTION);
    maxThreshold = Math.max(maxThreshold, threshold);
    journalOps = 0;
    journalBytes = 0;
    snapshotBytes = (await fs.stat(`${dir}/${KEY}.json`)).size;
  },
  async append(key, records) {
    const at = performance.now();
    await file.append!(key, records);
    appends.push(performance.now() - at);
    if (journalOps >= threshold) appendsOverThreshold++;
    const ops = records.reduce((sum: number, record) => sum + weighOps((record as JournalRecord).ops).values, 0);
    largestRecordOps = Math.max(largestRecordOps, ops);
    journalOps += ops;
    journalMaxOps = Math.max(journalMaxOps, journalOps);
    journalBytes += records.reduce((sum: number, record) => sum + Buffer.byteLength(JSON.stringify(record)) + 1, 0);
    journalMaxBytes = Math.max(journalMaxBytes, journalBytes);
  },
};

interface LoadState {
  readonly n: number;
  readonly counters: readonly number[];
  readonly items: KeyedMap<number>;
}
const store = await createPersistentStore<LoadState>({
  key: KEY,
  initial: { n: 0, counters: new Array<number>(COUNTERS).fill(0), items: new KeyedMap<number>() },
  adapter,
  debounceMs: Number(debounceArg),
  maxWaitMs: Number(maxWaitArg),
  events: EMPTY,
});
const keys = Array.from({ length: KEYS }, (_, k) => `item-${k}`);

// Durability lags: the time of update i (ring buffer), and on each status where fewer updates are
// pending than made, the lag of every update that just became durable, in a 0.1 ms histogram.
const RING = 1 << 18; // 26 s at 10,000/s: far more than any lag the bound allows
const madeAt = new Float64Array(RING);
const BUCKET_MS = 0.1;
const lagHistogram = new Uint32Array(600_000); // up to 60 s
let lagMax = 0;
let lagCount = 0;
let made = 0;
let durable = 0;
let ringOverflow = false;
store.status$.subscribe(({ pending, lastError }) => {
  if (lastError) say({ type: 'write-error', message: lastError.message });
  const nowDurable = made - pending;
  if (nowDurable <= durable) return;
  const now = performance.now();
  if (made - durable > RING) ringOverflow = true;
  for (let i = durable; i < nowDurable; i++) {
    const lag = now - madeAt[i % RING]!;
    lagHistogram[Math.min(lagHistogram.length - 1, Math.floor(lag / BUCKET_MS))]!++;
    if (lag > lagMax) lagMax = lag;
  }
  lagCount += nowDurable - durable;
  durable = nowDurable;
});
const lagQuantile = (q: number): number => {
  const want = Math.ceil(q * lagCount);
  let seen = 0;
  for (let b = 0; b < lagHistogram.length; b++) {
    seen += lagHistogram[b]!;
    if (seen >= want) return (b + 1) * BUCKET_MS;
  }
  return lagMax;
};

const update = (): void => {
  const i = made++; // counted first: the status the update publishes already counts it as pending
  madeAt[i % RING] = performance.now();
  store.update((s) => {
    s.items.set(keys[i % KEYS]!, i);
    s.n = i + 1;
    s.counters[i % COUNTERS]! += 1;
  });
};

// Paced: every 10 ms, as many updates as bring the count to RATE × elapsed (a late tick catches up).
const start = performance.now();
let lastTick = start;
let longestStall = 0;
let heapAfterWarmupGc = 0;
const samples: Array<{ t: number; made: number; heapUsed: number; rss: number }> = [];
await new Promise<void>((resolve) => {
  const tick = (): void => {
    const now = performance.now();
    longestStall = Math.max(longestStall, now - lastTick - 10);
    lastTick = now;
    const elapsed = Math.min(now - start, DURATION);
    const target = Math.floor((elapsed * RATE) / 1000);
    while (made < target) update();
    if (now - start >= DURATION) resolve();
    else setTimeout(tick, 10);
  };
  setTimeout(tick, 10);
  // Memory every second; at the end of the warm-up, once after a full GC (the baseline).
  let second = 0;
  const sampler = setInterval(() => {
    second++;
    const t = performance.now() - start;
    if (t >= DURATION) return clearInterval(sampler);
    if (second === Math.round(WARMUP / 1000)) {
      // As at the end: everything durable (no changes held for the next write), then a full GC.
      void store.flush().then(() => {
        gc();
        heapAfterWarmupGc = process.memoryUsage().heapUsed;
        lastTick = performance.now(); // the GC is ours, not a stall of the machine
      });
    }
    const { heapUsed, rss } = process.memoryUsage();
    const sample = { t, made, heapUsed, rss };
    samples.push(sample);
    say({ type: 'sample', ...sample, durable, longestStall });
  }, 1000);
});
const loadMs = performance.now() - start;
const flushStart = performance.now();
await store.flush();
const finalFlushMs = performance.now() - flushStart;
gc();
const heapAfterEndGc = process.memoryUsage().heapUsed;
const rssEnd = process.memoryUsage().rss;
await store.close();
say({
  type: 'result',
  made,
  loadMs,
  finalFlushMs,
  lag: { count: lagCount, median: lagQuantile(0.5), p99: lagQuantile(0.99), max: lagMax, ringOverflow },
  appends: { count: appends.length, slowest: Math.max(0, ...appends), median: appends.sort((a, b) => a - b)[appends.length >> 1] ?? 0 },
  snapshots: { count: snapshots.length, slowest: Math.max(0, ...snapshots), median: snapshots.sort((a, b) => a - b)[snapshots.length >> 1] ?? 0 },
  journal: { maxOps: journalMaxOps, maxBytes: journalMaxBytes, largestRecordOps, maxThreshold, stateWeight, snapshotBytes, appendsOverThreshold },
  memory: { heapAfterWarmupGc, heapAfterEndGc, rssEnd, samples },
  longestStall,
});
