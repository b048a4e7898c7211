import type { StorageAdapter } from '../adapters/storage-adapter.js';
import { LockLostError, asError } from '../errors.js';
import type { Notices } from './notices.js';
import type { StoreWrites } from './store-writes.js';

export interface StoreCloseOptions<T> {
  readonly key: string;
  readonly adapter: StorageAdapter;
  readonly compactOnClose: boolean;
  readonly writes: StoreWrites<T>;
  readonly notices: Notices;
  /** The store's flush(). */
  readonly flush: () => Promise<void>;
  /** Whether an update changed anything since the store opened; read once everything is written. */
  readonly changedSinceOpen: () => boolean;
  /** Lets go of everything the store holds, the lock last; run whether the last writes succeeded or not. */
  readonly letGo: () => Promise<void>;
}

/** `PersistentStore.close`, run once: the last writes, then letting go. */
export async function closeStore<T>(options: StoreCloseOptions<T>): Promise<void> {
  const { adapter, writes, flush } = options;
  try {
    await flush();
    // An idle store whose files were removed meanwhile (a purged folder) writes them again
    // before letting go: the write checks the storage first (see JournalWriter.persist).
    if (adapter.verify) {
      writes.pipeline.changed();
      await flush();
    }
    // Only a store that changed something: a reader's fold would be a write, which on the Apify
    // store makes its takeover of the key final and stops the writer it only looked at.
    if (options.compactOnClose && options.changedSinceOpen()) await compactAtClose(options);
  } finally {
    await options.letGo();
  }
}

/**
 * Folds the journal into a snapshot once everything is written, so that a tool reading only the
 * snapshot (Actor.getValue on the head, a file viewer) sees the state as it was closed. Nothing
 * is lost if it fails, the journal still holds the changes: said on diagnostics$, close goes on.
 */
const compactAtClose = <T>({ key, writes, notices }: Pick<StoreCloseOptions<T>, 'key' | 'writes' | 'notices'>): Promise<void> =>
  writes
    .inTurn(() => writes.writer.compact())
    .catch((error: unknown) => {
      if (error instanceof LockLostError) return; // said when it was found; nothing more is written
      const cause = asError(error);
      notices.report({
        type: 'write-failed',
        key,
        message: `Could not fold the journal of "${key}" into a snapshot at close: ${cause.message.replace(/\.?$/, '.')} Nothing is lost: the next open replays the journal, but what reads only the snapshot sees an older state.`,
        error: cause,
      });
    });
