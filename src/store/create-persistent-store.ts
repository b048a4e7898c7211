import { enablePatches } from 'immer';
import { distinctUntilChanged, map, type Observable, type Subscription } from '../rx.js';
import { defaultAdapter } from '../adapters/default-adapter.js';
import { assertValidKey } from '../adapters/keys.js';
import type { StorageAdapter } from '../adapters/storage-adapter.js';
import { StoreClosedError } from '../errors.js';
import { events$ } from '../events/event-source.js';
import { createNotices, type StoreDiagnostic } from './notices.js';
import type { PersistenceStatus } from './persistence-status.js';
import type { Recipe } from './recipe.js';
import { closeStore } from './store-close.js';
import { followPlatformEvents, warnUnwrittenOnExit } from './store-events.js';
import { openStore } from './store-open.js';
import { assertValidOptions, type PersistentStoreOptions } from './store-options.js';
import { publishedState } from './store-state.js';
import { createStoreUpdate } from './store-update.js';
import { createStoreWrites, reportWriteFailures } from './store-writes.js';

enablePatches();

/** When the adapter does not choose: see `StorageAdapter.writeTiming`. */
const DEFAULT_WRITE_TIMING = { debounceMs: 1_000, maxWaitMs: 5_000 } as const;

export type { Recipe } from './recipe.js';

/**
 * An open store, made by `createPersistentStore`: the state as immutable snapshots, each change
 * written through the adapter, debounced.
 *
 * @example
 * const store: PersistentStore<{ done: number }> = await createPersistentStore({ key: 'STATE', initial: { done: 0 } });
 * store.select((s) => s.done).subscribe((done) => console.log(`${done} done`));
 * store.update((s) => {
 *   s.done++;
 * });
 * await store.close();
 */
export interface PersistentStore<T> {
  /** The storage key the store was opened with. */
  readonly key: string;
  /** True when the state came from storage, false when the store started from `initial`. */
  readonly restored: boolean;
  /**
   * Where the state lives, as the adapter names it: a file's path, a record's URL (without
   * credentials), `memory:<key>`. Worth a line in the job's log: it says at once whether a run
   * on the platform writes to its key-value store or to a disk a migration leaves behind.
   *
   * @example console.log(`state at ${store.location}`); // state at https://api.apify.com/v2/key-value-stores/…/records/CRAWL_STATE
   */
  readonly location: string;
  /** Where an unusable stored copy was moved (with `onInvalidStored: 'moveAside'`), else undefined. */
  readonly movedAside: string | undefined;
  /** The current immutable snapshot. */
  getState(): T;
  /** The state, replaying the current snapshot to each new subscriber. Completes on close. */
  readonly state$: Observable<T>;
  /** A slice of the state, emitted only when it changes (by `===`). */
  select<S>(selector: (state: T) => S): Observable<S>;
  /**
   * Applies an immer recipe and schedules a write; returns the new snapshot. Throws
   * `UnserializableStateError` on non-JSON values, `ReentrantUpdateError` when called from inside
   * a recipe (neither update is then applied), and whatever the recipe itself throws, unchanged.
   */
  update(recipe: Recipe<T>): T;
  /**
   * What the user must hear of even without watching `status$`: the store's files removed or
   * replaced behind its back (it wrote its whole state again), its lock taken by another process
   * (it writes nothing more), a write failing (until one lands), and the other kinds of
   * `StoreDiagnostic.type`. Each episode is also written once to the `logger`, prefixed
   * `rx-persistent-store:`.
   *
   * @example store.diagnostics$.subscribe(({ type, message }) => log.warning(message, { type }));
   */
  readonly diagnostics$: Observable<StoreDiagnostic>;
  /** Persistence status, replaying the current one. */
  readonly status$: Observable<PersistenceStatus>;
  /** The current persistence status. */
  getStatus(): PersistenceStatus;
  /** Resolves when every update made before the call is durable; rejects with `FlushError` if that cannot happen in time. */
  flush(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Takes in what other writers stored since (other workers on a remote key, other tabs): re-reads
   * the stored state and re-applies this store's changes not yet written (with `onConflict:
   * 'rebase'`; otherwise only when there are none). Does nothing on an adapter that locks the key.
   */
  refresh(): Promise<void>;
  /**
   * Final flush, then releases timers, subscriptions and the storage lock. Idempotent. With an
   * adapter that can verify its stored files, first checks they are still there and, if they were
   * removed meanwhile (a purged folder), writes the state whole again before letting go. Then
   * (unless `compactOnClose: false`, or nothing was changed since open) folds the journal into a snapshot, so that the stored
   * snapshot is the state as closed for any tool that reads only it.
   */
  close(): Promise<void>;
}

/**
 * Opens a persistent store: takes the key's lock, restores (migrates, validates) what was stored,
 * and from then on writes each change, debounced, through the adapter.
 *
 * @example
 * const store = await createPersistentStore({ key: 'CRAWL_STATE', initial: { done: 0 } });
 * store.update((s) => { s.done++; });
 * await store.close();
 */
export async function createPersistentStore<T>(options: PersistentStoreOptions<T>): Promise<PersistentStore<T>> {
  assertValidOptions(options);
  const { key } = options;
  assertValidKey(key);
  const adapter = options.adapter ?? (await defaultAdapter());
  const version = options.version ?? 0;
  const { debounceMs, maxWaitMs } = writeTimingOf(options, adapter);
  const flushTimeoutMs = options.flushTimeoutMs ?? 30_000;

  const opened = await openStore(options, adapter, version);
  const { location, hydrated } = opened;
  const state = publishedState(hydrated.state);
  const notices = createNotices(options.logger);
  const writes = createStoreWrites({ key, adapter, version, notices, opened, rebase: options.onConflict === 'rebase', state, debounceMs, maxWaitMs });
  const { writer, pipeline, inTurn } = writes;
  const failures = reportWriteFailures(pipeline, notices, key, location);

  let closing: Promise<void> | undefined;
  let disposed = false;
  let eventSubscription: Subscription | undefined;
  const isClosing = (): boolean => closing !== undefined;
  const stopExitCheck = warnUnwrittenOnExit({ key, location, pipeline, notices, closing: isClosing });
  const updates = createStoreUpdate({ key, state, notices, writer, pipeline, closing: isClosing });

  // Take in another writer's state, keeping our unwritten changes on top when we can replay them;
  // otherwise our next write meets a ConflictError.
  const refresh = async (): Promise<void> => {
    if (isClosing() || adapter.sharing !== 'shared') return;
    await inTurn(() => writer.refresh());
  };
  const stopWatching = adapter.watch?.(key, () => void refresh().catch(() => undefined)); // a failed re-read leaves the state as it was

  const flush = (opts?: { timeoutMs?: number }): Promise<void> =>
    disposed && pipeline.status().pending > 0
      ? Promise.reject(new StoreClosedError(key, 'flush pending changes'))
      : pipeline.flush(opts?.timeoutMs ?? flushTimeoutMs);

  /** After the last writes: every timer, subscription and watch ended, then the lock released. */
  const letGo = async (): Promise<void> => {
    disposed = true;
    if (pipeline.status().pending === 0) stopExitCheck?.();
    eventSubscription?.unsubscribe();
    failures.unsubscribe();
    stopWatching?.();
    pipeline.dispose();
    await pipeline.settled(); // a compaction under way finishes before the lock is released
    state.state$.complete();
    notices.complete();
    await opened.unlock();
  };
  const close = (): Promise<void> =>
    (closing ??= closeStore({
      key,
      adapter,
      compactOnClose: options.compactOnClose ?? true,
      writes,
      notices,
      flush,
      changedSinceOpen: () => updates.changedSinceOpen,
      letGo,
    }));

  const store: PersistentStore<T> = {
    key,
    location,
    restored: hydrated.restored,
    movedAside: hydrated.movedAside,
    getState: state.get,
    state$: state.state$.asObservable(),
    select: (selector) => state.state$.pipe(map(selector), distinctUntilChanged()),
    update: updates.update,
    diagnostics$: notices.diagnostics$,
    status$: pipeline.status$,
    getStatus: pipeline.status,
    flush,
    refresh,
    close,
  };

  eventSubscription = followPlatformEvents(options.events ?? events$, { pipeline, writer, flush, close });
  return store;
}

/** The debounce and max wait: the options', else the adapter's (see `StorageAdapter.writeTiming`), each within the other's bound. */
function writeTimingOf<T>(options: PersistentStoreOptions<T>, adapter: StorageAdapter): { debounceMs: number; maxWaitMs: number } {
  const timing = adapter.writeTiming ?? DEFAULT_WRITE_TIMING;
  const debounceMs = options.debounceMs ?? Math.min(timing.debounceMs, options.maxWaitMs ?? Infinity);
  const maxWaitMs = options.maxWaitMs ?? Math.max(timing.maxWaitMs, debounceMs);
  return { debounceMs, maxWaitMs };
}
