import { EMPTY } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { remoteKvAdapter } from '../../src/adapters/remote/remote-kv-adapter.js';
import { platformApi } from '../../src/cli/simulate/platform-api.js';
import { startPlatformServer } from '../../src/cli/simulate/platform-server.js';
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

/**
 * What the next run of a job under `rx-persistent-store simulate --storage <storageDir>` would
 * restore of `key` from its default key-value store: read as the job reads it, through the
 * emulated Apify API (a key is a log there: its head, snapshot chunks and journal segments).
 */
export async function readSimulatedState<T>(storageDir: string, key: string): Promise<T | undefined> {
  const ignore = () => undefined;
  const api = await startPlatformServer(platformApi({ storageDir, runId: 'check', token: 'check', onReboot: ignore, onStatusMessage: ignore, onNotEmulated: ignore }).handle);
  try {
    return await restoredState(remoteKvAdapter({ dialect: { dialect: 'apify', token: 'check', storeId: 'default', baseUrl: api.url } }), key);
  } finally {
    await api.close();
  }
}
