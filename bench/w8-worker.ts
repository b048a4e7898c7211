// One of W8's worker processes: opens the shared queue in etcd, waits for "go" on stdin, then
// claims one item and completes it until none is left; writes what it did as JSON to a file.
// argv: endpoint key resultFile quota (stops after that many claims)
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { EMPTY } from 'rxjs';
import { createWorkQueue, etcdDialect, remoteKvAdapter } from '../src/index.js';

const [endpoint, key, resultFile, quota] = process.argv.slice(2) as [string, string, string, string];
const queue = await createWorkQueue<{ n: number }>({
  key,
  adapter: remoteKvAdapter({ dialect: etcdDialect({ endpoint }), retryDelayMs: 5, timeoutMs: 60_000 }),
  events: EMPTY,
  onConflict: 'rebase',
  debounceMs: 0,
  maxWaitMs: 0,
  flushTimeoutMs: 600_000,
  leaseMs: 600_000, // a claim is never taken back from a live worker within the run
});
console.log('ready');
const go = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => go.once('line', () => resolve()));
go.close(); // stdin open would keep this process alive

const startedAt = performance.timeOrigin + performance.now();
const ids: string[] = [];
const latencies: number[] = [];
while (ids.length < Number(quota)) {
  const start = performance.now();
  const [item] = await queue.claim(1);
  if (!item) break;
  queue.complete(item.id);
  latencies.push(performance.now() - start);
  ids.push(item.id);
}
await queue.close(); // the last completion is written here
const endedAt = performance.timeOrigin + performance.now();
writeFileSync(resultFile, JSON.stringify({ pid: process.pid, startedAt, endedAt, ids, latencies }));
console.log('done');
