import { useDebugValue, useMemo, useRef, useSyncExternalStore } from 'react';
import type { PersistentStore } from '../store/create-persistent-store.js';
import { subscribeTo } from './subscribe.js';

/** What `useStoreState` reads of a store: a `PersistentStore`, or anything shaped like one. */
export type StateSource<T> = Pick<PersistentStore<T>, 'getState' | 'state$'>;

const whole = <T>(state: T): T => state;

/** The last selection, and what it was computed from. */
interface Memo<T, S> {
  readonly state: T;
  readonly selector: (state: T) => S;
  readonly selection: S;
}

/**
 * The store's state, re-rendering the component on each change.
 *
 * Each update makes a new immutable snapshot and leaves the unchanged parts as they were, so
 * the state can go straight into `useMemo` dependencies or `React.memo` props. Prefer a
 * selector (below) for a component that shows only part of the state.
 *
 * @example
 * function Total({ store }: { store: PersistentStore<{ done: number }> }) {
 *   const { done } = useStoreState(store);
 *   return <p>{done} done</p>;
 * }
 */
export function useStoreState<T>(store: StateSource<T>): T;
/**
 * A slice of the store's state: the component re-renders only when the slice changes (by
 * `isEqual`, `Object.is` by default), not on every update of the store.
 *
 * The selection is computed once per snapshot, so a selector that builds a new object or array
 * does not re-render in a loop; with such a selector, pass an `isEqual` that compares contents
 * (a shallow equality) to skip the re-renders where those contents are the same. An inline
 * selector is fine: a new function each render only means the selection is computed again.
 *
 * @example
 * const unread = useStoreState(store, (s) => s.items.filter((i) => !i.read).length);
 * const ids = useStoreState(store, (s) => s.items.map((i) => i.id), (a, b) => a.length === b.length && a.every((id, n) => id === b[n]));
 */
export function useStoreState<T, S>(store: StateSource<T>, selector: (state: T) => S, isEqual?: (a: S, b: S) => boolean): S;
export function useStoreState<T, S>(
  store: StateSource<T>,
  selector: (state: T) => S = whole as (state: T) => S,
  isEqual: (a: S, b: S) => boolean = Object.is,
): S {
  const subscribe = useMemo(() => subscribeTo(store.state$), [store]);
  // Kept across renders: React calls getSnapshot several times per render and once per emission,
  // and must get the same value back while the state is the same (else it re-renders forever).
  // The memo is a pure cache of (state, selector) → selection, so a render React throws away
  // leaves nothing wrong in it.
  const memo = useRef<Memo<T, S> | null>(null);
  const getSnapshot = (): S => {
    const state = store.getState();
    const last = memo.current;
    if (last !== null && last.state === state && last.selector === selector) return last.selection;
    const next = selector(state);
    const selection = last !== null && isEqual(last.selection, next) ? last.selection : next;
    memo.current = { state, selector, selection };
    return selection;
  };
  // The same on the server: a store opened there renders its state into the HTML. Hydration reads
  // the client's store: when it holds another state than the server rendered, React reports the
  // mismatch and renders that subtree again on the client.
  const selection = useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
  useDebugValue(selection);
  return selection;
}
