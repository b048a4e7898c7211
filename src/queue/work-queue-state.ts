import { KeyedMap } from '../store/keyed-map.js';

/** Where an item stands. `retrying`: pending again after a failure, once its backoff passes. */
export type WorkStatus = 'pending' | 'leased' | 'retrying' | 'done' | 'failed';

/**
 * One unit of work as the queue keeps it.
 *
 * @example
 * for (const item of queue.items()) {
 *   if (item.status === 'failed') console.error(`${item.id} failed ${item.failures} times: ${item.lastError}`);
 * }
 */
export interface WorkItem<T> {
  readonly id: string;
  readonly data: T;
  readonly status: WorkStatus;
  /** How many times a handler failed on it. */
  readonly failures: number;
  /** Leased: when the lease runs out; retrying: when it may be claimed again; else null. */
  readonly retryAt: number | null;
  readonly lastError: string | null;
  readonly result: unknown;
}

/** Counts by status, plus adds that were refused as duplicates. */
export interface QueueCounts {
  readonly pending: number;
  readonly leased: number;
  readonly retrying: number;
  readonly done: number;
  readonly failed: number;
  readonly duplicates: number;
}

/**
 * The persisted state of a queue. Every operation touches a few entries: `ready` is a FIFO of
 * claimable ids numbered `head`…`tail - 1`; `waiting` holds the leased and retrying ids with the
 * time they become claimable again, so claiming never scans the whole queue.
 */
export interface QueueState<T> {
  readonly items: KeyedMap<WorkItem<T>>;
  readonly ready: KeyedMap<string>;
  readonly head: number;
  readonly tail: number;
  readonly waiting: KeyedMap<number>;
  readonly counts: QueueCounts;
}

export function emptyQueue<T>(): QueueState<T> {
  return {
    items: new KeyedMap(),
    ready: new KeyedMap(),
    head: 0,
    tail: 0,
    waiting: new KeyedMap(),
    counts: { pending: 0, leased: 0, retrying: 0, done: 0, failed: 0, duplicates: 0 },
  };
}
