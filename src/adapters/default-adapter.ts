import { PersistentStoreError } from '../errors.js';
import type { StorageAdapter } from './storage-adapter.js';

/**
 * The adapter a store uses when none is given: `fileAdapter()` in Node, `indexedDbAdapter()` in a
 * browser. Loaded lazily so that a browser bundle never pulls in `node:fs`.
 */
export async function defaultAdapter(): Promise<StorageAdapter> {
  if (typeof process !== 'undefined' && typeof process.versions?.node === 'string') {
    const { fileAdapter } = await import('./file-adapter.js');
    return fileAdapter();
  }
  if (typeof indexedDB !== 'undefined') {
    const { indexedDbAdapter } = await import('./indexeddb-adapter.js');
    return indexedDbAdapter();
  }
  throw new PersistentStoreError('NO_DEFAULT_ADAPTER', 'No default storage adapter here (neither Node nor IndexedDB): pass `adapter`, for example memoryAdapter().');
}
