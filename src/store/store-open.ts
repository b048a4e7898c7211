import type { StorageAdapter } from '../adapters/storage-adapter.js';
import { storageErrorFrom } from '../errors.js';
import { hydrate, type Hydrated, type HydrateOptions } from './hydrate.js';
import type { PersistentStoreOptions } from './store-options.js';

/** A store's key, locked, with what was stored under it. */
export interface OpenedStore<T> {
  readonly location: string;
  /** How the stored state is read and restored, on open and again on a reload. */
  readonly hydrateOptions: HydrateOptions<T>;
  readonly hydrated: Hydrated<T>;
  /** Releases the key's lock; a failure is a storage error naming the location. */
  unlock(): Promise<void>;
}

/** Takes the key's lock, then restores (migrates, validates) what was stored; lets the lock go if that fails. */
export async function openStore<T>(options: PersistentStoreOptions<T>, adapter: StorageAdapter, version: number): Promise<OpenedStore<T>> {
  const { key } = options;
  const location = adapter.locate(key);
  let release: () => Promise<void>;
  try {
    release = (await adapter.lock?.(key)) ?? (async () => undefined);
  } catch (error) {
    throw storageErrorFrom(error, 'lock the key', location);
  }
  const unlock = async (): Promise<void> => {
    try {
      await release();
    } catch (error) {
      throw storageErrorFrom(error, 'release the lock', location);
    }
  };
  const hydrateOptions: HydrateOptions<T> = {
    key,
    adapter,
    initial: options.initial,
    schema: options.schema,
    version,
    migrate: options.migrate,
    adoptUnversioned: options.adoptUnversioned ?? true,
    onInvalidStored: options.onInvalidStored ?? 'throw',
  };
  let hydrated: Hydrated<T>;
  try {
    hydrated = await hydrate(hydrateOptions);
  } catch (error) {
    await unlock().catch(() => undefined); // the failure to open is what the caller must see
    throw error;
  }
  return { location, hydrateOptions, hydrated, unlock };
}
