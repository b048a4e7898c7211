import type { Draft } from 'immer';
import { filter, map, take, type Observable } from '../rx.js';
import { InvalidOptionError, errorMessage } from '../errors.js';
import { events$ } from '../events/event-source.js';
import { createPersistentStore } from '../store/create-persistent-store.js';
import type { PersistentStoreOptions } from '../store/store-options.js';
import { backoffDelay } from '../time/backoff.js';
import { assertDuration } from '../time/duration.js';
import { processQueue, type ProcessOptions, type ProcessResult } from './process-queue.js';
import { emptyQueue, type QueueCounts, type QueueState, type WorkItem, type WorkStatus } from './work-queue-state.js';

/**
 * Options of `createWorkQueue`: the key, the lease and retry rules, and the store options the
 * queue's store takes (`adapter`, `events`, `debounceMs`, `maxWaitMs`, `flushTimeoutMs`, `onConflict`).
 *
 * @example
 * const queue = await createWorkQueue<{ url: string }>({ key: 'FRONTIER', leaseMs: 120_000, maxAttempts: 5, backoff: (failures) => 2_000 * failures });
 */
export interface WorkQueueOptions<T> extends Pick<
  PersistentStoreOptions<QueueState<T>>,
  'adapter' | 'events' | 'debounceMs' | 'maxWaitMs' | 'flushTimeoutMs' | 'onConflict'
> {
  /** The storage key of the queue. */
  readonly key: string;
  /** How long a claim holds an item; after that it is claimable again (its worker is presumed dead). @default 60000 */
  readonly leaseMs?: number;
  /** Failures after which an item is `failed` for good. @default 3 */
  readonly maxAttempts?: number;
  /** Wait before a failed item may be claimed again, by failure count (1, 2, …). @default 1 s doubling, at most 5 min */
  readonly backoff?: (failures: number) => number;
  /**
   * This process is the queue's only worker: leases left by an earlier run (killed before it could
   * give them back) are released when the queue opens, first in line, instead of waiting out
   * `leaseMs`. Never set it where several processes share the queue: it would take their items.
   * @default false
   */
  readonly onlyWorker?: boolean;
  /** The clock, in epoch ms (for tests). @default Date.now */
  readonly now?: () => number;
}

/**
 * How many items are in each status, how many adds were duplicates, and the pace of this process.
 *
 * @example
 * queue.stats$.subscribe(({ done, pending, leased, ratePerSecond }: QueueStats) => console.log(`${done} done, ${pending + leased} to go, ${ratePerSecond.toFixed(1)}/s`));
 */
export interface QueueStats extends QueueCounts {
  /** Items done per second since this queue was opened (by this process). */
  readonly ratePerSecond: number;
}

/**
 * A queue of work items with leases, kept in a store of its own. Read it through `get`, `items`,
 * `getStats` and `stats$`; change it only through its operations, which keep its bookkeeping in step.
 *
 * @example
 * const queue: WorkQueue<{ url: string }> = await createWorkQueue({ key: 'FRONTIER' });
 * queue.add([{ url }], { uniqueKey: (item) => item.url });
 * await lastValueFrom(queue.process((item) => crawl(item.data.url), { concurrency: 4 }), { defaultValue: undefined });
 * const { done, failed } = queue.getStats();
 */
export interface WorkQueue<T> {
  /** `true` when the queue came from storage (a restart), `false` when it started empty. */
  readonly restored: boolean;
  /** Adds items; an item whose `uniqueKey` is already known is not added again, only counted. */
  add(items: readonly T[], options: { uniqueKey: (item: T) => string }): { added: number; duplicates: number };
  /** Leases up to `n` due items in one atomic step, durable before it resolves. */
  claim(n: number): Promise<WorkItem<T>[]>;
  /** Marks a claimed item done (idempotent). */
  complete(id: string, result?: unknown): void;
  /** Records a failure: retried with backoff until `maxAttempts`, then `failed` with the error. */
  fail(id: string, error: unknown): void;
  /** Gives a lease back: the item is claimable again at once, first in line. */
  release(id: string): void;
  /** The item with this id, as it stands now. */
  get(id: string): WorkItem<T> | undefined;
  /** Every item, as it stands now, in no particular order. */
  items(): IterableIterator<WorkItem<T>>;
  /**
   * Runs `handler` over the queue, `concurrency` at a time; completes when drained. Stops claiming
   * on `migrating`/`aborting`, lets running handlers finish in the time left, releases the rest.
   */
  process(handler: (item: WorkItem<T>) => Promise<unknown>, options?: ProcessOptions): Observable<ProcessResult>;
  /** The counts now. */
  getStats(): QueueStats;
  /** The counts, now and at each change. */
  readonly stats$: Observable<QueueStats>;
  /** Emits once and completes when nothing is pending, leased or retrying. */
  readonly drained$: Observable<void>;
  /** Resolves when every change so far is durable (see `PersistentStore.flush`). */
  flush(): Promise<void>;
  /** Writes what is left, then releases the queue's store. */
  close(): Promise<void>;
}

const drained = (c: QueueCounts): boolean => c.pending + c.leased + c.retrying === 0;

const defaultBackoff = (failures: number): number => backoffDelay(failures - 1, { initialMs: 1_000, maxMs: 300_000 });

/**
 * A resumable work queue with leases, persisted by a store (same adapters, journal and events).
 * Claiming moves an item's `retryAt` into the future in one atomic update: a worker that dies
 * needs no clean-up, its lease simply runs out. Handlers run at least once: an item whose handler
 * was running at a crash is claimed again.
 *
 * @example
 * const queue = await createWorkQueue<{ url: string }>({ key: 'FRONTIER' });
 * queue.add([{ url }], { uniqueKey: (i) => i.url });
 * for (const item of await queue.claim(5)) { await crawl(item.data.url); queue.complete(item.id); }
 */
export async function createWorkQueue<T>(options: WorkQueueOptions<T>): Promise<WorkQueue<T>> {
  const leaseMs = options.leaseMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const backoff = options.backoff ?? defaultBackoff;
  const now = options.now ?? Date.now;
  assertDuration('leaseMs', leaseMs);
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) throw new InvalidOptionError('maxAttempts', `expected an integer ≥ 1, got ${String(maxAttempts)}`);
  const { key, leaseMs: _l, maxAttempts: _m, backoff: _b, now: _n, onlyWorker, ...storeOptions } = options;
  const store = await createPersistentStore<QueueState<T>>({ ...storeOptions, key, initial: emptyQueue<T>() });
  const openedAt = now();
  const doneAtOpen = store.getState().counts.done;

  /** Changes an item's status, keeping counts, `waiting` and `ready` in step. `front`: first in line. */
  const move = (d: Draft<QueueState<T>>, item: WorkItem<T>, status: WorkStatus, changes: Partial<WorkItem<T>> = {}, front = false): void => {
    const counts = d.counts as { -readonly [K in keyof QueueCounts]: number };
    counts[item.status as keyof QueueCounts]--;
    counts[status as keyof QueueCounts]++;
    d.items.set(item.id, { ...item, ...changes, status } as never);
    if (status === 'leased' || status === 'retrying') d.waiting.set(item.id, changes.retryAt ?? item.retryAt ?? 0);
    else d.waiting.delete(item.id);
    if (status === 'pending') d.ready.set(String(front ? --d.head : d.tail++), item.id);
  };
  const itemIn = (d: Draft<QueueState<T>>, id: string) => d.items.get(id) as WorkItem<T> | undefined;

  if (onlyWorker && store.getState().counts.leased > 0) {
    store.update((d) => {
      for (const [id] of d.waiting.entries()) {
        const item = itemIn(d, id);
        if (item?.status === 'leased') move(d, item, 'pending', { retryAt: null }, true);
      }
    });
  }

  /** Leases up to `n` due items in one update, durable before it resolves. */
  const claimOnce = async (n: number): Promise<WorkItem<T>[]> => {
    let claimed: WorkItem<T>[] = [];
    store.update((d) => {
      claimed = []; // the recipe may run again (onConflict 'rebase'): only its last run counts
      const at = now();
      for (const [id, until] of d.waiting.entries()) {
        if (until > at) continue;
        const item = itemIn(d, id);
        if (item) move(d, item, 'pending', { retryAt: null });
      }
      while (claimed.length < n && d.head < d.tail) {
        const position = String(d.head++);
        const id = d.ready.get(position);
        d.ready.delete(position);
        const item = id === undefined ? undefined : itemIn(d, id);
        if (item?.status !== 'pending') continue; // released or completed meanwhile
        move(d, item, 'leased', { retryAt: at + leaseMs });
        claimed.push(itemIn(d, item.id)!);
      }
    });
    await store.flush();
    return claimed;
  };

  const statsOf = (counts: QueueCounts): QueueStats => ({ ...counts, ratePerSecond: (counts.done - doneAtOpen) / Math.max(0.001, (now() - openedAt) / 1000) });

  const queue: WorkQueue<T> = {
    restored: store.restored,
    add(items, { uniqueKey }) {
      let added = 0;
      let duplicates = 0;
      store.update((d) => {
        added = 0;
        duplicates = 0;
        for (const data of items) {
          const id = uniqueKey(data);
          if (d.items.has(id)) {
            duplicates++;
            continue;
          }
          d.items.set(id, { id, data, status: 'pending', failures: 0, retryAt: null, lastError: null, result: null } as never);
          d.ready.set(String(d.tail++), id);
          added++;
        }
        d.counts.pending += added;
        d.counts.duplicates += duplicates;
      });
      return { added, duplicates };
    },
    async claim(n) {
      const claimed = await claimOnce(n);
      if (claimed.length > 0) return claimed;
      // Nothing due here: other workers sharing the key may have changed it (a no-op when locked).
      await store.refresh();
      return claimOnce(n);
    },
    complete(id, result = null) {
      store.update((d) => {
        const item = itemIn(d, id);
        if (item && item.status !== 'done' && item.status !== 'failed') move(d, item, 'done', { retryAt: null, result });
      });
    },
    fail(id, error) {
      store.update((d) => {
        const item = itemIn(d, id);
        if (!item || item.status === 'done' || item.status === 'failed') return;
        const failures = item.failures + 1;
        const lastError = errorMessage(error);
        if (failures >= maxAttempts) move(d, item, 'failed', { failures, lastError, retryAt: null });
        else move(d, item, 'retrying', { failures, lastError, retryAt: now() + backoff(failures) });
      });
    },
    release(id) {
      store.update((d) => {
        const item = itemIn(d, id);
        if (item?.status === 'leased') move(d, item, 'pending', { retryAt: null }, true);
      });
    },
    get: (id) => store.getState().items.get(id),
    items: () => store.getState().items.values(),
    getStats: () => statsOf(store.getState().counts),
    process: (handler, processOptions) =>
      processQueue(
        {
          claim: (n) => queue.claim(n),
          complete: (id, result) => queue.complete(id, result),
          fail: (id, error) => queue.fail(id, error),
          release: (id) => queue.release(id),
          isDrained: () => drained(store.getState().counts),
          flush: () => store.flush(),
        },
        handler,
        options.events ?? events$,
        processOptions,
      ),
    stats$: store.select((s) => s.counts).pipe(map(statsOf)),
    drained$: store
      .select((s) => s.counts)
      .pipe(
        filter(drained),
        take(1),
        map(() => undefined),
      ),
    flush: () => store.flush(),
    close: () => store.close(),
  };
  return queue;
}
