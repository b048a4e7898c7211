/**
 * Every error the library throws on purpose is a `PersistentStoreError` with a stable `code`,
 * so callers can branch on `instanceof` or on `code` without parsing messages.
 */
export class PersistentStoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A key that storage would misread: empty, too long, a path trick or a forbidden character. */
export class InvalidKeyError extends PersistentStoreError {
  constructor(readonly key: unknown, reason: string) {
    super('INVALID_KEY', `Invalid store key ${describeValue(key)}: ${reason}`);
  }
}

/** An option with a wrong type or out of range (`debounceMs: -1`, a non-function `migrate`). */
export class InvalidOptionError extends PersistentStoreError {
  constructor(readonly option: string, reason: string) {
    super('INVALID_OPTION', `Invalid option "${option}": ${reason}`);
  }
}

/** Stored bytes that cannot be parsed at all. The stored copy is left untouched. */
export class CorruptStateError extends PersistentStoreError {
  constructor(readonly key: string, readonly location: string, reason: string, options?: { cause?: unknown }) {
    super('CORRUPT_STATE', `Stored state for key "${key}" at ${location} is unreadable: ${reason}. It was not modified.`, options);
  }
}

/** A state (stored, migrated or initial) that does not match the store's `schema`. */
export class InvalidStateError extends PersistentStoreError {
  constructor(
    readonly key: string,
    readonly source: 'stored' | 'migrated' | 'initial',
    readonly path: string,
    reason: string,
  ) {
    const where = path === '' ? 'at the root' : `at ${path}`;
    const kept = source === 'initial' ? '' : ' The stored copy was not modified.';
    super('INVALID_STATE', `The ${source} state for key "${key}" does not match the schema ${where}: ${reason}.${kept}`);
  }
}

/** `migrate` is missing for an old stored version, or it threw. Nothing was written. */
export class MigrationError extends PersistentStoreError {
  constructor(readonly key: string, readonly fromVersion: number, readonly toVersion: number, reason: string, options?: { cause?: unknown }) {
    super('MIGRATION_FAILED', `Cannot migrate the state for key "${key}" from version ${fromVersion} to ${toVersion}: ${reason}. The stored copy was not modified.`, options);
  }
}

/** Stored data written by a newer version of the job. It is never downgraded or overwritten. */
export class FutureVersionError extends PersistentStoreError {
  constructor(readonly key: string, readonly storedVersion: number, readonly version: number) {
    super('FUTURE_VERSION', `The state for key "${key}" was written by version ${storedVersion}, newer than this store's version ${version}; refusing to downgrade it. The stored copy was not modified.`);
  }
}

/** An update that would put something JSON cannot hold into the state. The update was not applied. */
export class UnserializableStateError extends PersistentStoreError {
  constructor(readonly path: string, reason: string) {
    super('UNSERIALIZABLE_STATE', `Cannot store ${reason} at ${path === '' ? 'the root' : path}: the state must be plain JSON. The update was not applied.`);
  }
}

/** Another process (or another store in this one) already has the key open. */
export class StoreLockedError extends PersistentStoreError {
  constructor(readonly key: string, detail: string) {
    super('STORE_LOCKED', `The store "${key}" is already open ${detail}`);
  }
}

/** The store was closed; it takes no more updates. */
export class StoreClosedError extends PersistentStoreError {
  constructor(readonly key: string, action: string) {
    super('STORE_CLOSED', `Cannot ${action}: the store "${key}" is closed.`);
  }
}

/**
 * A conditional write lost a race: someone else wrote the key since this store read it. Nothing
 * was overwritten. A store with `onConflict: 'rebase'` resolves it by itself.
 */
export class ConflictError extends PersistentStoreError {
  /** Retrying the same write would lose again: it needs a re-read first. */
  readonly retryable = false;
  constructor(readonly key: string, where: string) {
    super('CONFLICT', `Another writer changed "${key}" at ${where} since this store read it; nothing was overwritten.`);
  }
}

/** `flush()` could not make the state durable: its deadline passed, or the adapter refused for good. */
export class FlushError extends PersistentStoreError {
  constructor(readonly key: string, reason: string, options?: { cause?: unknown }) {
    super('FLUSH_FAILED', `Could not persist the state for key "${key}": ${reason}`, options);
  }
}

/** Short, safe rendering of an arbitrary value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** The message of anything thrown, for status and error texts. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
