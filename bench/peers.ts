// The peers, set up the way their users run them.
//
// Crawlee's `useState(name, initial)` is `KeyValueStore.open()` + `getAutoSavedValue(name, initial)`
// (@crawlee/core storages/utils.js): it hands out one mutable object, cached in the store, and the
// first call registers a `persistState` listener that runs `setValue(name, value)` for every cached
// value. On local storage (@crawlee/memory-storage with persistStorage), `setValue` stringifies the
// whole value (`JSON.stringify(value, replacer, 2)`), then `KeyValueFileSystemEntry.update` takes a
// proper-lockfile lock and `fs.writeFile`s `<storage>/key_value_stores/default/<name>.json` in
// place, and the promise resolves once that write's callback ran. There is no fsync and no
// temp-file-and-rename: "durable" for Crawlee means "handed to the kernel", and a crash during the
// write leaves a torn file. Loading (a fresh `open()` + `getAutoSavedValue`) reads every file of the
// store folder and checks JSON records with `json5.parse`, then reads the record again and parses it
// with `json5.parse` a second time.
import { open, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { Configuration, KeyValueStore } from '@crawlee/core';

const ENV = ['CRAWLEE_STORAGE_DIR', 'CRAWLEE_PURGE_ON_START'] as const;
const savedEnv = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));

/**
 * Crawlee's global configuration on local storage in `dir` (a temp folder), as a new process would
 * have it: `CRAWLEE_STORAGE_DIR=dir`, caches dropped, then `KeyValueStore.open()` as `useState`
 * does. `purgeOnStart: false` (CRAWLEE_PURGE_ON_START=0) keeps what a previous run stored.
 */
export async function openCrawlee(dir: string, { purgeOnStart = true }: { purgeOnStart?: boolean } = {}): Promise<KeyValueStore> {
  process.env.CRAWLEE_STORAGE_DIR = dir;
  process.env.CRAWLEE_PURGE_ON_START = purgeOnStart ? '1' : '0';
  Configuration.resetGlobalState();
  return KeyValueStore.open(null, { config: Configuration.getGlobalConfig() });
}

/**
 * What happens on Crawlee's `persistState` event (every 60 s, and on `migrating` the platform sends
 * `persistState { isMigrating: true }`): the event is emitted and we wait for its listeners, the
 * way Crawlee's own `EventManager.close()` does. The listener registered by `getAutoSavedValue`
 * awaits `setValue(key, value)` of the whole state.
 */
export async function crawleePersistState(isMigrating = false): Promise<void> {
  const events = Configuration.getGlobalConfig().getEventManager();
  events.emit('persistState', { isMigrating });
  await events.waitForAllListenersToComplete();
}

/** The file Crawlee writes for `key` in the default store under `dir`. */
export const crawleeFile = (dir: string, key: string): string => path.join(dir, 'key_value_stores', 'default', `${key}.json`);

/** Waits for Crawlee's background work (metadata files), drops its caches and restores the environment. */
export async function closeCrawlee(): Promise<void> {
  const client = Configuration.getGlobalConfig().getStorageClient() as { teardown?: () => Promise<void> };
  await client.teardown?.();
  Configuration.resetGlobalState();
  for (const name of ENV) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
}

/**
 * What a store without a journal does for every write: the whole state as JSON into a temp file,
 * fsync, rename over the old file (atomic and durable, unlike Crawlee's write; the folder's fsync
 * is left out, which flatters it slightly).
 */
export async function writeWholeSnapshot(file: string, state: unknown): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(state));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}
