import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * Like `debounceTime(dueMs)`, but a value never waits more than `maxWaitMs` after the first
 * value of its burst, so constant change still gets through. Unlike `debounceTime`, it also
 * emits the pending value when the source completes (before completing).
 *
 * @example changes$.pipe(debounceWithMaxWait(1_000, 5_000))
 */
export function debounceWithMaxWait<T>(
  dueMs: number,
  maxWaitMs: number,
  scheduler: SchedulerLike = asyncScheduler,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let pending: { value: T } | undefined;
      let burstStart = 0;
      let timer: Subscription | undefined;

      const emit = (): void => {
        timer?.unsubscribe();
        timer = undefined;
        if (pending === undefined) return;
        const { value } = pending;
        pending = undefined;
        subscriber.next(value);
      };

      const sourceSubscription = source.subscribe({
        next(value) {
          const now = scheduler.now();
          if (pending === undefined) burstStart = now;
          pending = { value };
          timer?.unsubscribe();
          const wait = Math.max(0, Math.min(dueMs, burstStart + maxWaitMs - now));
          timer = scheduler.schedule(emit, wait);
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          emit();
          subscriber.complete();
        },
      });

      return () => {
        timer?.unsubscribe();
        sourceSubscription.unsubscribe();
      };
    });
}
