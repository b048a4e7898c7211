import type { Observable } from '../rx.js';

/**
 * `useSyncExternalStore`'s subscribe over an observable. React only needs to hear *that* something
 * changed: it reads the value itself through getSnapshot, so what is emitted is dropped. A
 * replaying observable (the store's `state$`, `status$`) calls back at once on subscribe, which is
 * harmless: React compares snapshots and re-renders nothing when they are the same.
 */
export const subscribeTo =
  (observable$: Observable<unknown>) =>
  (onChange: () => void): (() => void) => {
    const subscription = observable$.subscribe(() => onChange());
    return () => subscription.unsubscribe();
  };
