/**
 * Every error the library throws on purpose is a `PersistentStoreError` with a stable `code`,
 * so callers can branch on `instanceof` or on `code` without parsing messages.
 *
 * @example
 * try {
 *   await store.flush();
 * } catch (error) {
 *   if (error instanceof PersistentStoreError) console.error(`${error.code}: ${error.message}`);
 * }
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

/**
 * A key that storage would misread: empty, too long, a path trick or a forbidden character.
 *
 * @example
 * await createPersistentStore({ key: '../state', initial: {} }); // rejects: InvalidKeyError, error.key === '../state'
 */
export class InvalidKeyError extends PersistentStoreError {
  constructor(
    readonly key: unknown,
    reason: string,
  ) {
    super('INVALID_KEY', `Invalid store key ${describeValue(key)}: ${reason}`);
  }
}

/**
 * An option with a wrong type or out of range (`debounceMs: -1`, a non-function `migrate`).
 *
 * @example
 * await createPersistentStore({ key: 'K', initial: {}, debounceMs: -1 }); // rejects: InvalidOptionError, error.option === 'debounceMs'
 */
export class InvalidOptionError extends PersistentStoreError {
  constructor(
    readonly option: string,
    reason: string,
  ) {
    super('INVALID_OPTION', `Invalid option "${option}": ${reason}`);
  }
}

/**
 * Stored bytes that cannot be parsed at all. The stored copy is left untouched.
 *
 * @example
 * const store = await createPersistentStore({ key: 'K', initial }).catch((error: unknown) => {
 *   if (error instanceof CorruptStateError) console.error(`unreadable, left as it was: ${error.location}`);
 *   throw error;
 * });
 */
export class CorruptStateError extends PersistentStoreError {
  constructor(
    readonly key: string,
    readonly location: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('CORRUPT_STATE', `Stored state for key "${key}" at ${location} is unreadable: ${reason}. It was not modified.`, options);
  }
}

/**
 * A state (stored, migrated or initial) that does not match the store's `schema`.
 *
 * @example
 * // error.source: 'stored', 'migrated' or 'initial'; error.path: where the schema failed, e.g. "items.3.url"
 * if (error instanceof InvalidStateError) console.error(`${error.source} state fails the schema at ${error.path}`);
 */
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

/**
 * `migrate` is missing for an old stored version, or it threw. Nothing was written.
 *
 * @example
 * if (error instanceof MigrationError) console.error(`no way from version ${error.fromVersion} to ${error.toVersion}`, error.cause);
 */
export class MigrationError extends PersistentStoreError {
  constructor(
    readonly key: string,
    readonly fromVersion: number,
    readonly toVersion: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      'MIGRATION_FAILED',
      `Cannot migrate the state for key "${key}" from version ${fromVersion} to ${toVersion}: ${reason}. The stored copy was not modified.`,
      options,
    );
  }
}

/**
 * Stored data written by a newer version of the job. It is never downgraded or overwritten.
 *
 * @example
 * if (error instanceof FutureVersionError) console.error(`stored by version ${error.storedVersion}: deploy that job, not this one (${error.version})`);
 */
export class FutureVersionError extends PersistentStoreError {
  constructor(
    readonly key: string,
    readonly storedVersion: number,
    readonly version: number,
  ) {
    super(
      'FUTURE_VERSION',
      `The state for key "${key}" was written by version ${storedVersion}, newer than this store's version ${version}; refusing to downgrade it. The stored copy was not modified.`,
    );
  }
}

/**
 * An update that would put something JSON cannot hold into the state. The update was not applied.
 * `hint`, when given, says what to use instead (a `Map`: `KeyedMap`).
 *
 * @example
 * store.update((s) => {
 *   s.byUrl = new Map(); // throws UnserializableStateError: "… use KeyedMap …"; nothing applied
 * });
 */
export class UnserializableStateError extends PersistentStoreError {
  /** `reason`: what was refused ("a Set object", "undefined"), without the path. */
  constructor(
    readonly path: string,
    readonly reason: string,
    hint?: string,
  ) {
    super(
      'UNSERIALIZABLE_STATE',
      `Cannot store ${reason} at ${path === '' ? 'the root' : path}: the state must be plain JSON${hint === undefined ? '' : `; ${hint}`}. The update was not applied.`,
    );
  }
}

/**
 * Another process (or another store in this one) already has the key open.
 *
 * @example
 * if (error instanceof StoreLockedError) console.error(`another run holds ${error.key}: ${error.message}`);
 */
export class StoreLockedError extends PersistentStoreError {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super('STORE_LOCKED', `The store "${key}" is already open ${detail}`);
  }
}

/**
 * The store was closed; it takes no more updates.
 *
 * @example
 * await store.close();
 * store.update((s) => void s.done++); // throws StoreClosedError
 */
export class StoreClosedError extends PersistentStoreError {
  constructor(
    readonly key: string,
    action: string,
  ) {
    super('STORE_CLOSED', `Cannot ${action}: the store "${key}" is closed.`);
  }
}

/**
 * A conditional write lost a race: someone else wrote the key since this store read it. Nothing
 * was overwritten. A store with `onConflict: 'rebase'` resolves it by itself.
 *
 * @example
 * // Resolved by the store itself: it takes in the other writers' changes and writes again.
 * const store = await createPersistentStore({ key: 'COUNTER', initial: { n: 0 }, adapter: remoteKvAdapter({ dialect: etcdDialect({ endpoint }) }), onConflict: 'rebase' });
 */
export class ConflictError extends PersistentStoreError {
  /** Retrying the same write would lose again: it needs a re-read first. */
  readonly retryable = false;
  constructor(
    readonly key: string,
    where: string,
  ) {
    super('CONFLICT', `Another writer changed "${key}" at ${where} since this store read it; nothing was overwritten.`);
  }
}

/**
 * `flush()` could not make the state durable: its deadline passed, or the adapter refused for good.
 *
 * @example
 * await store.flush({ timeoutMs: 5_000 }).catch((error: unknown) => {
 *   if (error instanceof FlushError) console.error(error.message, error.cause); // the state is still in memory
 * });
 */
export class FlushError extends PersistentStoreError {
  constructor(
    readonly key: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('FLUSH_FAILED', `Could not persist the state for key "${key}": ${reason}`, options);
  }
}

/**
 * A recipe called `update()` (of the same store) while it ran. Neither update was applied.
 *
 * @example
 * store.update((s) => {
 *   store.update((t) => void t.done++); // throws ReentrantUpdateError: make the change here instead
 * });
 */
export class ReentrantUpdateError extends PersistentStoreError {
  constructor(readonly key: string) {
    super(
      'REENTRANT_UPDATE',
      `store.update() was called inside a recipe of the store "${key}": an update cannot start another. Neither was applied; make the change in the outer recipe instead.`,
    );
  }
}

/**
 * A move (`onInvalidStored: 'moveAside'`) whose target already holds data. Nothing was moved.
 *
 * @example
 * await createPersistentStore({ key: 'K', initial, onInvalidStored: 'moveAside' }); // rejects with TargetExistsError when K.invalid-<time> is taken
 */
export class TargetExistsError extends PersistentStoreError {
  constructor(
    readonly key: string,
    readonly target: string,
  ) {
    super('TARGET_EXISTS', `Cannot move "${key}" to ${target}: something is stored there already. Nothing was moved.`);
  }
}

/**
 * A value over the backend's size limit; refused before sending. Retrying cannot help.
 *
 * @example
 * store.status$.subscribe(({ lastError }) => {
 *   if (lastError instanceof ValueTooLargeError) console.error(`${lastError.bytes} bytes, the limit is ${lastError.limit}`);
 * });
 */
export class ValueTooLargeError extends PersistentStoreError {
  readonly retryable = false;
  constructor(
    readonly key: string,
    readonly bytes: number,
    readonly limit: number,
    backend: string,
  ) {
    super(
      'VALUE_TOO_LARGE',
      `The value for key "${key}" is ${bytes} bytes; ${backend} takes at most ${limit} in one request. Nothing was sent; the state is kept in memory.`,
    );
  }
}

/**
 * The browser refused a write for lack of storage quota. The state is kept in memory.
 *
 * @example
 * store.status$.subscribe(({ lastError }) => {
 *   if (lastError instanceof QuotaExceededError) showBanner('The browser is out of space: your changes are not saved yet.');
 * });
 */
export class QuotaExceededError extends PersistentStoreError {
  constructor(
    readonly key: string,
    readonly bytes: number,
    options?: { cause?: unknown },
  ) {
    super(
      'QUOTA_EXCEEDED',
      `IndexedDB refused the state for key "${key}" (about ${bytes} bytes): the storage quota is exceeded. The state is kept in memory.`,
      options,
    );
  }
}

/**
 * The environment says the job runs on the Apify platform (`APIFY_IS_AT_HOME`) but lacks a
 * variable the default adapter needs there (`variable`). The container's disk is no fallback: a
 * migration leaves it behind, and the next run would start afresh. Thrown at open, before
 * anything is read or written.
 *
 * @example
 * if (error instanceof PlatformConfigError) console.error(`set ${error.variable}, or pass adapter: fileAdapter()`);
 */
export class PlatformConfigError extends PersistentStoreError {
  constructor(
    readonly variable: string,
    what: string,
  ) {
    super(
      'PLATFORM_CONFIG',
      `APIFY_IS_AT_HOME is set, so the state belongs in the run's key-value store (a migration leaves the container's disk behind), but ${variable} (${what}) is not set. ` +
        `Set it, or pass \`adapter: fileAdapter()\` to keep the state on this disk on purpose. Nothing was read or written.`,
    );
  }
}

/**
 * No adapter was given and the environment has no default (neither Node nor IndexedDB).
 *
 * @example
 * // In a web worker (no default adapter there), name one:
 * const store = await createPersistentStore({ key: 'K', initial: {}, adapter: memoryAdapter() });
 */
export class NoDefaultAdapterError extends PersistentStoreError {
  /** `why`: what this environment lacks. */
  constructor(why: string) {
    super('NO_DEFAULT_ADAPTER', `No default storage adapter here (${why}): pass \`adapter\`, for example memoryAdapter().`);
  }
}

/**
 * A `KeyedMap` used wrongly: a key that is not a string, or a snapshot's map changed outside `update()`.
 *
 * @example
 * store.getState().seen.set(url, true); // throws KeyedMapError (READ_ONLY_MAP)
 * store.update((s) => void s.seen.set(url, true)); // the way to change it
 */
export class KeyedMapError extends PersistentStoreError {
  constructor(code: 'INVALID_MAP_KEY' | 'READ_ONLY_MAP', message: string) {
    super(code, message);
  }
}

/**
 * The operating system refused a storage operation. `osCode` is the system's code (`ENOSPC`,
 * `EACCES`, …); the subclasses say which kind. The failed operation left the stored copy as it was.
 *
 * @example
 * store.status$.subscribe(({ lastError }) => {
 *   if (lastError instanceof StorageError) console.error(`${lastError.osCode} at ${lastError.location}`);
 * });
 */
export class StorageError extends PersistentStoreError {
  /** Only a full disk or an I/O hiccup may clear up by itself; the others need someone to act. */
  readonly retryable: boolean;
  constructor(
    readonly location: string,
    readonly osCode: string | undefined,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
    code = 'STORAGE_IO',
  ) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable ?? true;
  }
}

/**
 * No space left (ENOSPC, EDQUOT, EFBIG). Retried with backoff: space may be freed.
 *
 * @example
 * if (store.getStatus().lastError instanceof StorageFullError) await freeSomeSpace(); // the store retries by itself
 */
export class StorageFullError extends StorageError {
  constructor(location: string, osCode: string, action: string, cause: unknown) {
    super(
      location,
      osCode,
      `Cannot ${action} at ${location}: no space left (${osCode}). The stored copy was not modified; the write is retried.`,
      { cause, retryable: true },
      'STORAGE_FULL',
    );
  }
}

/**
 * Not allowed (EACCES, EPERM, EROFS): a read-only folder or file, or another user's.
 *
 * @example
 * if (error instanceof StorageAccessError) console.error(`cannot write ${error.location}: ${error.osCode}`);
 */
export class StorageAccessError extends StorageError {
  constructor(location: string, osCode: string, action: string, cause: unknown) {
    super(
      location,
      osCode,
      `Cannot ${action} at ${location}: permission denied (${osCode}; a read-only folder or file?). The stored copy was not modified.`,
      { cause, retryable: false },
      'STORAGE_ACCESS',
    );
  }
}

/**
 * A path that is not what the store expects: a symbolic link, a folder, a name too long.
 *
 * @example
 * if (error instanceof StoragePathError) console.error(`not a regular file, never followed: ${error.location}`);
 */
export class StoragePathError extends StorageError {
  constructor(location: string, osCode: string, action: string, cause: unknown) {
    const what =
      osCode === 'ELOOP'
        ? 'it is a symbolic link, which the store never follows'
        : osCode === 'ENAMETOOLONG'
          ? 'the path is too long'
          : osCode === NOT_REGULAR
            ? 'it is not a regular file (a FIFO, device, socket or folder), which the store never reads or writes'
            : 'a file or folder is not where or what it should be';
    super(
      location,
      osCode,
      `Cannot ${action} at ${location}: ${what} (${osCode}). Nothing was followed or modified.`,
      { cause, retryable: false },
      'STORAGE_PATH',
    );
  }
}

/** `StoragePathError`'s code for a path that names something other than a regular file (no errno says so). */
export const NOT_REGULAR = 'ENOTREG';

const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const ACCESS = new Set(['EACCES', 'EPERM', 'EROFS']);
const PATH = new Set(['ELOOP', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG', 'EMLINK']);

/**
 * The typed error for a failed system call on storage: `action` says what was being done
 * ("append to the journal"), `location` where. A `PersistentStoreError` is returned as it is.
 *
 * @example throw storageErrorFrom(error, 'append to the journal', file);
 */
export function storageErrorFrom(error: unknown, action: string, location: string): PersistentStoreError {
  if (error instanceof PersistentStoreError) return error;
  const raw = (error as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' ? raw : undefined;
  if (code !== undefined && FULL.has(code)) return new StorageFullError(location, code, action, error);
  if (code !== undefined && ACCESS.has(code)) return new StorageAccessError(location, code, action, error);
  if (code !== undefined && PATH.has(code)) return new StoragePathError(location, code, action, error);
  return new StorageError(location, code, `Cannot ${action} at ${location}: ${errorMessage(error)}. The stored copy was not modified by this attempt.`, {
    cause: error,
  });
}

/**
 * The store's files were removed or replaced behind its back (a purged or deleted storage folder,
 * a file swapped for another): what it appended since would have gone nowhere. The store writes
 * its whole state again instead.
 *
 * @example
 * store.diagnostics$.subscribe(({ type, error }) => {
 *   if (type === 'storage-replaced' && error instanceof StorageReplacedError) console.warn(`written again whole: ${error.location}`);
 * });
 */
export class StorageReplacedError extends PersistentStoreError {
  constructor(
    readonly key: string,
    readonly location: string,
    what: string,
  ) {
    super('STORAGE_REPLACED', `The stored files of "${key}" at ${location} were ${what} while the store was open; nothing more is appended to them.`);
  }
}

/**
 * Another process took the key's lock while this store had it open (after its lock file was removed).
 *
 * @example
 * store.diagnostics$.subscribe(({ type, error }) => {
 *   if (error instanceof LockLostError) console.error(`${type}: ${error.message}`); // this store writes nothing more
 * });
 */
export class LockLostError extends PersistentStoreError {
  readonly retryable = false;
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super('LOCK_LOST', `The store "${key}" lost its lock: ${detail}. It writes nothing more; its state is kept in memory.`);
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
  // Duck-typed: an error from another realm (a vm context, an iframe) is no `instanceof Error` here.
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** Anything thrown as an Error, for where one is kept or reported (`lastError`, a notice's `error`): an Error as it is, else one with its message. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(errorMessage(error));
}
