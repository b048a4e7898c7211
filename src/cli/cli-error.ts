import { isDuration, MAX_DURATION_MS } from '../time/duration.js';

/** A command-line mistake (unknown flag, missing argument): printed on one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that could not do its job (no such store, a job that never finished): exit code 1. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** Parses a flag's value as a number of seconds, under the library's rule for durations (see isDuration). */
export function parseSeconds(flag: string, value: string | undefined, { allowZero = false } = {}): number {
  const seconds = Number(value);
  if (value === undefined || value.trim() === '' || !isDuration(seconds * 1000, { allowZero })) {
    const range = `${allowZero ? '≥ 0' : '> 0'}, at most ${Math.floor(MAX_DURATION_MS / 1000)}`;
    throw new UsageError(`--${flag}: expected a number of seconds (${range}), got ${JSON.stringify(value ?? '')}`);
  }
  return seconds;
}

/** Parses a flag's value as a whole number ≥ 0. */
export function parseCount(flag: string, value: string | undefined): number {
  const count = Number(value);
  if (value === undefined || !/^\d+$/.test(value.trim()) || !Number.isSafeInteger(count)) {
    throw new UsageError(`--${flag}: expected a whole number ≥ 0, got ${JSON.stringify(value ?? '')}`);
  }
  return count;
}
