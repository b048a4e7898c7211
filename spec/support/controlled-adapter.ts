import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import type { StorageAdapter } from '../../src/adapters/storage-adapter.js';
import { LockLostError, StorageReplacedError } from '../../src/errors.js';

export interface ControlledAdapterOptions {
  /** Keep the memory adapter's journal (append, readJournal). @default false: every write is a snapshot */
  readonly journal?: boolean;
  /** Offer `verify`, which throws once `purge()` removed the stored copy. @default false */
  readonly verify?: boolean;
}

/**
 * A memory adapter (by default without a journal: every write is a whole snapshot) whose writes
 * the spec controls: each write can be held open (to test single flight) or made to fail, and
 * every write is recorded in order. `purge()` removes the key's stored copy behind the store's
 * back, as a purged folder would: `verify` and `append` then throw `StorageReplacedError` until
 * a snapshot is written again. `loseLock()` makes every later call throw `LockLostError`.
 */
export function controlledAdapter(records = new Map<string, string>(), { journal = false, verify = false }: ControlledAdapterOptions = {}) {
  const { append, readJournal, ...inner } = memoryAdapter({ records });
  const written: unknown[] = [];
  const failures: Error[] = [];
  let hold = false;
  let inFlight = 0;
  let attempts = 0;
  let appends = 0;
  let verifications = 0;
  let maxInFlight = 0;
  /** Set by purge(), cleared by the next successful write. */
  let replaced = false;
  let lockLost = false;
  const held: Array<() => void> = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];

  function check(key: string): void {
    if (lockLost) throw new LockLostError(key, 'another process took it (controlled adapter)');
    if (replaced) throw new StorageReplacedError(key, `memory:${key}`, 'removed');
  }

  const adapter: StorageAdapter = {
    ...inner,
    async write(key, value) {
      attempts++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (hold) await new Promise<void>((resolve) => held.push(resolve));
        if (lockLost) check(key);
        const failure = failures.shift();
        if (failure) throw failure;
        await inner.write(key, value);
        replaced = false;
        written.push((value as { state: unknown }).state);
        for (const waiter of waiters.filter((w) => written.length >= w.count)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      } finally {
        inFlight--;
      }
    },
    ...(journal && {
      readJournal,
      async append(key: string, entries: readonly unknown[]) {
        appends++;
        check(key);
        await append!(key, entries);
      },
    }),
    ...(verify && {
      async verify(key: string) {
        verifications++;
        check(key);
      },
    }),
  };

  return {
    adapter,
    records,
    /** States written successfully, oldest first. */
    written,
    /** Resolves once `count` snapshots were written successfully. */
    whenWritten: (count: number): Promise<void> =>
      written.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    /** The next writes fail with these errors, one each. */
    failNext: (...errors: Error[]) => void failures.push(...errors),
    /** Hold writes open until `release()`. */
    holdWrites: () => void (hold = true),
    release(): void {
      hold = false;
      held.splice(0).forEach((resolve) => resolve());
    },
    /** Removes the key's snapshot and journal, as a purged folder; verify and append then say so until the next write. */
    purge(key: string): void {
      records.delete(key);
      records.delete(`${key}#journal`);
      replaced = true;
    },
    /** Another process took the key: every later verify, append and write throws LockLostError. */
    loseLock: () => void (lockLost = true),
    /** Every write call, failed or not. */
    get attempts() {
      return attempts;
    },
    /** Every append call, failed or not. */
    get appends() {
      return appends;
    },
    get verifications() {
      return verifications;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
  };
}
