import { jest } from '@jest/globals';
import { lockReporter, type LockedQueue } from '../../../src/cli/simulate/api/lock-report.js';
import type { RequestLock } from '../../../src/cli/simulate/api/request-locks.js';

// The reporter's expiry line, with jest's clock: no test waits for a lock to expire.
beforeEach(() => jest.useFakeTimers({ now: 0 }));
afterEach(() => jest.useRealTimers());

function queueWith(locks: RequestLock[]): LockedQueue {
  return { id: 'default', liveLocks: () => locks.filter((lock) => lock.expiresAtMs > Date.now()) };
}

describe('what the timeline says of request locks across runs', () => {
  test("a run finds an earlier run's locks, waits with nothing else to lock, and hears when they expire", () => {
    const lines: string[] = [];
    const queue = queueWith([
      { clientKey: 'a', run: 1, expiresAtMs: 30_000 },
      { clientKey: 'b', run: 2, expiresAtMs: 40_000 },
      { clientKey: 'c', run: 3, expiresAtMs: 90_000 }, // run 3's own: never "found"
    ]);
    const report = lockReporter(
      () => [queue],
      (line) => lines.push(line),
      Date.now,
    );
    report.runStarted(3);
    jest.advanceTimersByTime(5_000);
    report.headLocked(queue, 3);
    report.headLocked(queue, 3); // once per run
    jest.advanceTimersByTime(10_000);
    report.headEmpty(queue, 3);
    jest.advanceTimersByTime(30_000);
    expect(lines).toEqual([
      'run 3 finds 2 requests of queue default still locked by run 1 (1), run 2 (1): out of its queue head until the locks expire, in up to 35.0 s (as on the platform: crawlee#2870)',
      'the locks run 1 (1), run 2 (1) left on 2 requests of queue default have expired, 40.0 s into run 3; it had had nothing else to lock for 25.0 s: those requests are back in the queue head',
    ]);
    report.close();
  });

  test('a run that ends before the locks it found expire: said so', () => {
    const lines: string[] = [];
    const queue = queueWith([{ clientKey: 'a', run: 1, expiresAtMs: 30_000 }]);
    const report = lockReporter(
      () => [queue],
      (line) => lines.push(line),
      Date.now,
    );
    report.runStarted(2);
    report.headLocked(queue, 2);
    report.runEnded(2);
    jest.advanceTimersByTime(31_000);
    expect(lines.at(-1)).toBe('the locks run 1 left on 1 request of queue default have expired, after run 2 had ended');
    report.close();
  });
});
