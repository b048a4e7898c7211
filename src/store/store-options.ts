import type { Observable } from '../rx.js';
import type { StorageAdapter } from '../adapters/storage-adapter.js';
import { InvalidOptionError } from '../errors.js';
import type { PlatformEvent } from '../events/event-types.js';
import { assertDuration } from '../time/duration.js';
import type { StateSchema } from './state-schema.js';
import type { StoreLogger } from './logger.js';

/**
 * What `createPersistentStore` takes: `key` and `initial`; every other option has a default that
 * fits the adapter and the environment.
 *
 * @example
 * const options: PersistentStoreOptions<State> = { key: 'CRAWL_STATE', initial, version: 2, migrate: upgrade, onInvalidStored: 'moveAside' };
 * const store = await createPersistentStore(options);
 */
export interface PersistentStoreOptions<T> {
  /** The storage key: 1–256 characters from letters, digits and `!-_.'()`. */
  readonly key: string;
  /** The state when nothing is stored yet. Must be plain JSON; validated by `schema` if given. */
  readonly initial: T;
  /**
   * Validates stored (and migrated, and initial) state on start. Any zod schema fits.
   * Not run on `update()`, whose cost must follow the size of the change.
   * @default no validation
   */
  readonly schema?: StateSchema<T>;
  /** Where the state is kept. @default fileAdapter() in Node */
  readonly adapter?: StorageAdapter;
  /**
   * Platform events: `persistState` writes now; `migrating` and `aborting` write at once,
   * bypassing the debounce (a SIGTERM waits for that write); `exit` writes and closes the store.
   * Pass `EMPTY` for none.
   * @default events$ (the platform socket, local timers and signals, or the page lifecycle)
   */
  readonly events?: Observable<PlatformEvent>;
  /**
   * Write this long after the last change. The default follows the cost of a write on the
   * adapter (its `writeTiming`): 200 ms for files and IndexedDB, 2000 ms on the Apify platform
   * (billed per request), 250 ms on etcd, 500 ms on WebDAV, 1000 ms elsewhere; never more than
   * `maxWaitMs` when only that is given.
   * @default the adapter's writeTiming.debounceMs
   */
  readonly debounceMs?: number;
  /**
   * ... but never later than this after the first unwritten change: the most a kill without
   * warning can lose. A `migrating` or `aborting` event, or a signal, writes at once, and from
   * then on every change is written at once. 1000 ms for files and IndexedDB, 10,000 ms on the
   * Apify platform, 2000 ms on etcd and WebDAV, 5000 ms elsewhere; never less than `debounceMs`.
   * @default the adapter's writeTiming.maxWaitMs
   */
  readonly maxWaitMs?: number;
  /**
   * Where warnings and errors go: a failing write (once until it recovers) and its recovery, the
   * lock lost to a second writer, stored files replaced, a refused value, a state nearing the
   * adapter's limit, an update that copied a plain object or array of 10,000 entries or more, and
   * changes not written when the process ended. Each episode is written once; every one is also on
   * `diagnostics$`. By default Crawlee's / the Apify SDK's `log` when the job has loaded it, else
   * the console. `false`: nothing is written.
   * @default Crawlee's log if loaded, else console
   */
  readonly logger?: StoreLogger | false;
  /** The version of the state's shape; stored with it. @default 0 */
  readonly version?: number;
  /**
   * Turns a stored state of an older version into the current shape; may be async. The result
   * is then validated by `schema`. Required once `version` moves past a stored version.
   * @default none: an older stored version is refused with a MigrationError
   */
  readonly migrate?: (state: unknown, fromVersion: number) => T | Promise<T>;
  /**
   * Take a stored value without this library's envelope (what Crawlee's `useState` and the
   * Apify SDK's `setValue` write) as version 0, so a running crawl can switch to this library.
   *
   * With a `schema`, the schema alone decides whether the bare value (or what `migrate` makes of
   * it) is adopted. Without one, it is adopted only if it looks like this store's state, so that
   * a stray answer (a gateway's own `200` JSON page) is never taken for the state and then
   * overwritten by the first write: the bare value (or, when `version` is above 0, what `migrate`
   * returns for it) must be of the same JSON kind as `initial` (object, array, string, number,
   * boolean or null) and, when `initial` is a non-empty plain object, have every top-level key of
   * `initial` with a value of the same kind, except that a key `initial` sets to `null` may hold
   * anything. Extra keys are allowed (Crawlee's `useState` stores the whole state, so its values
   * pass). Otherwise opening rejects with a `CorruptStateError` that says why, and nothing is
   * written; with `onInvalidStored: 'moveAside'` the value is moved aside, never overwritten. To
   * adopt such a value, pass a `schema` that accepts it. `false` refuses every bare value.
   * @default true
   */
  readonly adoptUnversioned?: boolean;
  /**
   * What to do when the stored state is unreadable, fails `schema`, or `migrate` throws.
   * `'throw'` rejects with a typed error and writes nothing. `'moveAside'` moves the stored copy
   * to `<key>.invalid-<timestamp>` (never overwriting anything) and starts from `initial`.
   * A state from a newer version is always refused.
   * @default 'throw'
   */
  readonly onInvalidStored?: 'throw' | 'moveAside';
  /** How long `flush()` and `close()` wait for durability before rejecting (> 0). @default 30000 */
  readonly flushTimeoutMs?: number;
  /**
   * At `close()`, after the final write, fold the journal into a snapshot when it holds any
   * record and this store changed something since it opened (a reader writes nothing), so that what reads only the snapshot (`Actor.getValue`, the Apify console, a file
   * viewer) sees the state as it was closed. Costs one snapshot write, paid at close: for
   * 200,000 URLs, 0.11 s on a local disk, 0.33 s through the Apify API (0.96 s and 1.8 s at
   * 1,000,000). Skipped when the lock was lost or the final write failed; a compaction that
   * fails is reported on `diagnostics$` and loses nothing (the journal holds the changes).
   * `false`: `close()` leaves the journal as it is, the next open replays it.
   * @default true
   */
  readonly compactOnClose?: boolean;
  /**
   * What a write that lost a race does (a `ConflictError`, from an adapter with conditional
   * writes: another process wrote the key since this store read it). `'fail'`: nothing is
   * overwritten, `status$` says `error` and `flush()` rejects with the ConflictError. `'rebase'`:
   * re-read the stored state, re-apply the recipes not yet written, and write again, until it
   * lands: right for counters and maps that several workers share. A write of ours that landed
   * although its answer was lost is recognised in the state read back, never applied twice.
   * Recipes must then depend on the draft only, as they may run more than once.
   * @default 'fail'
   */
  readonly onConflict?: 'fail' | 'rebase';
}

/** Rejects options of the wrong type or range, naming the option. */
export function assertValidOptions<T>(options: PersistentStoreOptions<T>): void {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'pass an object with at least key and initial');
  if (!('initial' in options)) throw new InvalidOptionError('initial', 'is required');
  // 0 writes at the next turn; a flush timeout of 0 would give up before any write could land.
  if (options.debounceMs !== undefined) assertDuration('debounceMs', options.debounceMs, { allowZero: true });
  if (options.maxWaitMs !== undefined) assertDuration('maxWaitMs', options.maxWaitMs, { allowZero: true });
  if (options.flushTimeoutMs !== undefined) assertDuration('flushTimeoutMs', options.flushTimeoutMs);
  if (options.maxWaitMs !== undefined && options.debounceMs !== undefined && options.maxWaitMs < options.debounceMs) {
    throw new InvalidOptionError('maxWaitMs', `must be at least debounceMs (${options.debounceMs}), got ${options.maxWaitMs}`);
  }
  const { version } = options;
  if (version !== undefined && !(Number.isSafeInteger(version) && version >= 0)) {
    throw new InvalidOptionError('version', `expected a whole number from 0 to 2^53 − 1, got ${String(version)}`);
  }
  if (options.migrate !== undefined && typeof options.migrate !== 'function') throw new InvalidOptionError('migrate', 'expected a function');
  if (options.schema !== undefined && typeof options.schema?.safeParse !== 'function') {
    throw new InvalidOptionError('schema', 'expected a zod schema (an object with safeParse)');
  }
  const { logger } = options;
  if (
    logger !== undefined &&
    logger !== false &&
    !(typeof logger === 'object' && logger !== null && typeof logger.warning === 'function' && typeof logger.error === 'function')
  ) {
    // The console itself is the likeliest to be given: it has warn(), not warning().
    const consoleLike = typeof logger === 'object' && logger !== null && typeof (logger as { warn?: unknown }).warn === 'function';
    throw new InvalidOptionError(
      'logger',
      consoleLike
        ? "got an object with warn() (the console?); a logger has warning() and error(). The console is already the default when Crawlee's log is not loaded; to force it, pass { warning: console.warn, error: console.error }"
        : "expected false or an object with warning() and error() (Crawlee's log, or your own)",
    );
  }
  if (options.onConflict !== undefined && options.onConflict !== 'fail' && options.onConflict !== 'rebase') {
    throw new InvalidOptionError('onConflict', `expected 'fail' or 'rebase', got ${String(options.onConflict)}`);
  }
  if (options.onInvalidStored !== undefined && options.onInvalidStored !== 'throw' && options.onInvalidStored !== 'moveAside') {
    throw new InvalidOptionError('onInvalidStored', `expected 'throw' or 'moveAside', got ${String(options.onInvalidStored)}`);
  }
  if (options.compactOnClose !== undefined && typeof options.compactOnClose !== 'boolean') {
    throw new InvalidOptionError('compactOnClose', `expected true or false, got ${String(options.compactOnClose)}`);
  }
}
