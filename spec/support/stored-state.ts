import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';

/** What the next run would restore from `dir` (snapshot plus journal), or undefined if nothing. */
export async function readStoredState<T>(dir: string, key: string): Promise<T | undefined> {
  const store = await createPersistentStore<T | null>({ key, initial: null, adapter: fileAdapter({ dir }) });
  const state = store.restored ? (store.getState() as T) : undefined;
  await store.close();
  return state;
}
