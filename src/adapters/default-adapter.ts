import { NoDefaultAdapterError } from '../errors.js';
import type { StorageAdapter } from './storage-adapter.js';

/**
 * The adapter a store uses when none is given: on the Apify platform (`APIFY_IS_AT_HOME` with a
 * token) the run's default key-value store, since a migration leaves the container's disk
 * behind; `fileAdapter()` elsewhere in Node; `indexedDbAdapter()` in a browser. Loaded lazily so
 * that a browser bundle never pulls in `node:fs`.
 */
export async function defaultAdapter(): Promise<StorageAdapter> {
  if (typeof process !== 'undefined' && typeof process.versions?.node === 'string') {
    if (process.env.APIFY_IS_AT_HOME && process.env.APIFY_TOKEN) {
      const { remoteKvAdapter } = await import('./remote/remote-kv-adapter.js');
      return remoteKvAdapter({ dialect: { dialect: 'apify' } });
    }
    const { fileAdapter } = await import('./file-adapter.js');
    return fileAdapter();
  }
  if (typeof indexedDB !== 'undefined') {
    const { indexedDbAdapter } = await import('./indexeddb-adapter.js');
    return indexedDbAdapter();
  }
  throw new NoDefaultAdapterError();
}
