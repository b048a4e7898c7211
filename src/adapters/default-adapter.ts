import { PersistentStoreError } from '../errors.js';
import type { StorageAdapter } from './storage-adapter.js';

/**
 * The adapter a store uses when none is given: `fileAdapter()` in Node. Loaded lazily so that
 * bundling the library for a browser does not pull in `node:fs`.
 */
export async function defaultAdapter(): Promise<StorageAdapter> {
  if (typeof process === 'undefined' || typeof process.versions?.node !== 'string') {
    throw new PersistentStoreError('NO_DEFAULT_ADAPTER', 'No default storage adapter outside Node yet: pass `adapter` (for example memoryAdapter()).');
  }
  const { fileAdapter } = await import('./file-adapter.js');
  return fileAdapter();
}
