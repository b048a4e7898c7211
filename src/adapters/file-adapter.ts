import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CorruptStateError, InvalidKeyError, TargetExistsError } from '../errors.js';
import { syncFolder, writeFileDurably } from './durable-file.js';
import { acquireFileLock } from './file-lock.js';
import { formatRecords, parseJournal } from './journal-text.js';
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

/** Keys longer than this would make the lock's and temp files' names too long for a file system. */
export const MAX_FILE_KEY_LENGTH = 200;

/** The Crawlee / Apify CLI local layout for the default key-value store. */
export function defaultStorageDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.CRAWLEE_STORAGE_DIR || env.APIFY_LOCAL_STORAGE_DIR || './storage';
  return path.resolve(root, 'key_value_stores', 'default');
}

/** An open journal: appends go to the end (O_APPEND); `size` ends the last whole record. */
interface OpenJournal {
  readonly handle: fs.FileHandle;
  size: number;
  /** An append failed part way: cut back to `size` before the next one. */
  damaged: boolean;
}

/**
 * Stores each key as `<dir>/<KEY>.json`, with changes since that snapshot appended to
 * `<KEY>.json.journal`, one JSON record per line, fdatasynced. A snapshot write is atomic and
 * durable: a temp file in the same folder, fsync, rename over the old file, fsync of the
 * folder — a crash leaves either the old or the new file, never a torn one; only then is the
 * journal emptied. `lock()` keeps a second process off the key.
 *
 * @example
 * const store = await createPersistentStore({ key: 'CRAWL_STATE', initial: {}, adapter: fileAdapter({ dir: './state' }) });
 */
export function fileAdapter({ dir = defaultStorageDir() }: FileAdapterOptions = {}): StorageAdapter {
  const folder = path.resolve(dir);
  const fileOf = (key: string): string => {
    assertValidKey(key);
    if (key.length > MAX_FILE_KEY_LENGTH) {
      throw new InvalidKeyError(key, `the file adapter takes keys of at most ${MAX_FILE_KEY_LENGTH} characters (its lock and temp files add up to 55 to a file name, which may have 255); this one has ${key.length}`);
    }
    return path.join(folder, `${key}.json`);
  };
  const journalOf = (key: string): string => `${fileOf(key)}.journal`;
  const journals = new Map<string, OpenJournal>();
  /** Where the whole records of a journal end, as found by readJournal. */
  const wholeUpTo = new Map<string, number>();

  const openJournal = async (key: string): Promise<OpenJournal> => {
    const open = journals.get(key);
    if (open) return open;
    const file = journalOf(key);
    const existed = await exists(file);
    const handle = await fs.open(file, 'a');
    if (!existed) await syncFolder(folder);
    const size = wholeUpTo.get(key) ?? (await wholeRecordsEnd(file));
    const journal: OpenJournal = { handle, size, damaged: (await handle.stat()).size !== size };
    journals.set(key, journal);
    return journal;
  };
  const closeJournal = async (key: string): Promise<void> => {
    const open = journals.get(key);
    journals.delete(key);
    wholeUpTo.delete(key);
    await open?.handle.close();
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
      return async () => {
        await closeJournal(key);
        await release();
      };
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
      await writeFileDurably(file, JSON.stringify(value));
      // Only now, with the snapshot durable, may the journal go.
      if (journals.has(key) || (await exists(journalOf(key)))) {
        const journal = await openJournal(key);
        await journal.handle.truncate(0);
        await journal.handle.datasync();
        journal.size = 0;
        journal.damaged = false;
      }
    },
    async delete(key) {
      await closeJournal(key);
      await fs.rm(fileOf(key), { force: true });
      await fs.rm(journalOf(key), { force: true });
      await syncFolder(folder);
    },
    async append(key, records) {
      const journal = await openJournal(key);
      const data = Buffer.from(formatRecords(records));
      try {
        if (journal.damaged) await journal.handle.truncate(journal.size);
        journal.damaged = false;
        await journal.handle.appendFile(data);
        await journal.handle.datasync();
        journal.size += data.length;
      } catch (error) {
        journal.damaged = true;
        throw error;
      }
    },
    async readJournal(key) {
      const file = journalOf(key);
      let bytes: Buffer;
      try {
        bytes = await fs.readFile(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const end = bytes.lastIndexOf(0x0a) + 1;
      wholeUpTo.set(key, end);
      return parseJournal(bytes.toString('utf8', 0, end), key, file);
    },
    async rename(key, toKey) {
      await closeJournal(key);
      for (const target of [fileOf(toKey), journalOf(toKey)]) {
        if (await exists(target)) throw new TargetExistsError(key, target);
      }
      const moved = [await linkOnce(fileOf(key), fileOf(toKey)), await linkOnce(journalOf(key), journalOf(toKey))];
      if (!moved.includes(true)) return;
      await fs.rm(fileOf(key), { force: true });
      await fs.rm(journalOf(key), { force: true });
      await syncFolder(folder);
    },
  };
}

/** Hard-links `from` to `to`; unlike rename, never replaces an existing file. False if `from` is missing. */
async function linkOnce(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'EEXIST') throw new TargetExistsError(path.basename(from), to);
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

/** Byte length of the whole records in a journal file: up to its last newline. */
async function wholeRecordsEnd(file: string): Promise<number> {
  const bytes = await fs.readFile(file);
  return bytes.lastIndexOf(0x0a) + 1;
}

/** Temp files of writes cut short by a crash; only the lock holder may remove them. */
async function removeTempFiles(folder: string, prefix: string): Promise<void> {
  const names = await fs.readdir(folder);
  await Promise.all(names.filter((n) => n.startsWith(prefix)).map((n) => fs.rm(path.join(folder, n), { force: true })));
}
