import { TestScheduler } from 'rxjs/testing';
import { debounceTime, Subject, VirtualTimeScheduler, type SchedulerLike } from 'rxjs';
import { debounceWithMaxWait } from '../../src/store/debounce-with-max-wait.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('debounceWithMaxWait', () => {
  test('emits the latest value once the source is quiet for dueMs', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 2ms b 2ms c 20ms |');
      // c arrives at 6ms; 10ms of quiet later, at 16ms, it is emitted
      expectObservable(source.pipe(debounceWithMaxWait(10, 100))).toBe('16ms c 10ms |');
    });
  });

  test('under constant change emits no later than maxWaitMs after the burst began', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // a value every 5 ms, for 30 ms: a plain debounce of 10 would emit nothing until the end
      const source = cold('a 4ms b 4ms c 4ms d 4ms e 4ms f 4ms g 100ms |');
      expectObservable(source.pipe(debounceWithMaxWait(10, 12))).toBe('12ms c 14ms f 12ms g 90ms |');
    });
  });

  test('a new burst gets a new max-wait window', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 50ms b 50ms |');
      expectObservable(source.pipe(debounceWithMaxWait(5, 20))).toBe('5ms a 50ms b 45ms |');
    });
  });

  test('emits the pending value when the source completes, as debounceTime does in rxjs 7', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 2ms b|');
      expectObservable(source.pipe(debounceWithMaxWait(10, 100))).toBe('4ms (b|)');
      expectObservable(source.pipe(debounceTime(10))).toBe('4ms (b|)');
    });
  });

  test('forwards errors', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a #').pipe(debounceWithMaxWait(10, 100))).toBe('-#');
    });
  });

  test('unsubscribing cancels the pending timer', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 50ms |');
      expectObservable(source.pipe(debounceWithMaxWait(10, 100)), '^ 5ms !').toBe('');
    });
  });
});

test("values faster than the scheduler's shortest delay still get through every maxWaitMs (as Node clamps timers to 1 ms)", () => {
  // Found by the torture suite: a writer at full speed went 2 s without a write. Each value re-set
  // the max-wait timer; past the deadline it was re-set to "now", which Node makes 1 ms, and the
  // next value, 0.5 ms later, cancelled it again.
  const virtual = new VirtualTimeScheduler();
  const nodeLike: SchedulerLike = {
    now: () => virtual.now(),
    schedule: (work, delay = 0, state) => virtual.schedule(work as never, Math.max(1, delay), state),
  };
  const values = new Subject<number>();
  const emitted: number[] = [];
  values.pipe(debounceWithMaxWait(20, 50, nodeLike)).subscribe(() => emitted.push(virtual.now()));
  for (let i = 0; i < 400; i++) virtual.schedule(() => values.next(i), i * 0.5); // 200 ms of a value every 0.5 ms
  virtual.flush();
  expect(emitted.slice(0, 3)).toEqual([50, 100.5, 151]);
});
