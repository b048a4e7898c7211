import { BehaviorSubject } from '../rx.js';

/** The store's state, and `state$`, which catches up with it after each change (see `publish`). */
export interface PublishedState<T> {
  readonly state$: BehaviorSubject<T>;
  readonly get: () => T;
  /** Replaces the state without telling anyone yet. */
  replace(next: T): void;
  /**
   * Emits the state to `state$`. A subscriber may itself call `update()`: its state is emitted once
   * every subscriber has seen the one before, so that all of them see the states in order and end
   * on the latest (a plain `next` inside `next` would end the later subscribers on an older one).
   */
  publish(): void;
}

export function publishedState<T>(initial: T): PublishedState<T> {
  const state$ = new BehaviorSubject<T>(initial);
  let current = initial;
  let publishing = false;
  return {
    state$,
    get: () => current,
    replace(next) {
      current = next;
    },
    publish() {
      if (publishing) return;
      publishing = true;
      try {
        while (state$.getValue() !== current) state$.next(current);
      } finally {
        publishing = false;
      }
    },
  };
}
