import { useCallback, useDebugValue, useMemo, useSyncExternalStore } from 'react';
import type { PersistentStore } from '../store/create-persistent-store.js';
import type { PersistenceStatus } from '../store/persistence-status.js';
import { subscribeTo } from './subscribe.js';

/** What `useStoreStatus` reads of a store: a `PersistentStore`, or anything shaped like one. */
export type StatusSource = Pick<PersistentStore<unknown>, 'getStatus' | 'status$'>;

/**
 * Where the store's persisted copy stands, re-rendering on each change of it: for a "saved at"
 * line, a "leave anyway?" prompt while changes wait, or a banner while writes fail.
 *
 * It changes with every update (`pending` counts up, then back to 0 once written), so keep it in
 * a small component of its own rather than high in the tree.
 *
 * @example
 * function Saved({ store }: { store: PersistentStore<unknown> }) {
 *   const { phase, lastSavedAt, lastError } = useStoreStatus(store);
 *   if (phase === 'error') return <p role="alert">Not saved: {lastError?.message}</p>;
 *   return <p>{lastSavedAt === null ? 'Nothing saved yet' : `Saved at ${new Date(lastSavedAt).toLocaleTimeString()}`}</p>;
 * }
 */
export function useStoreStatus(store: StatusSource): PersistenceStatus {
  const subscribe = useMemo(() => subscribeTo(store.status$), [store]);
  // getStatus() returns the object status$ last emitted: the same one until the status changes,
  // as useSyncExternalStore requires. The same on the server, so SSR renders it too.
  const getSnapshot = useCallback(() => store.getStatus(), [store]);
  const status = useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
  useDebugValue(status.phase);
  return status;
}
