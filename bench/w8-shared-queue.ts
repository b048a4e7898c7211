// W8 shared queue: a work queue in real etcd shared by 4 worker processes (bench/w8-worker.ts),
// each claiming one item and completing it until the queue is drained.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EMPTY } from 'rxjs';
import { createWorkQueue, etcdDialect, remoteKvAdapter } from '../src/index.js';
import { startEtcd } from '../spec/support/etcd-server.js';
import { fmt, median, quantile, sizeLabel, tempDir, timeMs, type Row } from './harness.js';
import { check, mdTable, type Section } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const W8_WORKERS = 4;
/** `BENCH_QUEUE_SIZES=1000,100000` overrides. */
export const W8_SIZES: readonly number[] = (process.env.BENCH_QUEUE_SIZES ?? '1000,100000').split(',').map((s) => Number(s.trim().replace(/_/g, '')));
/**
 * Claims timed per run, over all workers (each stops after its quarter): 4 workers drain about 30
 * items a second here (a claim is an fsync'd etcd write, and the key takes one at a time), so
 * 100,000 items would take an hour. `BENCH_QUEUE_CLAIMS=100000` drains them all.
 */
export const W8_CLAIMS = Number(process.env.BENCH_QUEUE_CLAIMS ?? 2_000);
/** etcd keeps this many revisions of history: every write replaces the head, and a compaction writes the whole queue again. */
export const W8_ETCD = { autoCompactionRevisions: 1_000, quotaBackendBytes: 8 * 2 ** 30 } as const;

export const W8 = {
  claims: 'claims timed',
  claimComplete: 'claim + complete (ms, median)',
  p95: 'p95 (ms)',
  perSecond: 'claims/s (all workers)',
  wall: 'run (s)',
  fill: 'fill (s)',
  spread: 'fewest ÷ most claims of a worker',
} as const;

interface WorkerResult {
  readonly pid: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly ids: readonly string[];
  readonly latencies: readonly number[];
}

function startWorker(endpoint: string, key: string, file: string, quota: number): { child: ChildProcess; ready: Promise<void>; done: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'w8-worker.ts'), endpoint, key, file, String(quota)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const line = (text: string) =>
    new Promise<void>((resolve, reject) => {
      lines.on('line', (l) => l === text && resolve());
      child.once('exit', (code) => reject(new Error(`W8 worker ${child.pid} exited with ${code} before "${text}": ${stderr.slice(-2_000)}`)));
    });
  return { child, ready: line('ready'), done: line('done') };
}

export async function w8Measure(endpoint: string, size: number): Promise<Row> {
  const { dir, remove } = tempDir('w8');
  const key = `W8-${sizeLabel(size)}-${Date.now().toString(36)}`;
  const adapter = () => remoteKvAdapter({ dialect: etcdDialect({ endpoint }), timeoutMs: 60_000 });
  const workers: ReturnType<typeof startWorker>[] = [];
  try {
    const fill = await timeMs(async () => {
      const queue = await createWorkQueue<{ n: number }>({ key, adapter: adapter(), events: EMPTY, flushTimeoutMs: 600_000 });
      queue.add(
        Array.from({ length: size }, (_, n) => ({ n })),
        { uniqueKey: (item) => String(item.n) },
      );
      await queue.close();
    });
    for (let i = 0; i < W8_WORKERS; i++)
      workers.push(startWorker(endpoint, key, path.join(dir, `worker-${i}.json`), Math.ceil(Math.min(size, W8_CLAIMS) / W8_WORKERS)));
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin!.end('go\n');
    await Promise.all(workers.map((w) => w.done));
    await Promise.all(workers.map((w) => (w.child.exitCode === null ? once(w.child, 'exit') : Promise.resolve())));
    const results = workers.map((_, i) => JSON.parse(readFileSync(path.join(dir, `worker-${i}.json`), 'utf8')) as WorkerResult);

    // Every item claimed by one worker only, and done in the queue stored; the others still pending.
    const claimed = results.flatMap((r) => r.ids);
    const unique = new Set(claimed);
    const expected = Math.min(size, W8_CLAIMS);
    const queue = await createWorkQueue<{ n: number }>({ key, adapter: adapter(), events: EMPTY });
    const counts = queue.getStats();
    const wrong = [...queue.items()].filter((item) => item.status !== (unique.has(item.id) ? 'done' : 'pending')).length;
    await queue.close();
    if (claimed.length < expected || unique.size !== claimed.length || counts.done !== unique.size || wrong !== 0) {
      throw new Error(
        `W8 at ${size} items: ${claimed.length} claims of ${unique.size} distinct items by ${W8_WORKERS} workers (expected ${expected}, each once); stored: ${counts.done} done, ${wrong} in the wrong state`,
      );
    }
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const seconds = (Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt))) / 1_000;
    const shares = results.map((r) => r.ids.length);
    return {
      size,
      [W8.claimComplete]: median(latencies),
      [W8.p95]: quantile(latencies, 0.95),
      [W8.claims]: claimed.length,
      [W8.perSecond]: claimed.length / seconds,
      [W8.wall]: seconds,
      [W8.fill]: fill / 1_000,
      [W8.spread]: Math.min(...shares) / Math.max(...shares),
    };
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    remove();
  }
}

type Each = (name: string, sizes: readonly number[], measure: (size: number) => Promise<Row>) => Promise<Row[]>;

export async function w8Run(each: Each): Promise<Section> {
  const etcd = await startEtcd(W8_ETCD);
  try {
    return w8Section(await each('W8', W8_SIZES, (size) => w8Measure(etcd.url, size)));
  } finally {
    await etcd.stop();
  }
}

export function w8Section(rows: readonly Row[]): Section {
  const [first, last] = [rows[0]!, rows[rows.length - 1]!];
  const columns = Object.values(W8);
  return {
    title: `W8 shared work queue: ${W8_WORKERS} worker processes on one queue in real etcd, claim one item and complete it`,
    body: [
      mdTable(
        ['items', ...columns],
        rows.map((r) => [r.size.toLocaleString('en'), ...columns.map((c) => r[c])]),
      ),
      '',
      `- Each worker (\`bench/w8-worker.ts\`, its own Node process) opens the queue (\`createWorkQueue\`, \`onConflict: 'rebase'\`, \`debounceMs: 0\`) on the etcd dialect, waits until all are open, then loops \`claim(1)\` (durable before it resolves: one journal segment, put-if-absent) and \`complete(id)\` (written with the next claim) until it made its share of the claims timed (or a claim finds nothing). **claim + complete**: the time of one turn of that loop, over every item of every worker; **claims/s**: claims ÷ the time from the first worker's start to the last one's end (its final write included). The items are added and stored (a snapshot in chunks) before the workers start (**fill**).`,
      `- ${W8_CLAIMS.toLocaleString('en')} claims a run at most (\`BENCH_QUEUE_CLAIMS\`): at 100,000 items the queue is not drained (about an hour at the rate measured). Checked after each run: every item claimed exactly once over all workers, \`done\` in the queue read back from etcd, and every item not claimed still \`pending\`.`,
      `- etcd 3.4 started with \`--auto-compaction-mode=revision --auto-compaction-retention=${W8_ETCD.autoCompactionRevisions}\` and \`--quota-backend-bytes=${W8_ETCD.quotaBackendBytes}\` (8 GiB): every claim replaces nothing but adds a segment, and every 1,000 segments a compaction writes the whole queue again in chunks, so without compaction of etcd's history the database grows by the queue's size each time.`,
    ].join('\n'),
    checks: [
      check(
        rows.length > 1 ? last[W8.claimComplete]! <= 2 * first[W8.claimComplete]! : undefined,
        `W8 claim + complete at ${last.size.toLocaleString('en')} items: ${fmt(last[W8.claimComplete])} ms median, ${fmt(last[W8.claimComplete]! / first[W8.claimComplete]!)}× the same at ${first.size.toLocaleString('en')} (target ≤ 2×); ${fmt(last[W8.perSecond])} claims/s over ${W8_WORKERS} workers`,
      ),
    ],
  };
}
