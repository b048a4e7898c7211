import { InvalidOptionError } from '../../src/errors.js';
import { assertDuration, isDuration, MAX_DURATION_MS } from '../../src/time/duration.js';

describe('isDuration / assertDuration', () => {
  test.each([1, 0.5, 60_000, MAX_DURATION_MS])('%p is a duration', (ms) => {
    expect(isDuration(ms)).toBe(true);
    expect(() => assertDuration('timeoutMs', ms)).not.toThrow();
  });

  test('0 only with allowZero', () => {
    expect(() => assertDuration('debounceMs', 0, { allowZero: true })).not.toThrow();
    expect(() => assertDuration('leaseMs', 0)).toThrow(
      /^Invalid option "leaseMs": expected a duration in ms \(a finite number > 0, at most 2147483647\), got 0$/,
    );
  });

  test.each([
    [-1, '-1'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [Number.NEGATIVE_INFINITY, '-Infinity'],
    [MAX_DURATION_MS + 1, '2147483648'], // a timer would fire at once
    ['500', '"500"'],
    [null, 'null'],
    [undefined, 'undefined'],
  ])('%p is refused, with or without allowZero, naming the option and the value', (ms, shown) => {
    for (const allowZero of [false, true]) {
      expect(isDuration(ms, { allowZero })).toBe(false);
      let error: unknown;
      try {
        assertDuration('flushTimeoutMs', ms, { allowZero });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option: 'flushTimeoutMs', code: 'INVALID_OPTION' });
      expect((error as Error).message).toMatch(
        new RegExp(`^Invalid option "flushTimeoutMs": expected a duration in ms .*, got ${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
      );
    }
  });
});
