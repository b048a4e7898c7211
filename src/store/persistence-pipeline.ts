import { audit, BehaviorSubject, defer, EMPTY, innerFrom, merge, race, retry, Subject, take, takeUntil, timer, catchError } from '../rx.js';
import { isRetryable } from '../adapters/storage-adapter.js';
import { FlushError, asError } from '../errors.js';
import { backoffDelay } from '../time/backoff.js';
import { assertDuration } from '../time/duration.js';
import { debounceWithMaxWait } from './debounce-with-max-wait.js';
import type { PersistenceStatus } from './persistence-status.js';
import { singleFlight } from './single-flight.js';

export interface PipelineOptions {
  readonly key: string;
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  /** Writes the current state durably; called with nothing else in flight. */
  readonly write: () => Promise<void>;
  /** Housekeeping (compaction) run in the writer's turn, once everything is written. */
  readonly maintain: () => Promise<void>;
}

/** Backoff between retries of a failed write (`attempt` from 1): 100 ms, doubling, at most 10 s. */
export const retryDelayMs = (attempt: number): number => backoffDelay(attempt - 1, { initialMs: 100, maxMs: 10_000 });

/**
 * The persistence pipeline: change signals → debounce (with max wait) → single-flight writer
 * with retries. It counts revisions: an update bumps `revision`, a write that started at
 * revision r makes everything up to r durable. Knows nothing of immer or the state's shape.
 */
export function createPersistencePipeline({ key, debounceMs, maxWaitMs, write, maintain }: PipelineOptions) {
  let revision = 0;
  let saved = 0;
  let writing = false;
  let maintenanceDue = false;
  let throughNow = false;
  /** Rounds in a row that ended in a permanent failure: write-through backs off by them. */
  let permanentFailures = 0;
  let disposed = false;
  let inFlight: Promise<void> = Promise.resolve();
  let lastSavedAt: number | null = null;
  let lastError: Error | null = null;

  const changed$ = new Subject<void>();
  const urgent$ = new Subject<void>();
  /** Changes written at once (see `writeThrough`); unlike urgent$, they do not cut a retry's backoff short. */
  const through$ = new Subject<void>();
  /**
   * The callers of `flush` waiting for a revision to be saved. A plain set, not a stream per call:
   * with a durable write costing about 0.15 ms, subscribing three streams per flush was a visible
   * share of each update.
   */
  const waiters = new Set<FlushWaiter>();
  const settle = (waiter: FlushWaiter, error?: FlushError): void => {
    waiters.delete(waiter);
    clearTimeout(waiter.timer);
    if (error) waiter.reject(error);
    else waiter.resolve();
  };
  const status$ = new BehaviorSubject<PersistenceStatus>(statusNow());
  /** Callers of `flush` answered by the last write, and how many callers came since: those may be the same ones, back. */
  let justAnswered = 0;
  let cameSince = 0;

  function statusNow(): PersistenceStatus {
    const phase = lastError ? 'error' : writing ? 'saving' : revision > saved ? 'dirty' : 'idle';
    return { phase, lastSavedAt, lastError, pending: revision - saved };
  }
  const publish = (): void => status$.next(statusNow());

  // One attempt: snapshot the revision, write, then everything up to it is durable.
  // Maintenance follows in the same turn, after durability was announced, so it delays no flush
  // already waiting. It must not wait for a quiet moment: under a steady stream of updates there
  // is none, and compaction starved for good (found by the torture suite).
  const attempt = defer(async () => {
    // Nothing to do: the run a flush asked for while the last write was under way, and that write
    // answered. Were it to wait its turn below, the lone producer's next flush, arriving meanwhile,
    // would be queued behind it, its write would wait a turn too, and so on, every write (10 µs each).
    if (saved >= revision && !maintenanceDue) return;
    // Group commit: callers the last write answered and who have not come back yet get one turn of
    // the event loop to add their next change to this write. Under 8 concurrent producers a write
    // then carries about 8 changes, not 7 and 1 in turn; a lone producer, back already, waits for nothing.
    // Only where setImmediate is (Node): a browser throttles setTimeout in a hidden tab to once a second.
    if (immediate && cameSince < justAnswered) {
      await new Promise((resolve) => immediate(resolve));
      if (disposed) return; // meanwhile: nothing more is written (close() may have let the lock go)
    }
    justAnswered = 0;
    if (saved < revision) {
      const target = revision;
      await busy(write);
      saved = target;
      lastSavedAt = Date.now();
      lastError = null;
      permanentFailures = 0;
      publish();
      cameSince = 0;
      for (const waiter of waiters) {
        if (waiter.target > saved) continue;
        settle(waiter);
        justAnswered++;
      }
    }
    if (maintenanceDue) {
      maintenanceDue = false;
      try {
        await busy(maintain);
      } catch (error) {
        maintenanceDue = true; // retried with the write's backoff
        throw error;
      }
      lastError = null; // a maintenance that failed before has now succeeded: nothing is in error
      publish();
    }
  });

  async function busy(task: () => Promise<void>): Promise<void> {
    writing = true;
    publish();
    const running = task();
    inFlight = running.catch(() => undefined);
    try {
      await running;
    } finally {
      writing = false; // published by the caller: as done, or as the error
    }
  }

  const writeWithRetries = attempt.pipe(
    retry({
      resetOnSuccess: true,
      delay: (error: unknown, count) => {
        lastError = asError(error);
        publish();
        if (!isRetryable(error)) {
          permanentFailures++;
          for (const waiter of waiters) settle(waiter, new FlushError(key, lastError.message, { cause: lastError }));
          throw error;
        }
        // An urgent request (flush, migration) cuts the backoff short.
        return race(timer(retryDelayMs(count)), urgent$.pipe(take(1)));
      },
    }),
    // A permanent failure ends this round only; the next change or flush tries again.
    catchError(() => EMPTY),
  );

  // Write-through: at once, unless the last rounds failed for good (a 413, a refused token):
  // one attempt per change would then hammer a backend that refuses them all, billed per request.
  const throughWrites$ = through$.pipe(audit(() => (permanentFailures === 0 ? innerFrom([0]) : timer(retryDelayMs(permanentFailures)))));
  const subscription = merge(changed$.pipe(debounceWithMaxWait(debounceMs, maxWaitMs), takeUntil(through$)), urgent$, throughWrites$)
    .pipe(singleFlight(() => writeWithRetries))
    .subscribe();

  return {
    status$: status$.asObservable(),
    status: (): PersistenceStatus => status$.getValue(),

    /** An update happened. */
    changed(): void {
      revision++;
      publish();
      (throughNow ? through$ : changed$).next();
    },

    /** From now on every change is written at once, without the debounce: the machine is going away. */
    writeThrough(): void {
      throughNow = true;
      through$.next(); // also ends the debounce: its timer would only hold the process up
    },

    /** Write now, skipping the debounce and any retry backoff. */
    writeNow(): void {
      urgent$.next();
    },

    /** Run `maintain` as soon as everything is written (it is retried like a write if it fails). */
    requestMaintenance(): void {
      maintenanceDue = true;
      urgent$.next();
    },

    /** Resolves when every change so far is durable; rejects after `timeoutMs` (> 0) or on a permanent failure. */
    async flush(timeoutMs: number): Promise<void> {
      assertDuration('timeoutMs', timeoutMs);
      const target = revision;
      if (saved >= target) return;
      const done = new Promise<void>((resolve, reject) => {
        const waiter: FlushWaiter = { target, resolve, reject, timer: undefined };
        waiter.timer = setTimeout(() => {
          const why = lastError ? `the last write failed: ${lastError.message}` : 'the write is still under way';
          settle(waiter, new FlushError(key, `not durable within ${timeoutMs} ms; ${why}`, { cause: lastError ?? undefined }));
        }, timeoutMs);
        waiters.add(waiter);
        cameSince++;
      });
      urgent$.next();
      return done;
    },

    /** Resolves once no write or maintenance is under way (an adapter call cannot be cancelled). */
    settled: (): Promise<void> => inFlight,

    /** Stops every timer and subscription; pending changes are not written. */
    dispose(): void {
      disposed = true;
      subscription.unsubscribe();
      for (const subject of [changed$, urgent$, through$, status$]) subject.complete();
    },
  };
}

export type PersistencePipeline = ReturnType<typeof createPersistencePipeline>;

/**
 * Taken when this module loads, before a test fakes the timers (jest.useFakeTimers): a turn is no
 * time for a test's clock to give, and a faked one held the write back, and the flush waiting for
 * it, until the test moved its clock, for ever if it never did.
 */
const immediate = typeof setImmediate === 'function' ? setImmediate : undefined;

interface FlushWaiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (error: FlushError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}
