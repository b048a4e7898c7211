import type { Draft } from 'immer';
import { ReentrantUpdateError, StoreClosedError, UnserializableStateError } from '../errors.js';
import { MAX_DEPTH } from './assert-json.js';
import type { JournalOp } from './journal-ops.js';
import type { JournalWriter } from './journal-writer.js';
import { formatPath } from './json-path.js';
import { LARGE_CONTAINER_ENTRIES, largeCopies } from './large-copies.js';
import type { Notices } from './notices.js';
import type { PersistencePipeline } from './persistence-pipeline.js';
import { applyRecipe, type Recipe } from './recipe.js';
import type { PublishedState } from './store-state.js';

export interface StoreUpdateOptions<T> {
  readonly key: string;
  readonly state: PublishedState<T>;
  readonly notices: Notices;
  readonly writer: Pick<JournalWriter<T>, 'record'>;
  readonly pipeline: Pick<PersistencePipeline, 'changed'>;
  /** Whether close() was called: no update is taken from then on. */
  readonly closing: () => boolean;
}

export interface StoreUpdate<T> {
  /** `PersistentStore.update` (a function of its own: the store hands it on as it is). */
  readonly update: (recipe: Recipe<T>) => T;
  /** Whether an update changed anything since the store opened (see close). */
  readonly changedSinceOpen: boolean;
}

/** The update path: a recipe applied to the state, its change journalled, counted for writing, then published. */
export function createStoreUpdate<T>({ key, state, notices, writer, pipeline, closing }: StoreUpdateOptions<T>): StoreUpdate<T> {
  let changedSinceOpen = false;
  /** True while a recipe runs; `reentered` once it called update() (refused). */
  let updating = false;
  let reentered = false;

  /** The recipe applied to `before`: what the recipe itself throws passes unchanged, anything else is refused (see `refusal`). */
  function apply(before: T, recipe: Recipe<T>): { next: T; ops: JournalOp[] } {
    /** What the recipe itself threw: the user's own error, passed on unchanged. */
    let thrown: { error: unknown } | undefined;
    try {
      const run = (draft: Draft<T>): void | T => {
        try {
          return recipe(draft);
        } catch (error) {
          thrown = { error };
          throw error;
        }
      };
      const applied = applyRecipe(before, run);
      // A recipe that caught the ReentrantUpdateError still made a change it did not mean.
      if (reentered) throw new ReentrantUpdateError(key);
      return applied;
    } catch (error) {
      if (thrown) throw thrown.error;
      throw refusal(error, notices, key);
    }
  }

  return {
    get changedSinceOpen() {
      return changedSinceOpen;
    },
    update: (recipe) => {
      if (closing()) throw new StoreClosedError(key, 'update');
      // The inner update would be journalled but lost in memory when the outer one replaces the state.
      if (updating) {
        reentered = true;
        throw new ReentrantUpdateError(key);
      }
      updating = true;
      reentered = false;
      const started = performance.now();
      let applied: { next: T; ops: JournalOp[] };
      try {
        applied = apply(state.get(), recipe);
      } finally {
        updating = false;
      }
      const { next, ops } = applied;
      if (ops.length === 0) return next;
      // The recipe may have closed the store: its change would then never be written.
      if (closing()) throw new StoreClosedError(key, 'update');
      writer.record(ops, recipe);
      changedSinceOpen = true;
      reportLargeCopies(key, notices, next, ops, performance.now() - started);
      state.replace(next);
      // Counted before anyone hears of it, so a flush() called by a subscriber covers it.
      pipeline.changed();
      state.publish();
      return next;
    },
  };
}

/** What `update()` throws for an error of immer's or of the JSON checks: a value the state cannot hold is reported too. */
function refusal(error: unknown, notices: Notices, key: string): unknown {
  // immer freezes a new value recursively: nested deep enough, it overflows the stack first.
  const refused =
    error instanceof RangeError ? new UnserializableStateError('', `a value nested too deeply (${error.message}); at most ${MAX_DEPTH} levels`) : error;
  // One line per kind of value, not per path: a Set put under each page's URL is one mistake, not 10,000 warnings.
  if (refused instanceof UnserializableStateError)
    notices.report(
      { type: 'value-refused', key, message: `An update of "${key}" was refused: ${refused.message}`, error: refused },
      refused.reason.replace(/\d+/g, '#'),
    );
  return refused;
}

/** Warns (once per path) of an update that copied a plain container of 10,000 entries or more. */
function reportLargeCopies<T>(key: string, notices: Notices, next: T, ops: readonly JournalOp[], tookMs: number): void {
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
