import { EMPTY } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import type { StorageAdapter } from '../../src/adapters/storage-adapter.js';

/** What a store on `adapter` would restore of `key` (snapshot plus journal), or undefined if nothing. */
async function restoredState<T>(adapter: StorageAdapter, key: string): Promise<T | undefined> {
  const store = await createPersistentStore<T | null>({ key, initial: null, adapter, events: EMPTY });
  const state = store.restored ? (store.getState() as T) : undefined;
  await store.close();
  return state;
}

/** What the next run would restore from `dir` (snapshot plus journal), or undefined if nothing. */
export function readStoredState<T>(dir: string, key: string): Promise<T | undefined> {
  return restoredState(fileAdapter({ dir }), key);
}

/** What the next run of a job under the simulator would restore of `key` (snapshot plus journal), through the emulated API. */
export { readSimulatedState } from '../../src/cli/simulate/read-simulated.js';
