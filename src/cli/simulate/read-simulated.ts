import { EMPTY } from '../../rx.js';
import { remoteKvAdapter } from '../../adapters/remote/remote-kv-adapter.js';
import { createPersistentStore } from '../../store/create-persistent-store.js';
import { platformApi } from './platform-api.js';
import { startPlatformServer } from './platform-server.js';
import { apifyDialect } from '../../adapters/remote/dialects/apify.js';

/**
 * What the next run of a job under `rx-persistent-store simulate --storage <storageDir>` would
 * restore of `key` from its default key-value store, or undefined if nothing: read as the job
 * reads it, through the emulated API (a key is a log there: its head, snapshot chunks and
 * journal segments). For reports and checks after a simulation.
 *
 * @example const stats = await readSimulatedState<{ pages: number }>('./storage', 'CRAWL_STATS');
 */
export async function readSimulatedState<T>(storageDir: string, key: string): Promise<T | undefined> {
  const ignore = () => undefined;
  const api = platformApi({ storageDir, runId: 'check', token: 'check', onReboot: ignore, onStatusMessage: ignore, onNotEmulated: ignore });
  const server = await startPlatformServer(api.handle);
  try {
    const adapter = remoteKvAdapter({ dialect: apifyDialect({ token: 'check', storeId: 'default', baseUrl: server.url }) });
    const store = await createPersistentStore<T | null>({ key, initial: null, adapter, events: EMPTY });
    const state = store.restored ? (store.getState() as T) : undefined;
    await store.close();
    return state;
  } finally {
    api.close();
    await server.close();
  }
}
