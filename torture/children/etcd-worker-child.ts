// The concurrency scenario's etcd worker (torture/scenarios/6-concurrency.ts): one of several
// processes sharing one counter and one map in one etcd key through `onConflict: 'rebase'`.
// Waits for SIGUSR1 (so that all start together), then makes `count` updates, each flushed:
// the counter +1, its own tally +1, and one map entry "<worker>-<i>". Its HTTP goes through the
// fault proxy; with `lostRate` > 0 it also loses that share of the answers after the server
// acted on the request (a connection reset, or a timeout, once the write has landed).
// Prints "armed", then one JSON line at the end: {"type":"done", ...its counts}.
// argv: endpoint key count worker lostRate seed
import { EMPTY } from 'rxjs';
import { ConflictError, createPersistentStore, etcdDialect, KeyedMap, remoteKvAdapter, type FetchLike, type StorageAdapter } from '../../src/index.js';
import { random } from '../scenario.js';

const [endpoint, key, countArg, worker, lostArg, seedArg] = process.argv.slice(2) as [string, string, string, string, string, string];
const count = Number(countArg);
const lostRate = Number(lostArg);
const next = random(Number(seedArg));
const counts = { requests: 0, failed: 0, lostAnswers: 0, writes: 0, conflicts: 0, otherWriteErrors: 0, flushErrors: 0 };

const countingFetch: FetchLike = async (url, init) => {
  counts.requests++;
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    counts.failed++;
    throw error;
  }
  if (response.status === 429 || response.status >= 500) counts.failed++;
  else if (next() < lostRate) {
    await response.text();
    counts.lostAnswers++;
    counts.failed++;
    throw new TypeError('fetch failed (the connection was reset before the answer arrived)');
  }
  return response;
};
const remote = remoteKvAdapter({
  dialect: etcdDialect({ endpoint }),
  fetch: countingFetch,
  timeoutMs: 2_000,
  retries: 3,
  retryDelayMs: 10,
  maxRetryDelayMs: 500,
});
// Each ConflictError a write meets is one the store resolves by rebasing (catch up on the other
// writers' journal segments, re-apply, write again). A write is one segment append; a snapshot
// (the first write, compaction) is a `write`.
const counted = async (call: () => Promise<void>): Promise<void> => {
  counts.writes++;
  try {
    await call();
  } catch (error) {
    if (error instanceof ConflictError) counts.conflicts++;
    else counts.otherWriteErrors++;
    throw error;
  }
};
const adapter: StorageAdapter = {
  ...remote,
  write: (k, value) => counted(() => remote.write(k, value)),
  append: (k, records) => counted(() => remote.append!(k, records)),
};

interface Shared {
  readonly n: number;
  readonly by: Readonly<Record<string, number>>;
  readonly items: KeyedMap<number>;
}

await new Promise<void>((resolve) => {
  const keepAlive = setInterval(() => undefined, 1 << 30); // a signal listener alone does not keep Node running
  process.once('SIGUSR1', () => {
    clearInterval(keepAlive);
    resolve();
  });
  process.stdout.write('armed\n');
});
const store = await createPersistentStore<Shared>({
  key,
  initial: { n: 0, by: {}, items: new KeyedMap<number>() },
  adapter,
  events: EMPTY,
  onConflict: 'rebase',
  debounceMs: 0,
  maxWaitMs: 0,
});
for (let i = 0; i < count; i++) {
  store.update((s) => {
    s.n++;
    s.by[worker] = (s.by[worker] ?? 0) + 1;
    s.items.set(`${worker}-${i}`, i);
  });
  await store.flush().catch(() => void counts.flushErrors++); // not durable in 30 s: still pending, close() tries again
}
await store.close();
process.stdout.write(`${JSON.stringify({ type: 'done', worker, ...counts })}\n`);
