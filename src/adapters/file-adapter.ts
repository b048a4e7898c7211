import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CorruptStateError, PersistentStoreError } from '../errors.js';
import { acquireFileLock } from './file-lock.js';
import { assertValidKey } from './keys.js';
import type { StorageAdapter } from './storage-adapter.js';

export interface FileAdapterOptions {
  /**
   * The folder that holds `<KEY>.json`. Created on the first write.
   * @default `${CRAWLEE_STORAGE_DIR || APIFY_LOCAL_STORAGE_DIR || './storage'}/key_value_stores/default`,
   * the folder where Crawlee and `apify run` keep the default key-value store, resolved when
   * `fileAdapter()` is called.
   */
  readonly dir?: string;
}

/** The Crawlee / Apify CLI local layout for the default key-value store. */
export function defaultStorageDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.CRAWLEE_STORAGE_DIR || env.APIFY_LOCAL_STORAGE_DIR || './storage';
  return path.resolve(root, 'key_value_stores', 'default');
}

/**
 * Stores each key as `<dir>/<KEY>.json`. Every write is atomic and durable: a temp file in
 * the same folder, fsync, rename over the old file, fsync of the folder — a crash leaves either
 * the old or the new file, never a torn one. `lock()` keeps a second process off the key.
 *
 * @example
 * const store = await createPersistentStore({ key: 'CRAWL_STATE', initial: {}, adapter: fileAdapter({ dir: './state' }) });
 */
export function fileAdapter({ dir = defaultStorageDir() }: FileAdapterOptions = {}): StorageAdapter {
  const folder = path.resolve(dir);
  const fileOf = (key: string): string => {
    assertValidKey(key);
    return path.join(folder, `${key}.json`);
  };
  let folderReady: Promise<void> | undefined;
  const ensureFolder = (): Promise<void> =>
    (folderReady ??= fs.mkdir(folder, { recursive: true }).then(() => undefined, (error: unknown) => {
      folderReady = undefined;
      throw error;
    }));

  return {
    name: 'file',
    locate: fileOf,
    async lock(key) {
      const file = fileOf(key);
      await ensureFolder();
      const release = await acquireFileLock(`${file}.lock`, key);
      await removeTempFiles(folder, `${key}.json.tmp-`);
      return release;
    },
    async read(key) {
      const file = fileOf(key);
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        const reason = text.length === 0 ? 'the file is empty' : `not valid JSON (${(error as Error).message})`;
        throw new CorruptStateError(key, file, reason, { cause: error });
      }
    },
    async write(key, value) {
      const file = fileOf(key);
      await ensureFolder();
      const tmp = `${file}.tmp-${randomUUID()}`;
      const handle = await fs.open(tmp, 'wx');
      try {
        await handle.writeFile(JSON.stringify(value));
        await handle.sync();
      } catch (error) {
        await handle.close();
        await fs.rm(tmp, { force: true });
        throw error;
      }
      await handle.close();
      await fs.rename(tmp, file);
      await syncFolder(folder);
    },
    async delete(key) {
      await fs.rm(fileOf(key), { force: true });
      await syncFolder(folder);
    },
    async rename(key, toKey) {
      const from = fileOf(key);
      const to = fileOf(toKey);
      try {
        await fs.link(from, to); // unlike rename, link refuses to replace an existing file
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (code === 'EEXIST') throw new PersistentStoreError('TARGET_EXISTS', `Cannot move ${from} to ${to}: that file exists.`);
        throw error;
      }
      await fs.rm(from);
      await syncFolder(folder);
    },
  };
}

/** Makes a rename or unlink in `folder` durable; folders cannot be fsynced on every platform. */
async function syncFolder(folder: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}

/** Temp files of writes cut short by a crash; only the lock holder may remove them. */
async function removeTempFiles(folder: string, prefix: string): Promise<void> {
  const names = await fs.readdir(folder);
  await Promise.all(names.filter((n) => n.startsWith(prefix)).map((n) => fs.rm(path.join(folder, n), { force: true })));
}
