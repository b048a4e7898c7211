import { PlatformConfigError } from '../errors.js';
import type { StorageAdapter } from './storage-adapter.js';

/**
 * Node's default adapter: on the Apify platform (`APIFY_IS_AT_HOME`) the run's default key-value
 * store, since a migration leaves the container's disk behind; `fileAdapter()` elsewhere. Each
 * loaded when first needed.
 *
 * On the platform without `APIFY_TOKEN` or the store's id it throws `PlatformConfigError` rather
 * than fall back to the disk: a state written there is gone after the next migration, and the
 * run after it would silently start from `initial`. Pass `adapter: fileAdapter()` to choose the
 * disk on purpose.
 */
export async function nodeDefaultAdapter(): Promise<StorageAdapter> {
  const env = process.env;
  // Any non-empty value, as the Apify SDK reads it (`Actor.isAtHome()`).
  if (env.APIFY_IS_AT_HOME) {
    if (!env.APIFY_TOKEN) throw new PlatformConfigError('APIFY_TOKEN', 'the API token, which the platform gives every run');
    if (!(env.ACTOR_DEFAULT_KEY_VALUE_STORE_ID || env.APIFY_DEFAULT_KEY_VALUE_STORE_ID)) {
      throw new PlatformConfigError('ACTOR_DEFAULT_KEY_VALUE_STORE_ID', "the id of the run's default key-value store");
    }
    // One after the other: jest's ESM loader fails two concurrent imports that share a module ("not in cache").
    const { apifyDialect } = await import('./remote/dialects/apify.js');
    const { remoteKvAdapter } = await import('./remote/remote-kv-adapter.js');
    return remoteKvAdapter({ dialect: apifyDialect() });
  }
  const { fileAdapter } = await import('./file-adapter.js');
  return fileAdapter();
}
