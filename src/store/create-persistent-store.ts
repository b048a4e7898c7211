import { enablePatches, produce, produceWithPatches, type Draft, type Patch } from 'immer';
import { BehaviorSubject, distinctUntilChanged, map, type Observable, type Subscription } from 'rxjs';
import { defaultAdapter } from '../adapters/default-adapter.js';
import { assertValidKey } from '../adapters/keys.js';
import { ConflictError, StoreClosedError, UnserializableStateError } from '../errors.js';
import { events$ } from '../events/event-source.js';
import type { PlatformEvent } from '../events/event-types.js';
import { hydrate, restore, type Hydrated, type HydrateOptions } from './hydrate.js';
import { MAX_DEPTH } from './assert-json.js';
import { toJournalOps, type JournalOp } from './journal-ops.js';
import { createJournalWriter } from './journal-writer.js';
import { createPersistencePipeline } from './persistence-pipeline.js';
import type { PersistenceStatus } from './persistence-status.js';
import { assertValidOptions, type PersistentStoreOptions } from './store-options.js';
import { createWriteLineage } from './write-lineage.js';

enablePatches();

/** A recipe for `update`: mutate the draft, or return a whole new state. */
export type Recipe<T> = (draft: Draft<T>) => void | T;

export interface PersistentStore<T> {
  readonly key: string;
  /** True when the state came from storage, false when the store started from `initial`. */
  readonly restored: boolean;
  /** Where an unusable stored copy was moved (with `onInvalidStored: 'moveAside'`), else undefined. */
  readonly movedAside: string | undefined;
  /** The current immutable snapshot. */
  getState(): T;
  /** The state, replaying the current snapshot to each new subscriber. Completes on close. */
  readonly state$: Observable<T>;
  /** A slice of the state, emitted only when it changes (by `===`). */
  select<S>(selector: (state: T) => S): Observable<S>;
  /** Applies an immer recipe and schedules a write; returns the new snapshot. Throws on non-JSON values. */
  update(recipe: Recipe<T>): T;
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
  /** Final flush, then releases timers, subscriptions and the storage lock. Idempotent. */
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
  const debounceMs = options.debounceMs ?? 1_000;
  const maxWaitMs = options.maxWaitMs ?? Math.max(5_000, debounceMs);
  const flushTimeoutMs = options.flushTimeoutMs ?? 30_000;

  const unlock = (await adapter.lock?.(key)) ?? (async () => undefined);
  const hydrateOptions: HydrateOptions<T> = {
    key,
    adapter,
    initial: options.initial,
    schema: options.schema,
    version,
    migrate: options.migrate,
    adoptUnversioned: options.adoptUnversioned ?? true,
    onInvalidStored: options.onInvalidStored ?? 'throw',
  };
  let hydrated: Hydrated<T>;
  try {
    hydrated = await hydrate(hydrateOptions);
  } catch (error) {
    await unlock();
    throw error;
  }

  const state$ = new BehaviorSubject<T>(hydrated.state);
  const writer = createJournalWriter({ key, adapter, version, ...hydrated });
  /** With onConflict 'rebase': the recipes whose effect is not durable yet, oldest first. */
  const unwritten: Recipe<T>[] | undefined = options.onConflict === 'rebase' ? [] : undefined;
  const lineage = createWriteLineage(hydrated.writes);

  /** Re-reads the stored state and re-applies the unwritten recipes (if any) on it. */
  async function rebase(): Promise<void> {
    const stored = await adapter.read(key);
    const restored = stored === undefined ? undefined : await restore(stored, [], hydrateOptions);
    // A write of ours whose answer was lost may be in it, kept by a writer who wrote on top: those recipes are applied already.
    unwritten?.splice(0, lineage.rebasedOn(restored?.writes ?? {}));
    let next = restored === undefined ? options.initial : restored.state;
    for (const recipe of unwritten ?? []) next = produce(next, recipe as never) as T;
    state$.next(next);
  }

  const pipeline = createPersistencePipeline({
    key,
    debounceMs,
    maxWaitMs,
    async write() {
      for (;;) {
        const writes = unwritten ? lineage.stamp(unwritten.length) : lineage.current();
        try {
          await writer.persist(state$.getValue(), writes);
          unwritten?.splice(0, lineage.landed(writes));
          break;
        } catch (error) {
          if (unwritten === undefined || !(error instanceof ConflictError)) throw error;
          await rebase();
        }
      }
      if (writer.compactionDue()) pipeline.requestMaintenance();
    },
    maintain: () => writer.compact(),
  });

  let closing: Promise<void> | undefined;
  let disposed = false;
  let eventSubscription: Subscription | undefined;

  // Take in another writer's state, keeping our unwritten changes on top when we can replay them;
  // otherwise our next write meets a ConflictError.
  const refresh = async (): Promise<void> => {
    if (closing || adapter.lock !== undefined || (pipeline.status().pending > 0 && unwritten === undefined)) return;
    await rebase();
  };
  const stopWatching = adapter.watch?.(key, () => void refresh().catch(() => undefined)); // a failed re-read leaves the state as it was

  const flush = (opts?: { timeoutMs?: number }): Promise<void> =>
    disposed && pipeline.status().pending > 0
      ? Promise.reject(new StoreClosedError(key, 'flush pending changes'))
      : pipeline.flush(opts?.timeoutMs ?? flushTimeoutMs);

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await flush();
      } finally {
        disposed = true;
        eventSubscription?.unsubscribe();
        stopWatching?.();
        pipeline.dispose();
        await pipeline.settled(); // a compaction under way finishes before the lock is released
        state$.complete();
        await unlock();
      }
    })());

  const store: PersistentStore<T> = {
    key,
    restored: hydrated.restored,
    movedAside: hydrated.movedAside,
    getState: () => state$.getValue(),
    state$: state$.asObservable(),
    select: (selector) => state$.pipe(map(selector), distinctUntilChanged()),
    update(recipe) {
      if (closing) throw new StoreClosedError(key, 'update');
      const before = state$.getValue();
      let next: T;
      let ops: JournalOp[];
      try {
        let patches: Patch[];
        [next, patches] = produceWithPatches(before, recipe as never) as unknown as [T, Patch[]];
        if (patches.length === 0) return next;
        // Checks and journals only what changed: the cost follows the change, not the state.
        ops = toJournalOps(patches, before, next);
      } catch (error) {
        // immer freezes a new value recursively: nested deep enough, it overflows the stack first.
        if (error instanceof RangeError) throw new UnserializableStateError('', `a value nested too deeply (${error.message}); at most ${MAX_DEPTH} levels`);
        throw error;
      }
      writer.record(ops);
      unwritten?.push(recipe);
      state$.next(next);
      pipeline.changed();
      return next;
    },
    status$: pipeline.status$,
    getStatus: pipeline.status,
    flush,
    refresh,
    close,
  };

  eventSubscription = (options.events ?? events$).subscribe({
    next: (event: PlatformEvent) => onEvent(event),
    error: () => undefined, // a broken event source must not take the store down
  });

  function onEvent(event: PlatformEvent): void {
    switch (event.name) {
      case 'persistState':
        // The page may be going away: an asynchronous write may never finish, so copy now too.
        if (event.data.isMigrating && pipeline.status().pending > 0) writer.persistSync(state$.getValue(), lineage.current());
        return pipeline.writeNow();
      case 'migrating':
        // Write at once, then fold the journal into a snapshot so the next start is quick.
        return pipeline.requestMaintenance();
      case 'aborting':
        pipeline.writeNow();
        return event.waitUntil?.(flush().catch(() => undefined));
      case 'exit': {
        const closed = close().catch(() => undefined); // a failure shows on status$; the shutdown goes on
        return event.waitUntil?.(closed);
      }
    }
  }

  return store;
}
