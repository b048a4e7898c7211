import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { kill } from '../../spec/support/processes.js';
import { createPersistentStore, fileAdapter, KeyedMap } from '../../src/index.js';
import { COMPACT_FRACTION } from '../../src/store/journal-writer.js';
import { buildChildren } from '../children/build.js';
import type { Figure, Scenario } from '../scenario.js';

const MB = 1024 * 1024;
/**
 * The heap after a full GC may grow this much between the end of the warm-up and the end of the
 * run. Both points are measured the same way (everything flushed, then a full GC) and hold the
 * same state: all the keys are written in the first KEYS / RATE seconds, well inside the warm-up,
 * and later updates overwrite them with numbers of the same size. So the live heap should not
 * grow at all; 20 % leaves room for V8's layout of old space. On the ~14 MB this state takes, a
 * leak of 6 bytes per update (500,000 updates after the warm-up) already breaks it, and what
 * leaks in practice (a map version, an op, a status object kept per update) is 10× that.
 */
const HEAP_GROWTH_BOUND = 0.2;

interface Sample {
  readonly t: number;
  readonly made: number;
  readonly heapUsed: number;
  readonly rss: number;
}

interface Result {
  readonly made: number;
  readonly loadMs: number;
  readonly finalFlushMs: number;
  readonly lag: { count: number; median: number; p99: number; max: number; ringOverflow: boolean };
  readonly appends: { count: number; slowest: number; median: number };
  readonly snapshots: { count: number; slowest: number; median: number };
  readonly journal: {
    maxOps: number;
    maxBytes: number;
    largestRecordOps: number;
    maxThreshold: number;
    stateWeight: number;
    snapshotBytes: number;
    appendsOverThreshold: number;
  };
  readonly memory: { heapAfterWarmupGc: number; heapAfterEndGc: number; rssEnd: number; samples: Sample[] };
  readonly longestStall: number;
}

/** Least-squares slope of `y` over `t` (ms), in units of y per minute. */
function slopePerMinute(points: ReadonlyArray<{ t: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.y - my);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;
const ms = (value: number): string => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;

/**
 * A store on the file adapter under a steady load: RATE updates per second for DURATION, each
 * overwriting one of KEYS KeyedMap entries round-robin and bumping counters, with persistence on.
 * The store runs in a child process of its own (bundled, plain Node, --expose-gc), which measures
 * itself: the pace, the lag of each update until it is durable, every write, the journal, memory.
 * Afterwards the harness reopens the store and checks that every update is there.
 */
function load({ seconds = 60, rate = 10_000, keys = 50_000, debounceMs = 100, maxWaitMs = 500, warmupSeconds = 10 } = {}): Scenario {
  return {
    name: `Load: ${rate.toLocaleString('en')} updates/s for ${seconds} s on ${keys.toLocaleString('en')} keys (file adapter, debounce ${debounceMs} / maxWait ${maxWaitMs} ms)`,
    async run({ dir, log }) {
      const { 'load-child': childFile } = await buildChildren(['load-child']);
      const storeDir = path.join(dir, 'store');
      await mkdir(storeDir);
      const started = Date.now();
      let child: ChildProcess | undefined;
      let result: Result | undefined;
      const writeErrors: string[] = [];
      try {
        child = spawn(
          process.execPath,
          [
            '--expose-gc',
            childFile!,
            storeDir,
            String(seconds * 1000),
            String(rate),
            String(keys),
            String(debounceMs),
            String(maxWaitMs),
            String(warmupSeconds * 1000),
          ],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
        let stderr = '';
        let buffer = '';
        child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
        child.stdout!.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const lines = buffer.split('\n');
          buffer = lines.pop()!;
          for (const line of lines) {
            const message = JSON.parse(line) as { type: string } & Record<string, unknown>;
            if (message.type === 'sample') {
              const s = message as unknown as Sample & { durable: number; longestStall: number };
              if (Math.round(s.t / 1000) % 10 === 0) {
                log(
                  `${Math.round(s.t / 1000)} s: ${s.made.toLocaleString('en')} updates (${s.durable.toLocaleString('en')} durable), heap ${mb(s.heapUsed)}, RSS ${mb(s.rss)}, longest stall ${ms(s.longestStall)}`,
                );
              }
            } else if (message.type === 'write-error') {
              if (writeErrors.push(String(message.message)) <= 3) log(`write error: ${String(message.message)}`);
            } else if (message.type === 'result') {
              result = message as unknown as Result;
            }
          }
        });
        // The load, plus a minute for the start, the final flush and a loaded machine.
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, seconds * 1000 + 60_000, 'timeout').unref());
        const outcome = await Promise.race([exited, timeout]);
        if (outcome === 'timeout') throw new Error(`the load child did not finish within ${seconds + 60} s`);
        const [code, signal] = outcome;
        if (code !== 0 || result === undefined) throw new Error(`the load child ended with ${signal ?? code} and no result: ${stderr.slice(-2000)}`);
      } finally {
        if (child) await kill(child, 'SIGKILL');
      }
      const childMs = Date.now() - started;

      // What is on disk must be every update the child made.
      const reopenAt = Date.now();
      const store = await createPersistentStore<{ n: number; counters: number[]; items: KeyedMap<number> }>({
        key: 'LOAD',
        initial: { n: 0, counters: [], items: new KeyedMap<number>() },
        adapter: fileAdapter({ dir: storeDir }),
        events: EMPTY,
      });
      const restored = store.getState();
      const reopenMs = Date.now() - reopenAt;
      const expectedLastValue = (k: number): number => result!.made - 1 - ((result!.made - 1 - k) % keys);
      const wrongKeys = [0, 1, keys >> 1, keys - 1].filter((k) => restored.items.get(`item-${k}`) !== expectedLastValue(k)).length;
      const counterSum = restored.counters.reduce((a, b) => a + b, 0);
      await store.close();
      const missing =
        result.made - restored.n + (restored.items.size === Math.min(keys, result.made) ? 0 : 1) + (counterSum === result.made ? 0 : 1) + wrongKeys;
      log(`restored n = ${restored.n.toLocaleString('en')}, ${restored.items.size.toLocaleString('en')} keys, in ${reopenMs} ms`);

      const { lag, appends, snapshots, journal, memory } = result;
      const after = memory.samples.filter((s) => s.t >= warmupSeconds * 1000);
      const heap = after.map((s) => s.heapUsed);
      const rss = after.map((s) => s.rss);
      const heapSlope = slopePerMinute(after.map((s) => ({ t: s.t, y: s.heapUsed / MB })));
      const rssSlope = slopePerMinute(after.map((s) => ({ t: s.t, y: s.rss / MB })));
      const growth = memory.heapAfterEndGc / memory.heapAfterWarmupGc - 1;
      // Per-second pace, from the samples (each a second apart).
      const perSecond = memory.samples.slice(1).map((s, i) => ((s.made - memory.samples[i]!.made) * 1000) / (s.t - memory.samples[i]!.t));
      const achieved = (result.made * 1000) / result.loadMs;
      // The window: a change waits at most maxWaitMs for its write to be called for; that write may
      // wait for the one under way and the compaction that can follow it, then takes its own time.
      // Each write is bounded by the slowest one measured in this run; a machine too loaded to run
      // the child at all stretches everything by the longest stall the child saw.
      const window = maxWaitMs + 2 * appends.slowest + snapshots.slowest + result.longestStall;
      // Compaction is requested by the write that takes the journal to max(10,000, state / COMPACT_FRACTION) ops and
      // runs right after it, so the journal never exceeds that plus the one record that crossed it.
      const journalBound = Math.ceil(journal.maxThreshold) + journal.largestRecordOps;
      log(
        `writes: ${appends.count} appends (slowest ${ms(appends.slowest)}), ${snapshots.count} snapshots (slowest ${ms(snapshots.slowest)}); lag max ${ms(lag.max)} (window ${ms(window)})`,
      );

      const figures: Figure[] = [
        { name: 'updates made', value: result.made.toLocaleString('en') },
        {
          name: 'achieved rate (all updates / load time)',
          value: `${Math.round(achieved).toLocaleString('en')}/s; slowest second ${Math.round(Math.min(...perSecond)).toLocaleString('en')}/s`,
          must: `≥ ${(rate * 0.95).toLocaleString('en')}/s (95 % of the pace)`,
          ok: achieved >= rate * 0.95,
        },
        { name: 'updates missing after reopening the store', value: missing, must: '= 0', ok: missing === 0 },
        { name: 'lag update → durable, median / p99', value: `${ms(lag.median)} / ${ms(lag.p99)} (${lag.count.toLocaleString('en')} updates)` },
        {
          name: 'lag update → durable, max',
          value: ms(lag.max),
          must: `≤ ${ms(window)} (maxWait ${maxWaitMs} + 2 × slowest append + slowest snapshot + longest stall, of this run)`,
          ok: lag.max <= window && !lag.ringOverflow,
        },
        { name: 'writes: appends, median / slowest', value: `${appends.count}: ${ms(appends.median)} / ${ms(appends.slowest)}` },
        {
          name: 'writes: snapshots (first write + compactions), median / slowest',
          value: `${snapshots.count}: ${ms(snapshots.median)} / ${ms(snapshots.slowest)}`,
        },
        { name: 'longest stall of the child (event loop not run: GC, machine load)', value: ms(result.longestStall) },
        { name: 'final flush after the load', value: ms(result.finalFlushMs) },
        {
          name: 'journal, largest',
          value: `${journal.maxOps.toLocaleString('en')} ops, ${mb(journal.maxBytes)} (snapshot ${mb(journal.snapshotBytes)}, ${journal.stateWeight.toLocaleString('en')} values)`,
          must: `≤ ${journalBound.toLocaleString('en')} ops (max(10,000, state / ${COMPACT_FRACTION}) + the largest record, ${journal.largestRecordOps.toLocaleString('en')})`,
          ok: journal.maxOps <= journalBound && journal.appendsOverThreshold === 0,
        },
        {
          name: `heap used after warm-up (${warmupSeconds} s): start / end / max`,
          value: `${mb(heap[0] ?? 0)} / ${mb(heap.at(-1) ?? 0)} / ${mb(Math.max(...heap))}`,
        },
        { name: 'RSS after warm-up: start / end / max', value: `${mb(rss[0] ?? 0)} / ${mb(rss.at(-1) ?? 0)} / ${mb(Math.max(...rss))}` },
        { name: 'slope of heap used / RSS (least squares, 1 s samples)', value: `${heapSlope.toFixed(1)} / ${rssSlope.toFixed(1)} MB/min` },
        {
          name: 'heap after full GC: end of warm-up → end of run',
          value: `${mb(memory.heapAfterWarmupGc)} → ${mb(memory.heapAfterEndGc)} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %)`,
          must: `< +${HEAP_GROWTH_BOUND * 100} % (same state at both points)`,
          ok: growth < HEAP_GROWTH_BOUND,
        },
        { name: 'write errors', value: writeErrors.length, must: '= 0', ok: writeErrors.length === 0 },
        { name: 'reopen (restore + journal replay) after the run', value: `${reopenMs} ms; child ran ${(childMs / 1000).toFixed(1)} s` },
      ];
      return figures;
    },
  };
}

export default load({ seconds: Number(process.env.TORTURE_LOAD_SECONDS ?? 60) });
