import { jest } from '@jest/globals';
import { createPacer } from '../../../src/adapters/remote/pacer.js';

// The log adapter's requests go through the pacer: a stall there keeps every write 'saving'.
test('a pacer waits at most a second when the wall clock is set back (NTP step, VM resume)', async () => {
  const pace = createPacer(2);
  let now = 1_700_000_000_000;
  let monotonic = 5_000; // performance.now(): never goes back
  const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
  const steady = jest.spyOn(performance, 'now').mockImplementation(() => monotonic);
  const waits: number[] = [];
  const timer = jest.spyOn(globalThis, 'setTimeout').mockImplementation(((run: () => void, ms?: number) => {
    waits.push(ms ?? 0);
    now += ms ?? 0; // the wait passes at once
    monotonic += ms ?? 0;
    run();
    return 0 as unknown as NodeJS.Timeout;
  }) as typeof setTimeout);
  try {
    await pace();
    await pace(); // the window is full
    now -= 3_600_000; // the clock goes back an hour
    await pace();
    expect(Math.max(...waits)).toBeLessThanOrEqual(1000);
  } finally {
    clock.mockRestore();
    steady.mockRestore();
    timer.mockRestore();
  }
});
