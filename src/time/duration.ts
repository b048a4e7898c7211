import { InvalidOptionError, describeValue } from '../errors.js';

/**
 * The longest wait a timer keeps, about 24.8 days: Node and browsers fire a longer `setTimeout`
 * after 1 ms instead, so a larger `timeoutMs` would time out every request at once.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * Whether `ms` is a duration a timer can wait: a finite number above 0 (or 0 itself with
 * `allowZero`), at most MAX_DURATION_MS. NaN, Infinity, negatives and non-numbers are not.
 */
export function isDuration(ms: unknown, { allowZero = false } = {}): ms is number {
  return typeof ms === 'number' && Number.isFinite(ms) && (allowZero ? ms >= 0 : ms > 0) && ms <= MAX_DURATION_MS;
}

/**
 * Throws an `InvalidOptionError` naming the option `name` and its value unless `ms` is a duration
 * (see `isDuration`): the one rule for every millisecond option. `allowZero` where 0 means
 * something (`debounceMs: 0`: write at the next turn), not where it would spin or give up at once.
 *
 * @example assertDuration('leaseMs', options.leaseMs ?? 60_000);
 */
export function assertDuration(name: string, ms: unknown, { allowZero = false } = {}): asserts ms is number {
  if (isDuration(ms, { allowZero })) return;
  const range = allowZero ? '≥ 0' : '> 0';
  throw new InvalidOptionError(name, `expected a duration in ms (a finite number ${range}, at most ${MAX_DURATION_MS}), got ${describeValue(ms)}`);
}
