import { innerFrom, Observable, type ObservableInput, type OperatorFunction, type Subscription } from '../rx.js';

/**
 * Runs `work` for a value, never two at once. Values that arrive while `work` runs are
 * collapsed into one trailing run with the latest of them, started as soon as the current run
 * ends — unlike `exhaustMap`, which drops them, or `concatMap`, which queues every one.
 *
 * @example saveRequests$.pipe(singleFlight(() => writeLatestState()))
 */
export function singleFlight<T, R>(work: (value: T) => ObservableInput<R>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      let running: Subscription | undefined;
      let trailing: { value: T } | undefined;
      let sourceDone = false;

      const run = (value: T): void => {
        let finished = false;
        const inner = innerFrom(work(value)).subscribe({
          next: (result) => subscriber.next(result),
          error: (error: unknown) => subscriber.error(error),
          complete() {
            finished = true;
            running = undefined;
            const next = trailing;
            trailing = undefined;
            if (next !== undefined) run(next.value);
            else if (sourceDone) subscriber.complete();
          },
        });
        if (!finished) running = inner;
      };

      const sourceSubscription = source.subscribe({
        next(value) {
          if (running === undefined) run(value);
          else trailing = { value };
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          sourceDone = true;
          if (running === undefined && trailing === undefined) subscriber.complete();
        },
      });

      return () => {
        sourceSubscription.unsubscribe();
        running?.unsubscribe();
      };
    });
}
