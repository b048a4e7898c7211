import { CorruptStateError, PersistentStoreError, StoreLockedError } from '../errors.js';
import { assertValidKey } from './keys.js';
import type { StorageAdapter } from './storage-adapter.js';

export interface MemoryAdapterOptions {
  /**
   * The map that holds the stored JSON texts. Pass the same map to several adapters to
   * simulate a restart within one process (a new store on a new adapter sees the old data).
   * @default a new, empty Map
   */
  readonly records?: Map<string, string>;
}

/**
 * Keeps values as JSON text in a `Map`, so they round-trip exactly like on disk:
 * no shared references, and what JSON drops is dropped here too. For tests and short jobs.
 *
 * @example
 * const store = await createPersistentStore({ key: 'S', initial: { n: 0 }, adapter: memoryAdapter() });
 */
export function memoryAdapter({ records = new Map<string, string>() }: MemoryAdapterOptions = {}): StorageAdapter {
  const locked = new Set<string>();
  return {
    name: 'memory',
    locate: (key) => `memory:${key}`,
    async lock(key) {
      assertValidKey(key);
      if (locked.has(key)) throw new StoreLockedError(key, 'on this memory adapter.');
      locked.add(key);
      return async () => void locked.delete(key);
    },
    async read(key) {
      assertValidKey(key);
      const text = records.get(key);
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new CorruptStateError(key, `memory:${key}`, (error as Error).message, { cause: error });
      }
    },
    async write(key, value) {
      assertValidKey(key);
      records.set(key, JSON.stringify(value));
    },
    async delete(key) {
      assertValidKey(key);
      records.delete(key);
    },
    async rename(key, toKey) {
      assertValidKey(key);
      assertValidKey(toKey);
      const text = records.get(key);
      if (text === undefined) return;
      if (records.has(toKey)) throw new PersistentStoreError('TARGET_EXISTS', `Cannot move "${key}" to "${toKey}": that key exists.`);
      records.set(toKey, text);
      records.delete(key);
    },
  };
}
