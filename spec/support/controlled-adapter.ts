import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import type { StorageAdapter } from '../../src/adapters/storage-adapter.js';

/**
 * A memory adapter without a journal (every write is a whole snapshot) whose writes the spec
 * controls: each write can be held open (to test single flight) or made to fail, and every
 * write is recorded in order.
 */
export function controlledAdapter(records = new Map<string, string>()) {
  const { append: _append, readJournal: _readJournal, ...inner } = memoryAdapter({ records });
  const written: unknown[] = [];
  const failures: Error[] = [];
  let hold = false;
  let inFlight = 0;
  let attempts = 0;
  let maxInFlight = 0;
  const held: Array<() => void> = [];

  const adapter: StorageAdapter = {
    ...inner,
    async write(key, value) {
      attempts++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (hold) await new Promise<void>((resolve) => held.push(resolve));
        const failure = failures.shift();
        if (failure) throw failure;
        await inner.write(key, value);
        written.push((value as { state: unknown }).state);
      } finally {
        inFlight--;
      }
    },
  };

  return {
    adapter,
    records,
    /** States written successfully, oldest first. */
    written,
    /** The next writes fail with these errors, one each. */
    failNext: (...errors: Error[]) => void failures.push(...errors),
    /** Hold writes open until `release()`. */
    holdWrites: () => void (hold = true),
    release(): void {
      hold = false;
      held.splice(0).forEach((resolve) => resolve());
    },
    /** Every write call, failed or not. */
    get attempts() {
      return attempts;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
  };
}
