/**
 * What the store needs from storage, and nothing more. An adapter knows nothing about
 * the store: it moves JSON-compatible values to and from a place, durably.
 *
 * Errors: an adapter throws `CorruptStateError` from `read` when the stored bytes cannot be
 * parsed, and marks an error that retrying cannot fix with a `retryable: false` property,
 * e.g. a value over the backend's size limit. Anything else is retried by the store with backoff.
 *
 * @example
 * // A whole snapshot per write, on a key-value client of your own (`kv`); see RecordStore for a journal.
 * const adapter: StorageAdapter = {
 *   name: 'kv',
 *   locate: (key) => `kv:${key}`,
 *   read: async (key) => {
 *     const text = await kv.get(key);
 *     return text === null ? undefined : JSON.parse(text);
 *   },
 *   write: (key, value) => kv.set(key, JSON.stringify(value)),
 *   delete: (key) => kv.del(key),
 *   rename: async (key, toKey) => {
 *     if ((await kv.get(toKey)) !== null) throw new TargetExistsError(key, toKey);
 *     await kv.set(toKey, (await kv.get(key)) ?? 'null');
 *     await kv.del(key);
 *   },
 * };
 */
export interface StorageAdapter {
  /** Short name used in messages, e.g. `"file"`. */
  readonly name: string;
  /** Where `key` lives, for messages: a path, or a URL without credentials. */
  locate(key: string): string;
  /**
   * How writers share a key. `'exclusive'`: one writer at a time, held by `lock`, or, where the
   * backend cannot lock (the Apify key-value store), detected: a writer that finds another one
   * took the key over throws `LockLostError` and writes nothing more. `'shared'`: several writers
   * append to one key; a lost race is a `ConflictError`, which a store with `onConflict: 'rebase'`
   * resolves by catching up through `readJournal(key, after)` and writing again.
   * @default 'exclusive'
   */
  readonly sharing?: 'exclusive' | 'shared';
  /**
   * Journal records after which the store folds the journal into a snapshot, whatever their size:
   * where each record is a request on open (a remote log), this bounds the requests of an open.
   * @default none: the journal's weight alone decides
   */
  readonly compactAfterRecords?: number;
  /**
   * The store's `debounceMs` and `maxWaitMs` when the user gives none, chosen for what a write
   * costs here: `maxWaitMs` is the most a kill without warning loses.
   * @default { debounceMs: 1000, maxWaitMs: 5000 }
   */
  readonly writeTiming?: { readonly debounceMs: number; readonly maxWaitMs: number };
  /**
   * How much state this adapter can hold, where that is bounded: the store warns (once) when its
   * state grows past 80 % of `bytes`. `what` names the limit in that warning.
   * @default no limit
   */
  readonly stateLimit?: { readonly bytes: number; readonly what: string };
  /**
   * Takes exclusive use of `key` and resolves to a function that gives it back.
   * Rejects with `StoreLockedError` when someone else holds it. Adapters whose backend
   * cannot lock leave this out.
   */
  lock?(key: string): Promise<() => Promise<void>>;
  /** The stored value, or `undefined` when nothing is stored under `key`. */
  read(key: string): Promise<unknown>;
  /**
   * Stores `value` under `key` as its new snapshot; resolves only when it would survive a crash.
   * A journalling adapter then empties the key's journal, never before the snapshot is durable.
   */
  write(key: string, value: unknown): Promise<void>;
  /** Removes `key` (and its journal); removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Moves the value (and journal) of `key` to `toKey`; never overwrites an existing `toKey`. */
  rename(key: string, toKey: string): Promise<void>;
  /**
   * Optional journal, which makes a write cost the size of the change instead of the state.
   * Appends JSON-compatible records after the snapshot; resolves when they would survive a crash.
   * After a failed append, the next one must not leave a torn record in the middle.
   * Adapters without a journal get a whole snapshot on every write.
   */
  append?(key: string, records: readonly unknown[]): Promise<void>;
  /**
   * The records appended since the last `write`, oldest first; records written before that
   * `write` may still be there (the store skips them by their sequence numbers). A torn last
   * record, left by a crash during `append`, is left out. Present whenever `append` is.
   *
   * With `after` (shared adapters): the records other writers stored after record `after`, to
   * catch up after a `ConflictError`; `undefined` when a compaction took them in since (or the
   * key was replaced), so that the state must be read again whole.
   */
  readJournal?(key: string, after?: number): Promise<unknown[] | undefined>;
  /**
   * Optional: throws `StorageReplacedError` when what is stored under `key` is no longer what this
   * adapter last wrote or read (a purged or deleted folder, a file swapped behind its back), so
   * that the store writes its whole state again instead of appending to what is gone. A lock whose
   * file was removed is taken again, or `LockLostError` is thrown when another process took it
   * meanwhile. `append` makes the same checks once its records are durable
   * (and may make them before it writes).
   */
  verify?(key: string): Promise<void>;
  /**
   * Optional synchronous best-effort copy, for a page being closed: an asynchronous write started
   * then may never finish. `read` returns this copy when it is newer than the durable one.
   */
  writeSync?(key: string, value: unknown): void;
  /**
   * Optional: calls `onChange` when another writer (another tab) changed `key`; returns a
   * function that stops watching.
   */
  watch?(key: string, onChange: () => void): () => void;
}

/** False only for errors an adapter marked as permanent with `retryable: false`. */
export function isRetryable(error: unknown): boolean {
  return !(typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false);
}
