/**
 * What the store needs from storage, and nothing more. An adapter knows nothing about
 * the store: it moves JSON-compatible values to and from a place, durably.
 *
 * Errors: an adapter throws `CorruptStateError` from `read` when the stored bytes cannot be
 * parsed, and marks an error that retrying cannot fix with `retryable: false`
 * (see `isRetryable`), e.g. a value over the backend's size limit. Anything else is retried
 * by the store with backoff.
 */
export interface StorageAdapter {
  /** Short name used in messages, e.g. `"file"`. */
  readonly name: string;
  /** Where `key` lives, for messages: a path, or a URL without credentials. */
  locate(key: string): string;
  /**
   * Takes exclusive use of `key` and resolves to a function that gives it back.
   * Rejects with `StoreLockedError` when someone else holds it. Adapters whose backend
   * cannot lock leave this out.
   */
  lock?(key: string): Promise<() => Promise<void>>;
  /** The stored value, or `undefined` when nothing is stored under `key`. */
  read(key: string): Promise<unknown>;
  /** Stores `value` under `key`; resolves only when the value would survive a crash. */
  write(key: string, value: unknown): Promise<void>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Moves the value of `key` to `toKey`; never overwrites an existing `toKey`. */
  rename(key: string, toKey: string): Promise<void>;
}

/** False only for errors an adapter marked as permanent with `retryable: false`. */
export function isRetryable(error: unknown): boolean {
  return !(typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false);
}
