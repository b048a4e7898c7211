import { produceWithPatches, type Draft, type Patch } from 'immer';
import { toJournalOps, type JournalOp } from './journal-ops.js';

/**
 * A recipe for `update`: mutate the draft, or return a whole new state.
 *
 * @example
 * const markSeen =
 *   (url: string): Recipe<State> =>
 *   (s) => {
 *     s.seen.set(url, true);
 *   };
 * store.update(markSeen(url));
 */
export type Recipe<T> = (draft: Draft<T>) => void | T;

/** Runs a recipe on `state`; the ops journal only what changed, so their cost follows the change, not the state. */
export function applyRecipe<T>(state: T, recipe: Recipe<T>): { next: T; ops: JournalOp[] } {
  const [next, patches] = produceWithPatches(state, recipe as never) as unknown as [T, Patch[]];
  return { next, ops: patches.length === 0 ? [] : toJournalOps(patches, state, next) };
}
