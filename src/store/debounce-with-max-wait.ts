import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from '../rx.js';

/**
 * Like `debounceTime(dueMs)`, but a value never waits more than `maxWaitMs` after the first
 * value of its burst, so constant change still gets through. As `debounceTime` does in rxjs 7,
 * it emits the pending value when the source completes (before completing): a change made just
 * before the end is written, not dropped.
 *
 * @example changes$.pipe(debounceWithMaxWait(1_000, 5_000))
 */
export function debounceWithMaxWait<T>(dueMs: number, maxWaitMs: number, scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let pending: { value: T } | undefined;
      let quiet: Subscription | undefined;
      // Its own timer, set once per burst: were it re-set with each value (as the debounce is), a
      // stream faster than the scheduler's shortest delay would cancel it forever.
      let deadline: Subscription | undefined;

      const emit = (): void => {
        quiet?.unsubscribe();
        deadline?.unsubscribe();
        quiet = deadline = undefined;
        if (pending === undefined) return;
        const { value } = pending;
        pending = undefined;
        subscriber.next(value);
      };

      const sourceSubscription = source.subscribe({
        next(value) {
          if (pending === undefined) deadline = scheduler.schedule(emit, maxWaitMs);
          pending = { value };
          quiet?.unsubscribe();
          quiet = scheduler.schedule(emit, dueMs);
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          emit();
          subscriber.complete();
        },
      });

      return () => {
        quiet?.unsubscribe();
        deadline?.unsubscribe();
        sourceSubscription.unsubscribe();
      };
    });
}
