// Crawlee's useState on its local storage: KeyValueStore.getAutoSavedValue, persisted by setValue
// (pretty JSON of the whole value, written to a file; Crawlee does not fsync).
import { Configuration, KeyValueStore } from '@crawlee/core';

export async function crawleeStore(dir: string): Promise<KeyValueStore> {
  const config = new Configuration({ storageClientOptions: { localDataDirectory: dir, persistStorage: true, writeMetadata: false }, persistStateIntervalMillis: 3_600_000 });
  return KeyValueStore.open(null, { config });
}
