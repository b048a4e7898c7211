import { NoDefaultAdapterError } from '../errors.js';
import { isNode, nodeRuntime } from '../runtime/runtime.js';
import { indexedDbAdapter } from './indexeddb-adapter.js';
import type { StorageAdapter } from './storage-adapter.js';

/**
 * The adapter a store uses when none is given: in Node, the disk or, on the Apify platform, the
 * run's key-value store (see nodeDefaultAdapter); `indexedDbAdapter()` in a browser.
 */
export async function defaultAdapter(): Promise<StorageAdapter> {
  const node = nodeRuntime();
  if (node) return node.defaultAdapter();
  if (typeof indexedDB !== 'undefined') return indexedDbAdapter();
  // Node without the Node entry: the browser build was picked (a `browser` export condition).
  throw new NoDefaultAdapterError(
    isNode() ? 'this is the browser build (loaded through the `browser` export condition), which has no file adapter' : 'no IndexedDB here',
  );
}
