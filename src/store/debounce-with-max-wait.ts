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
      /** When the last value came (scheduler.now()). */
      let lastAt = 0;
      // One timer per burst too, checked when it fires: cancelling and setting one per value
      // (as rxjs's scheduler does it, a setInterval each) cost about 1 µs of each update.
      let quiet: Subscription | undefined;
      // Its own timer, set once per burst and never moved: were it re-set with each value, a
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

      const whenQuiet = (): void => {
        const waited = scheduler.now() - lastAt;
        quiet = waited < dueMs ? scheduler.schedule(whenQuiet, dueMs - waited) : undefined;
        if (quiet === undefined) emit();
      };

      const sourceSubscription = source.subscribe({
        next(value) {
          if (pending === undefined) deadline = scheduler.schedule(emit, maxWaitMs);
          pending = { value };
          lastAt = scheduler.now();
          quiet ??= scheduler.schedule(whenQuiet, dueMs);
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
