import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { singleFlight } from '../../src/store/single-flight.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('singleFlight', () => {
  test('runs one at a time and collapses values during a run into one trailing run with the latest', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const work = cold('-----(x|)');
      const source = hot('a-bc--------|');
      // a runs 0–5; b and c arrive meanwhile → one run, with c, at 5–10; nothing after
      expectObservable(source.pipe(singleFlight((v) => work.pipe(map(() => v))))).toBe('-----a----c-|');
      expectSubscriptions(work.subscriptions).toBe(['^----!', '-----^----!']);
    });
  });

  test('a value after a run ends starts a new run at once', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const work = cold('-(x|)');
      expectObservable(hot('a---b|').pipe(singleFlight(() => work))).toBe('-x---(x|)');
    });
  });

  test('completes only after the trailing run', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const work = cold('----(x|)');
      expectObservable(hot('ab|').pipe(singleFlight(() => work))).toBe('----x---(x|)');
    });
  });

  test('errors of the work propagate', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      expectObservable(hot('a|').pipe(singleFlight(() => cold('-#')))).toBe('-#');
    });
  });
});
