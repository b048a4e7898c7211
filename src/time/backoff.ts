/**
 * How a delay is spread, so that clients that failed together do not all retry together.
 * `none`: the delay itself (the same attempt always waits the same); `equal`: half of it fixed,
 * the other half random (never less than half, so a retry never comes at once); `full`: anywhere
 * from 0 to the delay (the widest spread, for writers that keep meeting each other).
 */
export type Jitter = 'none' | 'equal' | 'full';

export interface BackoffOptions {
  /** The wait before the first retry (attempt 0), before jitter. */
  readonly initialMs: number;
  /** No wait is longer, however many attempts failed. */
  readonly maxMs: number;
  /** @default 'none' */
  readonly jitter?: Jitter;
  /** A number in [0, 1) (for tests). @default Math.random */
  readonly random?: () => number;
}

/**
 * The wait before retry `attempt` (0-based): `initialMs`, doubling per attempt, at most `maxMs`,
 * then jittered. The one place a retry delay is computed (HTTP requests, the platform's events
 * socket, failed writes, write conflicts, queue items).
 *
 * @example backoffDelay(3, { initialMs: 100, maxMs: 10_000 }); // 800
 * @example backoffDelay(0, { initialMs: 500, maxMs: 30_000, jitter: 'equal' }); // 250 to 500
 */
export function backoffDelay(attempt: number, { initialMs, maxMs, jitter = 'none', random = Math.random }: BackoffOptions): number {
  // The exponent is bounded so that 2 ** attempt stays finite: 0 × Infinity would be NaN.
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 1_000));
  if (jitter === 'equal') return ceiling / 2 + random() * (ceiling / 2);
  if (jitter === 'full') return random() * ceiling;
  return ceiling;
}
