import { Observable, type Observable as Obs } from '../rx.js';
import { errorMessage } from '../errors.js';
import type { PlatformEvent } from '../events/event-types.js';
import { assertDuration } from '../time/duration.js';
import type { WorkItem } from './work-queue-state.js';

/**
 * Options of `WorkQueue.process`.
 *
 * @example
 * queue.process(crawl, { concurrency: 8, stopGraceMs: 10_000 }).subscribe();
 */
export interface ProcessOptions {
  /** Handlers running at once. @default 1 */
  readonly concurrency?: number;
  /** How long to wait before looking again when nothing is due but work remains (leased elsewhere, retrying); > 0. @default 1000 */
  readonly idleMs?: number;
  /** On `migrating`/`aborting` without `timeRemainingSecs`: how long running handlers may go on (0: none). @default 5000 */
  readonly stopGraceMs?: number;
}

/**
 * What became of one item. `released`: its handler did not finish before a migration or abort.
 *
 * @example
 * queue.process(crawl).subscribe(({ id, outcome, error }: ProcessResult) => outcome === 'failed' && console.error(`${id}: ${error}`));
 */
export interface ProcessResult {
  readonly id: string;
  readonly outcome: 'done' | 'failed' | 'released';
  readonly error?: string;
}

/** The part of a queue the processing loop needs. */
export interface ProcessableQueue<T> {
  claim(n: number): Promise<WorkItem<T>[]>;
  complete(id: string, result?: unknown): void;
  fail(id: string, error: unknown): void;
  release(id: string): void;
  isDrained(): boolean;
  flush(): Promise<void>;
}

/**
 * Runs `handler` over the queue, `concurrency` at a time, as an Observable of results that
 * completes when the queue is drained. On `migrating` or `aborting` it claims nothing more, lets
 * running handlers finish within the time left, then releases the leases of those still running
 * and flushes, so the next run starts on them at once. Unsubscribing stops it the same way.
 */
export function processQueue<T>(
  queue: ProcessableQueue<T>,
  handler: (item: WorkItem<T>) => Promise<unknown>,
  events: Obs<PlatformEvent>,
  { concurrency = 1, idleMs = 1_000, stopGraceMs = 5_000 }: ProcessOptions = {},
): Observable<ProcessResult> {
  assertDuration('idleMs', idleMs); // 0 would ask the queue again and again while nothing is due
  assertDuration('stopGraceMs', stopGraceMs, { allowZero: true });
  return new Observable<ProcessResult>((subscriber) => {
    const running = new Map<string, Promise<void>>();
    let stopped = false;
    let wake: (() => void) | undefined;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => (clearTimeout(timer), resolve());
      });

    const run = (item: WorkItem<T>): void => {
      const done = handler(item).then(
        (result) => {
          if (!running.has(item.id)) return; // released at a stop: the next run does it
          queue.complete(item.id, result ?? null);
          subscriber.next({ id: item.id, outcome: 'done' });
        },
        (error: unknown) => {
          if (!running.has(item.id)) return;
          queue.fail(item.id, error);
          subscriber.next({ id: item.id, outcome: 'failed', error: errorMessage(error) });
        },
      );
      running.set(
        item.id,
        done.finally(() => {
          running.delete(item.id);
          wake?.();
        }),
      );
    };

    const stop = async (graceMs: number): Promise<void> => {
      if (stopped) return;
      stopped = true;
      wake?.();
      await Promise.race([Promise.allSettled(running.values()), new Promise((resolve) => setTimeout(resolve, graceMs))]);
      for (const id of [...running.keys()]) {
        running.delete(id);
        queue.release(id);
        subscriber.next({ id, outcome: 'released' });
      }
      await queue.flush().catch(() => undefined);
    };

    const eventSubscription = events.subscribe((event) => {
      if (event.name !== 'migrating' && event.name !== 'aborting') return;
      const seconds = event.name === 'migrating' ? event.data.timeRemainingSecs : undefined;
      // Keep a second for the release and the flush.
      const grace = seconds === undefined ? stopGraceMs : Math.max(0, seconds * 1_000 - 1_000);
      const stopping = stop(grace);
      event.waitUntil?.(stopping);
      void stopping.then(() => subscriber.complete());
    });

    void (async () => {
      try {
        while (!stopped) {
          const free = concurrency - running.size;
          const items = free > 0 ? await queue.claim(free) : [];
          if (stopped) {
            for (const item of items) queue.release(item.id);
            break;
          }
          for (const item of items) run(item);
          if (items.length > 0) continue;
          if (running.size === 0 && queue.isDrained()) break;
          // All slots busy: wait for a handler. Otherwise nothing is due yet: look again later.
          const waits: Promise<unknown>[] = [...running.values()];
          if (free > 0) waits.push(sleep(idleMs));
          await Promise.race(waits);
        }
        if (!stopped) {
          await Promise.allSettled(running.values());
          await queue.flush();
          subscriber.complete();
        }
      } catch (error) {
        subscriber.error(error);
      }
    })();

    return () => {
      eventSubscription.unsubscribe();
      void stop(0);
    };
  });
}
