import { enablePatches, type Draft } from 'immer';
import { BehaviorSubject, distinctUntilChanged, map, type Observable, type Subscription } from 'rxjs';
import { defaultAdapter } from '../adapters/default-adapter.js';
import { assertValidKey } from '../adapters/keys.js';
import { LockLostError, ReentrantUpdateError, StoreClosedError, UnserializableStateError, asError, storageErrorFrom } from '../errors.js';
import { events$ } from '../events/event-source.js';
import { nodeRuntime } from '../runtime/runtime.js';
import type { PlatformEvent } from '../events/event-types.js';
import { fresh, hydrate, readStored, readStoredJournal, restore, type Hydrated, type HydrateOptions } from './hydrate.js';
import { MAX_DEPTH } from './assert-json.js';
import type { JournalOp } from './journal-ops.js';
import { createJournalWriter } from './journal-writer.js';
import { createNotices, type StoreDiagnostic } from './notices.js';
import { createPersistencePipeline } from './persistence-pipeline.js';
import type { PersistenceStatus } from './persistence-status.js';
import { assertValidOptions, type PersistentStoreOptions } from './store-options.js';
import { applyRecipe, type Recipe } from './recipe.js';
import { formatPath } from './json-path.js';
import { LARGE_CONTAINER_ENTRIES, largeCopies } from './large-copies.js';

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
  const timing = adapter.writeTiming ?? DEFAULT_WRITE_TIMING;
  const debounceMs = options.debounceMs ?? Math.min(timing.debounceMs, options.maxWaitMs ?? Infinity);
  const maxWaitMs = options.maxWaitMs ?? Math.max(timing.maxWaitMs, debounceMs);
  const flushTimeoutMs = options.flushTimeoutMs ?? 30_000;

  const location = adapter.locate(key);
  let release: () => Promise<void>;
  try {
    release = (await adapter.lock?.(key)) ?? (async () => undefined);
  } catch (error) {
    throw storageErrorFrom(error, 'lock the key', location);
  }
  const unlock = async (): Promise<void> => {
    try {
      await release();
    } catch (error) {
      throw storageErrorFrom(error, 'release the lock', location);
    }
  };
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
    await unlock().catch(() => undefined); // the failure to open is what the caller must see
    throw error;
  }

  const state$ = new BehaviorSubject<T>(hydrated.state);
  /** The state. `state$` catches up with it after each change (see `publishState`). */
  let current = hydrated.state;
  let publishing = false;
  /**
   * Emits `current` to `state$`. A subscriber may itself call `update()`: its state is emitted once
   * every subscriber has seen the one before, so that all of them see the states in order and end
   * on the latest (a plain `next` inside `next` would end the later subscribers on an older one).
   */
  function publishState(): void {
    if (publishing) return;
    publishing = true;
    try {
      while (state$.getValue() !== current) state$.next(current);
    } finally {
      publishing = false;
    }
  }
  const notices = createNotices(options.logger);
  const writer = createJournalWriter<T>({
    key,
    adapter,
    version,
    notices,
    loaded: hydrated,
    rebase: options.onConflict === 'rebase',
    reload: async () => {
      const stored = await readStored(adapter, key);
      return stored === undefined ? fresh(hydrateOptions, undefined) : restore(stored, await readStoredJournal(adapter, key), hydrateOptions);
    },
    state: {
      get: () => current,
      set(next) {
        current = next;
        publishState();
      },
    },
  });

  /** Runs adapter work one piece at a time: a refresh must not interleave with a write. */
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <R>(task: () => Promise<R>): Promise<R> => {
    const run = turn.then(task);
    turn = run.catch(() => undefined);
    return run;
  };

  const pipeline = createPersistencePipeline({
    key,
    debounceMs,
    maxWaitMs,
    write: () =>
      inTurn(async () => {
        await writer.persist();
        if (writer.compactionDue()) pipeline.requestMaintenance();
        checkLimit();
      }),
    maintain: () => inTurn(() => writer.compact()),
  });

  /** Warns once when the state grows past 80 % of what the adapter can hold (see `StorageAdapter.stateLimit`). */
  function checkLimit(): void {
    const limit = adapter.stateLimit;
    if (!limit) return;
    const bytes = writer.storedBytes();
    if (bytes < 0.8 * limit.bytes) return notices.settled('near-limit');
    const share = Math.round((100 * bytes) / limit.bytes);
    notices.report({
      type: 'near-limit',
      key,
      message: `The state of "${key}" is about ${bytes.toLocaleString('en-US')} bytes, ${share} % of ${limit.what} (${limit.bytes.toLocaleString('en-US')} bytes). Keep less in it, or move it to another adapter.`,
    });
  }

  // A failing write must be heard of even when nobody watches status$: once per episode, until a write lands.
  let failedAttempts = 0;
  let lastFailure: Error | null = null;
  const failures = pipeline.status$.subscribe(({ phase, lastError }) => {
    // A lost lock is its own notice (the writer's); it ends every write, so the failure would say it twice.
    if (phase === 'error' && lastError && lastError !== lastFailure && !(lastError instanceof LockLostError)) {
      lastFailure = lastError; // each attempt fails with an error of its own; the status is published more often
      if (failedAttempts++ === 0) {
        notices.report({
          type: 'write-failed',
          key,
          message: `Could not write the state of "${key}" to ${location}: ${lastError.message.replace(/\.?$/, '.')} The state is kept in memory; writing it is tried again.`,
          error: lastError,
        });
      }
    } else if (phase === 'idle' && failedAttempts > 0) {
      notices.settled('write-failed');
      notices.report({
        type: 'write-recovered',
        key,
        message: `The state of "${key}" is written again, after ${failedAttempts} failed attempt${failedAttempts === 1 ? '' : 's'}.`,
      });
      notices.settled('write-recovered');
      failedAttempts = 0;
    }
  });
  // A process that ends with changes unwritten (process.exit, Actor.exit without waiting for the store) says so (Node).
  const stopExitCheck = nodeRuntime()?.atExit(() => {
    const { pending } = pipeline.status();
    if (pending === 0) return;
    notices.report({
      type: 'unwritten-on-exit',
      key,
      message: `The process ended with ${pending} change${pending === 1 ? '' : 's'} of "${key}" not yet written to ${location}: they are lost. ${
        closing
          ? 'close() could not write them (see why in the write-failed line before).'
          : 'Before the process ends, await store.close() (or store.flush()); with the Apify SDK, open the store with events: fromEventManager(Actor.config.getEventManager()) and Actor.exit() waits for it.'
      }`,
    });
  });

  let closing: Promise<void> | undefined;
  /** Whether an update changed anything since the store opened (see close). */
  let changedSinceOpen = false;
  /** True while a recipe runs; `reentered` once it called update() (refused). */
  let updating = false;
  let reentered = false;
  let disposed = false;
  let eventSubscription: Subscription | undefined;

  // Take in another writer's state, keeping our unwritten changes on top when we can replay them;
  // otherwise our next write meets a ConflictError.
  const refresh = async (): Promise<void> => {
    if (closing || adapter.sharing !== 'shared') return;
    await inTurn(() => writer.refresh());
  };
  const stopWatching = adapter.watch?.(key, () => void refresh().catch(() => undefined)); // a failed re-read leaves the state as it was

  const flush = (opts?: { timeoutMs?: number }): Promise<void> =>
    disposed && pipeline.status().pending > 0
      ? Promise.reject(new StoreClosedError(key, 'flush pending changes'))
      : pipeline.flush(opts?.timeoutMs ?? flushTimeoutMs);

  /**
   * Folds the journal into a snapshot once everything is written, so that a tool reading only the
   * snapshot (Actor.getValue on the head, a file viewer) sees the state as it was closed. Nothing
   * is lost if it fails, the journal still holds the changes: said on diagnostics$, close goes on.
   */
  const compactAtClose = (): Promise<void> =>
    inTurn(() => writer.compact()).catch((error: unknown) => {
      if (error instanceof LockLostError) return; // said when it was found; nothing more is written
      const cause = asError(error);
      notices.report({
        type: 'write-failed',
        key,
        message: `Could not fold the journal of "${key}" into a snapshot at close: ${cause.message.replace(/\.?$/, '.')} Nothing is lost: the next open replays the journal, but what reads only the snapshot sees an older state.`,
        error: cause,
      });
    });

  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await flush();
        // An idle store whose files were removed meanwhile (a purged folder) writes them again
        // before letting go: the write checks the storage first (see JournalWriter.persist).
        if (adapter.verify) {
          pipeline.changed();
          await flush();
        }
        // Only a store that changed something: a reader's fold would be a write, which on the Apify
        // store makes its takeover of the key final and stops the writer it only looked at.
        if ((options.compactOnClose ?? true) && changedSinceOpen) await compactAtClose();
      } finally {
        disposed = true;
        if (pipeline.status().pending === 0) stopExitCheck?.();
        eventSubscription?.unsubscribe();
        failures.unsubscribe();
        stopWatching?.();
        pipeline.dispose();
        await pipeline.settled(); // a compaction under way finishes before the lock is released
        state$.complete();
        notices.complete();
        await unlock();
      }
    })());

  const store: PersistentStore<T> = {
    key,
    location,
    restored: hydrated.restored,
    movedAside: hydrated.movedAside,
    getState: () => current,
    state$: state$.asObservable(),
    select: (selector) => state$.pipe(map(selector), distinctUntilChanged()),
    update(recipe) {
      if (closing) throw new StoreClosedError(key, 'update');
      // The inner update would be journalled but lost in memory when the outer one replaces the state.
      if (updating) {
        reentered = true;
        throw new ReentrantUpdateError(key);
      }
      const before = current;
      let next: T;
      let ops: JournalOp[];
      /** What the recipe itself threw: the user's own error, passed on unchanged. */
      let thrown: { error: unknown } | undefined;
      updating = true;
      reentered = false;
      const started = performance.now();
      try {
        const run = (draft: Draft<T>): void | T => {
          try {
            return recipe(draft);
          } catch (error) {
            thrown = { error };
            throw error;
          }
        };
        ({ next, ops } = applyRecipe(before, run));
        // A recipe that caught the ReentrantUpdateError still made a change it did not mean.
        if (reentered) throw new ReentrantUpdateError(key);
        if (ops.length === 0) return next;
      } catch (error) {
        if (thrown) throw thrown.error;
        // immer freezes a new value recursively: nested deep enough, it overflows the stack first.
        const refused =
          error instanceof RangeError ? new UnserializableStateError('', `a value nested too deeply (${error.message}); at most ${MAX_DEPTH} levels`) : error;
        // One line per kind of value, not per path: a Set put under each page's URL is one mistake, not 10,000 warnings.
        if (refused instanceof UnserializableStateError)
          notices.report(
            { type: 'value-refused', key, message: `An update of "${key}" was refused: ${refused.message}`, error: refused },
            refused.reason.replace(/\d+/g, '#'),
          );
        throw refused;
      } finally {
        updating = false;
      }
      // The recipe may have closed the store: its change would then never be written.
      if (closing) throw new StoreClosedError(key, 'update');
      writer.record(ops, recipe);
      changedSinceOpen = true;
      reportLargeCopies(next, ops, performance.now() - started);
      current = next;
      // Counted before anyone hears of it, so a flush() called by a subscriber covers it.
      pipeline.changed();
      publishState();
      return next;
    },
    diagnostics$: notices.diagnostics$,
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

  /** Warns (once per path) of an update that copied a plain container of 10,000 entries or more. */
  function reportLargeCopies(next: T, ops: readonly JournalOp[], tookMs: number): void {
    for (const { path, entries, kind } of largeCopies(next, ops, (path) => notices.isOpen('large-copy', formatPath(path)))) {
      const where = path.length === 0 ? 'the root of the state' : formatPath(path);
      notices.report(
        {
          type: 'large-copy',
          key,
          message: `An update of "${key}" copied the plain ${kind} at ${where} (${entries.toLocaleString('en-US')} entries; the update took ${tookMs.toFixed(1)} ms): immer copies a plain container on every change to it. For collections of ${LARGE_CONTAINER_ENTRIES.toLocaleString('en-US')} entries or more, use a KeyedMap: an entry then costs the same at any size.`,
        },
        formatPath(path),
      );
    }
  }

  function onEvent(event: PlatformEvent): void {
    switch (event.name) {
      case 'persistState':
        // The page may be going away: an asynchronous write may never finish, so copy now too.
        if (event.data.isMigrating && pipeline.status().pending > 0) writer.persistSync();
        pipeline.writeNow();
        return event.waitUntil?.(flush().catch(() => undefined));
      case 'migrating':
        // Every change from now on is written at once: the machine may go away at any moment.
        // The journal is then folded into a snapshot, so the next start is quick.
        pipeline.writeThrough();
        pipeline.requestMaintenance();
        return event.waitUntil?.(flush().catch(() => undefined));
      case 'aborting':
        pipeline.writeThrough();
        return event.waitUntil?.(flush().catch(() => undefined));
      case 'exit': {
        const closed = close().catch(() => undefined); // a failure shows on status$; the shutdown goes on
        return event.waitUntil?.(closed);
      }
    }
  }

  return store;
}
