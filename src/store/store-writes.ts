import type { Subscription } from '../rx.js';
import type { StorageAdapter } from '../adapters/storage-adapter.js';
import { LockLostError } from '../errors.js';
import { fresh, readStored, readStoredJournal, restore } from './hydrate.js';
import { createJournalWriter, type JournalWriter } from './journal-writer.js';
import type { Notices } from './notices.js';
import { createPersistencePipeline, type PersistencePipeline } from './persistence-pipeline.js';
import type { OpenedStore } from './store-open.js';
import type { PublishedState } from './store-state.js';

export interface StoreWritesOptions<T> {
  readonly key: string;
  readonly adapter: StorageAdapter;
  readonly version: number;
  readonly notices: Notices;
  readonly opened: OpenedStore<T>;
  readonly rebase: boolean;
  readonly state: PublishedState<T>;
  readonly debounceMs: number;
  readonly maxWaitMs: number;
}

/** The path of a change to storage: the journal writer, the pipeline that paces it, and the turns they take. */
export interface StoreWrites<T> {
  readonly writer: JournalWriter<T>;
  readonly pipeline: PersistencePipeline;
  /** Runs adapter work one piece at a time: a refresh must not interleave with a write. */
  inTurn<R>(task: () => Promise<R>): Promise<R>;
}

export function createStoreWrites<T>({ key, adapter, version, notices, opened, rebase, state, debounceMs, maxWaitMs }: StoreWritesOptions<T>): StoreWrites<T> {
  const { hydrateOptions } = opened;
  const writer = createJournalWriter<T>({
    key,
    adapter,
    version,
    notices,
    loaded: opened.hydrated,
    rebase,
    reload: async () => {
      const stored = await readStored(adapter, key);
      return stored === undefined ? fresh(hydrateOptions, undefined) : restore(stored, await readStoredJournal(adapter, key), hydrateOptions);
    },
    state: {
      get: state.get,
      set(next) {
        state.replace(next);
        state.publish();
      },
    },
  });

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
        reportNearLimit(adapter, writer, notices, key);
      }),
    maintain: () => inTurn(() => writer.compact()),
  });

  return { writer, pipeline, inTurn };
}

/** Warns once when the state grows past 80 % of what the adapter can hold (see `StorageAdapter.stateLimit`). */
function reportNearLimit<T>(adapter: StorageAdapter, writer: JournalWriter<T>, notices: Notices, key: string): void {
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

/** A failing write must be heard of even when nobody watches status$: once per episode, until a write lands. */
export function reportWriteFailures(pipeline: PersistencePipeline, notices: Notices, key: string, location: string): Subscription {
  let failedAttempts = 0;
  let lastFailure: Error | null = null;
  return pipeline.status$.subscribe(({ phase, lastError }) => {
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
}
