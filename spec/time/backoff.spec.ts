import { backoffDelay } from '../../src/time/backoff.js';

describe('backoffDelay', () => {
  test('without jitter: initialMs, doubling per attempt, capped at maxMs, the same every time', () => {
    const delay = (attempt: number) => backoffDelay(attempt, { initialMs: 100, maxMs: 10_000 });
    expect([0, 1, 2, 3, 6, 7, 49].map(delay)).toEqual([100, 200, 400, 800, 6_400, 10_000, 10_000]);
    expect(delay(3)).toBe(delay(3));
  });

  test('no jitter asks for no random number', () => {
    let calls = 0;
    backoffDelay(2, { initialMs: 1, maxMs: 10, random: () => (calls++, 0.5) });
    expect(calls).toBe(0);
  });

  test('equal jitter: between half the delay and the whole of it', () => {
    const delay = (attempt: number, r: number) => backoffDelay(attempt, { initialMs: 500, maxMs: 30_000, jitter: 'equal', random: () => r });
    expect(delay(0, 0)).toBe(250);
    expect(delay(0, 1)).toBe(500);
    expect(delay(3, 1)).toBe(4_000);
    expect(delay(20, 0.5)).toBe(22_500);
  });

  test('full jitter: anywhere from 0 to the delay', () => {
    const delay = (attempt: number, r: number) => backoffDelay(attempt, { initialMs: 10, maxMs: 2_000, jitter: 'full', random: () => r });
    expect(delay(0, 0)).toBe(0);
    expect(delay(2, 0.5)).toBe(20);
    expect(delay(30, 1)).toBe(2_000);
  });

  test('any number of attempts gives a finite delay, even from 0 ms', () => {
    expect(backoffDelay(5_000, { initialMs: 0, maxMs: 1_000 })).toBe(0);
    expect(backoffDelay(5_000, { initialMs: 1, maxMs: 1_000 })).toBe(1_000);
  });
});
