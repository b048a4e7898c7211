import { performance } from 'node:perf_hooks';
import { EMPTY, filter, firstValueFrom, timeout } from 'rxjs';
import {
  ConflictError,
  createPersistentStore,
  etcdDialect,
  FlushError,
  KeyedMap,
  remoteKvAdapter,
  type FetchLike,
  type PersistentStore,
  type StorageAdapter,
} from '../../src/index.js';
import { ETCD_BINARY, startEtcd } from '../../spec/support/etcd-server.js';
import { startFaultProxy, type Fault } from '../../spec/support/fault-proxy.js';
import { requireBinary } from '../../spec/support/server-binaries.js';
import { random, type Figure, type Scenario } from '../scenario.js';

interface FaultState {
  readonly n: number;
  readonly sum: number;
  readonly items: KeyedMap<number>;
}

const initial = (): FaultState => ({ n: 0, sum: 0, items: new KeyedMap<number>() });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
// 'lost': the request reaches etcd and acts, then its answer is lost (a reset after the write landed).
const FAULTS: readonly Fault[] = ['drop', 'stall', '503', '429', 'lost'];

/**
 * A store on the remote KV adapter (etcd dialect) against a real etcd on 127.0.0.1, behind the
 * fault proxy of spec/support/fault-proxy.ts, which drops, stalls or answers 503 / 429 instead of
 * forwarding, or forwards and then loses etcd's answer, at each of several rates. The key is a
 * log (head, snapshot, one journal segment per write): a write whose answer was lost must be
 * recognised by its own segment when retried, never taken for another writer's. At each rate a fresh store makes `updates` updates (a
 * counter, a running sum and one KeyedMap entry each), flushing every `flushEvery` of them with a
 * deadline, then `tail` more left to the debounce, so that the faults stop while it is behind. The
 * scenario measures how long the store then takes, by itself (no flush to cut its backoff short),
 * to be idle with everything durable; a fresh store, straight on etcd, must then read back exactly
 * the expected state. HTTP requests are counted by a wrapping fetch, the store's write attempts
 * by a wrapping adapter (appends and snapshots). One writer per key: a ConflictError would be
 * spurious, and so would an error status left once the faults stop.
 */
function remoteFaults({ rates = [0, 0.1, 0.3, 0.5], updates = 200, tail = 150, flushEvery = 4, timeoutMs = 500, flushTimeoutMs = 5_000 } = {}): Scenario {
  // After the faults stop, a store may be: waiting out a stalled request (timeoutMs), then the
  // adapter's short backoff; or waiting out its own backoff (at most 10 s, src/store/persistence-pipeline.ts).
  // Then one write. The slack covers a loaded machine; nothing here is a tight timing.
  const convergeBoundMs = 10_000 + 2 * timeoutMs + 5_000;
  return {
    name: `Remote faults: a store on a real etcd (log layout) behind a proxy that drops, stalls, answers 503 or 429, or loses answers after etcd acted (${rates.map((r) => `${r * 100} %`).join(', ')})`,
    async run({ log, seed }) {
      if (!requireBinary(ETCD_BINARY, 'etcd-server').available) {
        return [{ name: 'etcd', value: `${ETCD_BINARY} is missing (apt-get install etcd-server)`, must: 'installed', ok: false }];
      }
      const figures: Figure[] = [];
      const stores = new Set<PersistentStore<FaultState>>();
      let etcd: Awaited<ReturnType<typeof startEtcd>> | undefined;
      let proxy: Awaited<ReturnType<typeof startFaultProxy>> | undefined;
      let spuriousConflicts = 0;
      /** Stores not idle once the faults had stopped and the convergence bound passed. */
      const stuckErrors: string[] = [];
      let flushTimeouts = 0;
      const unclear: string[] = [];
      try {
        etcd = await startEtcd();
        log(`etcd ${etcd.url} (pid ${etcd.pid})`);
        proxy = await startFaultProxy(etcd.url, random(seed));
        log(`fault proxy ${proxy.url}`);
        const next = random(seed ^ 0x5eed);
        const prefix = `torture-${seed}-`;

        for (const rate of rates) {
          const label = `${rate * 100} %`;
          const key = `FAULTS-${Math.round(rate * 100)}`;
          const http = { requests: 0, failed: 0 };
          const writes = { attempted: 0, failed: 0 };
          // Every HTTP request the adapter makes (first attempts and its own retries), and those that failed.
          const countingFetch: FetchLike = async (url, init) => {
            http.requests++;
            try {
              const response = await fetch(url, init);
              if (response.status === 429 || response.status >= 500) http.failed++;
              return response;
            } catch (error) {
              http.failed++;
              throw error;
            }
          };
          const remote = remoteKvAdapter({
            dialect: etcdDialect({ endpoint: proxy.url, prefix }),
            fetch: countingFetch,
            timeoutMs,
            retries: 2,
            retryDelayMs: 20,
            maxRetryDelayMs: 1_000,
          });
          // Every write the store attempts; a failed one is retried by the store with its backoff.
          const counted = async (call: () => Promise<void>): Promise<void> => {
            writes.attempted++;
            try {
              await call();
            } catch (error) {
              writes.failed++;
              if (error instanceof ConflictError) spuriousConflicts++; // one writer: nobody else wrote
              throw error;
            }
          };
          // A write is an append of one journal segment; a snapshot (first write, compaction) a write.
          const adapter: StorageAdapter = {
            ...remote,
            write: (k, value) => counted(() => remote.write(k, value)),
            append: (k, records) => counted(() => remote.append!(k, records)),
          };
          const store = await createPersistentStore<FaultState>({
            key,
            initial: initial(),
            adapter,
            events: EMPTY,
            debounceMs: 10,
            maxWaitMs: 50,
            flushTimeoutMs: 30_000,
          });
          stores.add(store);
          let errorPhases = 0;
          const watching = store.status$.subscribe((status) => void (status.phase === 'error' && errorPhases++));
          const before = { ...proxy.counts };

          proxy.inject(rate, FAULTS);
          const started = performance.now();
          for (let i = 0; i < updates; i++) {
            store.update((s) => {
              s.n += 1;
              s.sum += i;
              s.items.set(`id-${i}`, i);
            });
            if ((i + 1) % flushEvery === 0) {
              await store.flush({ timeoutMs: flushTimeoutMs }).catch((error: unknown) => {
                if (error instanceof FlushError) flushTimeouts++;
                else unclear.push(`${label}: flush rejected with ${String(error)}`);
              });
            } else {
              await sleep(1 + next() * 4);
            }
          }
          // A tail of updates left to the debounce, so that the faults stop while the store is behind
          // (a request in flight or stalled, or a retry's backoff under way).
          for (let i = updates; i < updates + tail; i++) {
            store.update((s) => {
              s.n += 1;
              s.sum += i;
              s.items.set(`id-${i}`, i);
            });
            await sleep(2 + next() * 6);
          }
          const faulty = performance.now() - started;
          // The faults stop; the store must get everything durable on its own.
          proxy.inject(0);
          const stoppedAt = performance.now();
          const atStop = store.getStatus();
          const converged = await firstValueFrom(
            store.status$.pipe(
              filter((s) => s.phase === 'idle' && s.pending === 0),
              timeout(convergeBoundMs * 2),
            ),
          ).then(
            () => performance.now() - stoppedAt,
            () => undefined,
          );
          watching.unsubscribe();
          const endStatus = store.getStatus();
          if (endStatus.phase !== 'idle') stuckErrors.push(`${label}: ${endStatus.phase} (${String(endStatus.lastError)})`);
          await store.close().catch((error: unknown) => unclear.push(`${label}: close rejected with ${String(error)}`));
          stores.delete(store);
          const injected = FAULTS.map((fault) => proxy!.counts[fault] - before[fault]);

          // Read back by a fresh store, straight from etcd.
          const check = await createPersistentStore<FaultState>({
            key,
            initial: initial(),
            adapter: remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url, prefix }) }),
            events: EMPTY,
          });
          const got = check.getState();
          await check.close();
          const total = updates + tail;
          let lost = 0;
          for (let i = 0; i < total; i++) if (got.items.get(`id-${i}`) !== i) lost++;
          const exact = check.restored && got.n === total && got.sum === (total * (total - 1)) / 2 && got.items.size === total;
          if (!exact || lost > 0)
            log(`${label}: read back n ${got.n}, sum ${got.sum}, ${got.items.size} entries, ${lost} updates missing (expected n ${total})`);

          const convergedText = converged === undefined ? `not within ${(convergeBoundMs * 2) / 1000} s` : `${Math.round(converged)} ms`;
          log(
            `${label}: ${total} updates in ${(faulty / 1000).toFixed(1)} s; ${writes.attempted} writes (${writes.failed} failed), ${http.requests} requests (${http.failed} failed); ` +
              `faults ${injected.join('/')}; ${errorPhases} error statuses; at the stop ${atStop.phase} with ${atStop.pending} pending; converged in ${convergedText}`,
          );
          figures.push(
            { name: `${label}: writes attempted (segment appends + snapshots / HTTP requests)`, value: `${writes.attempted} / ${http.requests}` },
            {
              name: `${label}: retried (failed appends + snapshots / failed HTTP requests; drop, stall, 503, 429, answer lost injected)`,
              value: `${writes.failed} / ${http.failed} (${injected.join(', ')})`,
            },
            {
              name: `${label}: updates lost (a fresh store must read back exactly the ${total} updates)`,
              value: exact && lost === 0 ? 0 : `${lost} missing; read back n ${got.n}, sum ${got.sum}, ${got.items.size} entries`,
              must: '= 0',
              ok: exact && lost === 0,
            },
            {
              name: `${label}: time to converge once the faults stop (idle, all durable; ${atStop.pending} updates pending, ${atStop.phase}, at the stop)`,
              value: convergedText,
              must: `≤ ${convergeBoundMs / 1000} s`,
              ok: converged !== undefined && converged <= convergeBoundMs,
            },
          );
        }
      } finally {
        proxy?.inject(0);
        for (const store of stores) await store.close().catch(() => undefined);
        await proxy?.stop();
        await etcd?.stop(); // by PID, then its data folder
      }
      figures.push(
        { name: `flushes not durable within ${flushTimeoutMs / 1000} s (FlushError, retried on)`, value: flushTimeouts },
        { name: 'spurious conflicts (one writer, nobody else wrote)', value: spuriousConflicts, must: '= 0', ok: spuriousConflicts === 0 },
        {
          name: 'stores left in an error status once the faults stopped (a permanent ConflictError or other)',
          value: stuckErrors.length === 0 ? 0 : stuckErrors.join('; '),
          must: '= 0',
          ok: stuckErrors.length === 0,
        },
        {
          name: 'errors other than FlushError from flush() or close()',
          value: unclear.length === 0 ? 0 : unclear.join('; '),
          must: '= 0',
          ok: unclear.length === 0,
        },
      );
      return figures;
    },
  };
}

export default remoteFaults();
