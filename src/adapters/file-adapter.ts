import { constants, promises as fs, fstatSync, readSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import {
  CorruptStateError,
  describeValue,
  InvalidKeyError,
  InvalidOptionError,
  LockLostError,
  StorageReplacedError,
  TargetExistsError,
  storageErrorFrom,
} from '../errors.js';
import {
  isTempFileOf,
  keepOpen,
  lstatOrUndefined,
  openRegularFile,
  replaceFile,
  sameFile,
  syncFolder,
  unlinkIfSame,
  statAt,
  whatIsAt,
  type OpenFile,
} from './durable-file.js';
import { acquireFileLock, type FileLock } from './file-lock.js';
import { settle, stampOf, type FolderStamp } from './folder-stamp.js';
import { dataSyncFlag, journalAppend } from './journal-append.js';
import { formatRecords, journalEnd, parseJournal } from './journal-text.js';
import { assertValidKey } from './keys.js';
import type { StorageAdapter } from './storage-adapter.js';

/**
 * Options of `fileAdapter`.
 *
 * @example
 * fileAdapter({ dir: '/data/state' }); // /data/state/<KEY>.json and <KEY>.json.journal
 */
export interface FileAdapterOptions {
  /**
   * The folder that holds `<KEY>.json`. Created on the first write, and again if it vanished.
   * @default `${CRAWLEE_STORAGE_DIR || APIFY_LOCAL_STORAGE_DIR || './storage'}/key_value_stores/default`,
   * the folder where Crawlee and `apify run` keep the default key-value store, resolved when
   * `fileAdapter()` is called.
   */
  readonly dir?: string;
}

/** Keys longer than this would make the lock's and temp files' names too long for a file system. */
export const MAX_FILE_KEY_LENGTH = 200;

/** The folder of Crawlee's and `apify run`'s local storage (key-value stores, datasets, request queues), resolved. */
export function localStorageRoot(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return path.resolve(env.CRAWLEE_STORAGE_DIR || env.APIFY_LOCAL_STORAGE_DIR || './storage');
}

/** The Crawlee / Apify CLI local layout for the default key-value store. */
export function defaultStorageDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return path.join(localStorageRoot(env), 'key_value_stores', 'default');
}

/**
 * An open journal. `size` ends the last whole record: the next append is written there, into room
 * of zeros made ahead (JOURNAL_ROOM_BYTES at a time), so that a durable append changes no file
 * size: on ext4 it then needs no journal commit of the file system, and takes 0.14 ms where an
 * append that grows the file takes 0.21 (bench/w9-local-peers.ts, floor C against floor A).
 */
interface OpenJournal extends OpenFile {
  size: number;
  /** The file's size as this adapter left it: past `size`, the room of zeros it made. */
  room: number;
  /**
   * Bytes past `size` that are ours to cut before the next append: whatever was found past the
   * whole records on opening, or what a failed append may have left. A journal of any other size
   * was changed by someone else.
   */
  torn: number;
  /**
   * Another program's change, found after an append's write: every later append is refused with
   * it until a whole write empties the journal (what is past `size` is not ours to cut).
   */
  changed?: StorageReplacedError;
  /** The folder's stamp, kept while the journal is found at its path (see folder-stamp.ts). */
  stamp?: FolderStamp;
}

/**
 * Room made past the journal's records when an append needs more (64 KiB: a file that grows at
 * most every few hundred appends). Made with ftruncate: a hole, which takes no disk space until
 * written, and reads as zeros.
 */
export const JOURNAL_ROOM_BYTES = 64 * 1024;

/** What the adapter knows of a key's files. */
interface KeyFiles {
  /**
   * The snapshot last written or read, kept open: appends follow only this one. (Open, its inode
   * number cannot go to a file made after a purge, which would pass for it.)
   */
  snapshot?: OpenFile;
  /** Kept open from readJournal or the first append: its size belongs to this very file. */
  journal?: OpenJournal;
  lock?: FileLock;
  /** Set once another process wrote the key while our lock was gone: every later check fails the same way. */
  lost?: LockLostError;
}

const READ = constants.O_RDONLY;
/** Where a folder's stamp stands in for a stat of the journal (folder-stamp.ts). */
const LINUX = process.platform === 'linux';
// Not O_APPEND: appends are written at the records' end, into the journal's room (positional writes).
// O_NOATIME: each append reads two bytes of the journal back (see `intact`); with access times on,
// each read dirtied the journal's inode, and each next O_DSYNC write took 0.04–0.05 ms longer while
// other files were being synced (ext4 here, 0.23 → 0.29 ms). Only the file's owner may ask for it:
// a journal of another user's is opened without (durable-file.ts).
const READ_WRITE = constants.O_RDWR | (LINUX ? (constants.O_NOATIME ?? 0) : 0);

/**
 * Stores each key as `<dir>/<KEY>.json`, with changes since that snapshot appended to
 * `<KEY>.json.journal`, one JSON record per line, fdatasynced. A snapshot write is atomic and
 * durable: a temp file in the same folder, fsync, rename over the old file, fsync of the
 * folder — a crash leaves either the old or the new file, never a torn one; only then is the
 * journal emptied. `lock()` keeps a second process off the key. Symbolic links at the key's
 * files are refused (`StoragePathError`), never followed; so is anything but a regular file there
 * (a FIFO would hang the open, a device be read forever).
 *
 * The adapter remembers which files it wrote and read: when they were removed or replaced behind
 * its back (a purged or deleted folder), `verify` and `append` throw `StorageReplacedError`
 * instead of appending to a journal nobody will read, and the next `write` starts afresh. So they
 * do when the journal was emptied or written in place (its size is not the one this adapter left).
 * When the lock file vanished and another process wrote the snapshot meanwhile, `LockLostError`:
 * nothing of ours is written over it.
 *
 * @example
 * const store = await createPersistentStore({ key: 'CRAWL_STATE', initial: {}, adapter: fileAdapter({ dir: './state' }) });
 */
export function fileAdapter({ dir = defaultStorageDir() }: FileAdapterOptions = {}): StorageAdapter {
  if (typeof dir !== 'string' || dir === '') throw new InvalidOptionError('dir', `expected a folder, a non-empty string, got ${describeValue(dir)}`);
  const folder = path.resolve(dir);
  const dataSync = dataSyncFlag(process.platform);
  const readAppendFlags = READ_WRITE | dataSync;
  const appendFlags = readAppendFlags | constants.O_CREAT;
  const appendData = journalAppend(dataSync);
  const fileOf = (key: string): string => {
    assertValidKey(key);
    if (key.length > MAX_FILE_KEY_LENGTH) {
      throw new InvalidKeyError(
        key,
        `the file adapter takes keys of at most ${MAX_FILE_KEY_LENGTH} characters (its journal's temp files add 54 characters to a file name, which may have 255); this one has ${key.length}`,
      );
    }
    return path.join(folder, `${key}.json`);
  };
  const journalOf = (key: string): string => `${fileOf(key)}.journal`;
  const keys = new Map<string, KeyFiles>();
  const filesOf = (key: string): KeyFiles => {
    let files = keys.get(key);
    if (files === undefined) keys.set(key, (files = {}));
    return files;
  };

  /** Why the journal open for `key` is no longer the file at its path, or undefined. */
  const journalGone = (found: ReturnType<typeof statAt>['found']): string | undefined => {
    if (found === 'same') return undefined;
    return found === 'unlinked' ? 'removed (its open journal was deleted)' : 'moved or replaced (its journal path names another file, or none)';
  };
  /**
   * What is at `key`'s paths: why its files are no longer those this adapter wrote or read (or
   * undefined), and, while they are, their stats (so that no fstat more is needed for their size
   * and times). `named`: the journal was known to be at its path by the folder's stamp, so no name
   * in the folder changed since the lock file was last found ours too. Synchronous: an lstat per open file.
   */
  const inspect = (key: string): { why?: string; snapshot?: Stats; named?: boolean } => {
    const files = keys.get(key);
    let snapshot: Stats | undefined;
    if (files?.snapshot) {
      const at = statAt(fileOf(key), files.snapshot, 'check the snapshot');
      if (at.found !== 'same')
        return { why: at.found === 'other' ? 'replaced (its snapshot is another file)' : 'removed (its snapshot is gone: a purged or deleted folder?)' };
      snapshot = at.stats;
    }
    if (!files?.journal) return { snapshot };
    const found = journalAt(key, files.journal);
    return found === 'same' ? { snapshot } : found === 'named' ? { snapshot, named: true } : { snapshot, why: journalGone(found) };
  };
  /**
   * Whether `journal` is the file at the key's journal path. Not by a stat of the journal while the
   * folder's stamp shows no name in it changed: such a stat costs the next append 0.1 ms (folder-stamp.ts).
   */
  const journalAt = (key: string, journal: OpenJournal): ReturnType<typeof whatIsAt> | 'named' => {
    const value = LINUX ? stampOf(folder) : undefined; // before the name is looked at: a change after it changes the stamp
    if (stampKept(journal, value)) return 'named';
    const found = whatIsAt(journalOf(key), journal, 'check the journal');
    journal.stamp = found === 'same' && value !== undefined ? settle(journal.stamp, value) : undefined;
    return found;
  };
  /** Whether the folder's stamp now is the one trusted for `journal`: no name in the folder changed since its last check. */
  const namesKept = (journal: OpenJournal): boolean => LINUX && stampKept(journal, stampOf(folder));
  /**
   * Keeps `handle` as the key's snapshot (closing the one kept before), while this adapter holds
   * the key's lock: only a holder appends, and an unlocked reader (inspect) must not keep files open.
   */
  const pinSnapshot = async (key: string, handle: fs.FileHandle | undefined): Promise<void> => {
    const files = filesOf(key);
    const before = files.snapshot;
    files.snapshot = files.lock && handle ? await keepOpen(handle) : undefined;
    if (files.snapshot === undefined) await handle?.close().catch(() => undefined);
    await before?.handle.close().catch(() => undefined);
  };
  /** Forgets the key's files: closes its journal and snapshot. */
  const forget = async (key: string): Promise<void> => {
    await closeJournal(key);
    await pinSnapshot(key, undefined);
  };
  /**
   * The snapshot's own file written over in place: never by this adapter (it replaces the file
   * whole), but by Crawlee's local storage, which writes a record in place: an auto-save on the
   * same key. Writing our state again would overwrite that value, appending would mix the two:
   * the key is lost to that writer, and the value it wrote is left as it is.
   */
  const assertNotOverwritten = (key: string, seen?: Stats): void => {
    const files = keys.get(key);
    const snapshot = files?.snapshot;
    if (!files || !snapshot?.content) return;
    const now = seen ?? fstatSync(snapshot.handle.fd);
    if (now.nlink === 0 || (now.size === snapshot.content.size && now.mtimeMs === snapshot.content.mtimeMs)) return;
    throw (files.lost = new LockLostError(
      key,
      `${fileOf(key)} was written over in place by another program (an auto-save on the same key, such as Crawlee's useState or a persistState handler calling setValue? give it another key); it is left as it is`,
    ));
  };
  /** Throws unless `key`'s files are those this adapter wrote or read. */
  const assertNotReplaced = (key: string): void => {
    const { why, snapshot } = inspect(key);
    assertNotOverwritten(key, snapshot);
    if (why !== undefined) throw new StorageReplacedError(key, fileOf(key), why);
  };

  /**
   * The lock checked before trusting the files. When its file vanished, it is taken again, unless the
   * snapshot at the path is another writer's by then: another process held the key meanwhile, and
   * writing our state over its acknowledged one would lose it silently. (A missing snapshot is a purge.)
   */
  const verifyLock = async (key: string, named = false): Promise<void> => {
    const files = keys.get(key);
    const lock = files?.lock;
    if (files?.lost) throw files.lost;
    if (lock === undefined || lock.intact(named)) return;
    const now = lstatOrUndefined(fileOf(key), 'check the snapshot');
    if (now !== undefined && (files?.snapshot === undefined || !sameFile(now, files.snapshot.identity))) {
      throw (files!.lost = new LockLostError(
        key,
        `its lock file ${lock.file} was removed, and ${fileOf(key)} was written by another process meanwhile (it is left as it is)`,
      ));
    }
    // Lost for good: no later append may write before finding so (its checks may come after its write).
    await lock.verify().catch((error: unknown) => Promise.reject(error instanceof LockLostError ? (files!.lost = error) : error));
  };

  const openJournal = async (key: string): Promise<{ journal: OpenJournal; created: boolean }> => {
    const files = filesOf(key);
    if (files.journal) return { journal: files.journal, created: false };
    const file = journalOf(key);
    try {
      const created = lstatOrUndefined(file, 'check the journal') === undefined;
      const handle = await openRegularFile(file, appendFlags, 'open the journal', 0o666);
      try {
        const stats = await handle.stat();
        if (created) await syncFolder(folder);
        const journal = openedJournal(handle, stats, await wholeRecordsEnd(handle));
        files.journal = journal;
        return { journal, created };
      } catch (error) {
        await handle.close();
        throw error;
      }
    } catch (error) {
      throw storageErrorFrom(error, 'open the journal', file);
    }
  };
  const closeJournal = async (key: string): Promise<void> => {
    const files = keys.get(key);
    const open = files?.journal;
    if (files) files.journal = undefined;
    await open?.handle.close().catch(() => undefined); // nothing unwritten: every append was synced
  };

  return {
    name: 'file',
    locate: fileOf,
    // A durable write costs about a millisecond: a kill without warning loses at most 1 s.
    writeTiming: { debounceMs: 200, maxWaitMs: 1_000 },
    async lock(key) {
      fileOf(key);
      await makeFolder(folder);
      const lock = await acquireFileLock(folder, key);
      try {
        await removeTempFiles(folder, key);
      } catch (error) {
        await lock.release();
        throw error;
      }
      filesOf(key).lock = lock;
      return async () => {
        try {
          await forget(key);
          await removeTempFiles(folder, key).catch(() => undefined); // leftovers only: the next holder removes them
        } finally {
          keys.delete(key);
          await lock.release();
        }
      };
    },
    async read(key) {
      const file = fileOf(key);
      let text: string;
      try {
        const handle = await openRegularFile(file, READ, 'read the snapshot');
        try {
          text = await handle.readFile('utf8');
        } catch (error) {
          await handle.close();
          throw error;
        }
        await pinSnapshot(key, handle);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          await pinSnapshot(key, undefined);
          return undefined;
        }
        throw storageErrorFrom(error, 'read the snapshot', file);
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
      const files = filesOf(key);
      const data = JSON.stringify(value);
      await verifyLock(key); // first: a key lost to another process gets not even its folder made again
      await makeFolder(folder); // every time: the folder may have been removed since the last write
      // A journal removed or replaced behind our back is left alone: the one at the path is emptied below.
      if (files.journal && whatIsAt(journalOf(key), files.journal, 'check the journal') !== 'same') await closeJournal(key);
      // A symbolic link or any other non-file planted at the journal's path is never opened: once the
      // snapshot holds the whole state, the name is removed (never what it points to), so that no
      // record of another history can be replayed on the snapshot.
      const atPath = files.journal === undefined ? (lstatOrUndefined(journalOf(key), 'check the journal') as Stats | undefined) : undefined;
      const foreign = atPath !== undefined && !atPath.isFile();
      // A journal that is a file is opened before the snapshot is written, so that a failure there comes before anything changes.
      const journal = files.journal !== undefined || (atPath !== undefined && !foreign) ? (await openJournal(key)).journal : undefined;
      try {
        await pinSnapshot(key, await replaceFile(file, data));
      } catch (error) {
        throw storageErrorFrom(error, 'write the snapshot', file);
      }
      if (foreign) {
        try {
          await fs.unlink(journalOf(key));
          await syncFolder(folder);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw storageErrorFrom(error, 'remove what was planted at the journal', journalOf(key));
        }
      }
      if (journal === undefined) return;
      // Only now, with the snapshot durable, may the journal go.
      try {
        await journal.handle.truncate(0);
        await journal.handle.datasync();
      } catch (error) {
        throw storageErrorFrom(error, 'empty the journal', journalOf(key)); // its records are in the snapshot: skipped on replay
      }
      journal.size = 0;
      journal.room = 0;
      journal.torn = 0;
      journal.changed = undefined;
    },
    async verify(key) {
      fileOf(key);
      assertNotReplaced(key);
      await verifyLock(key);
    },
    async delete(key) {
      const file = fileOf(key);
      await forget(key);
      try {
        await fs.rm(file, { force: true });
        await fs.rm(journalOf(key), { force: true });
        await syncFolder(folder);
      } catch (error) {
        throw storageErrorFrom(error, 'delete', file);
      }
    },
    async append(key, records) {
      const data = Buffer.from(formatRecords(records));
      const files = keys.get(key);
      if (files?.lost) throw files.lost;
      const open = files?.journal;
      if (open?.changed) throw open.changed;
      // All the checks before the write too, unless the folder's stamp shows that no name in it
      // changed (the lock file, snapshot and journal are those found last: no other process took
      // the key) and the write ends short of the room's end (so that the file's end still shows
      // any change of its length) and sets no size (cutting a torn tail, making room). Then the
      // snapshot's stat and the journal's reads wait until the write is durable: what another
      // program changed before it is found then, and the record (past a cut journal's zeros, in
      // one written over, or beside a snapshot written over) is refused, never acknowledged.
      const look = open === undefined || open.torn > 0 || open.size + data.length >= open.room || !namesKept(open);
      if (look) {
        assertNotReplaced(key);
        await verifyLock(key);
      }
      const { journal, created } = await openJournal(key);
      const file = journalOf(key);
      // Emptied or written in place by another program: appending would be acknowledged into a journal
      // whose records are missing. The store then writes its whole state.
      if (journal.torn > 0) {
        const before = sizeOf(journal, file);
        if (before < journal.size || before > Math.max(journal.room, journal.size + journal.torn)) throw changedInPlace(key, fileOf(key), journal, before);
      } else if (look && !intact(journal, file)) throw changedInPlace(key, fileOf(key), journal, sizeOf(journal, file));
      try {
        if (journal.torn > 0) {
          // Only our own: what is past the whole records is cut, so no part of it can follow them later.
          await journal.handle.truncate(journal.size);
          journal.room = journal.size;
          journal.torn = 0;
        }
        if (journal.size + data.length > journal.room) {
          // Made durable by the append's own sync: the file's new size is what reading its data needs.
          await journal.handle.truncate(journal.size + data.length + JOURNAL_ROOM_BYTES);
          journal.room = journal.size + data.length + JOURNAL_ROOM_BYTES;
        }
        await appendData(journal.handle, data, journal.size);
      } catch (error) {
        journal.torn = Math.max(journal.torn, data.length);
        throw storageErrorFrom(error, 'append to the journal', file);
      }
      // Acknowledged only if it landed in the live journal, beside the live snapshot.
      const now = inspect(key);
      assertNotOverwritten(key, now.snapshot);
      const why = now.why;
      if (why !== undefined) {
        // A journal this append created beside no snapshot (the folder was purged meanwhile) must not stay.
        if (created && lstatOrUndefined(fileOf(key), 'check the snapshot') === undefined)
          await unlinkIfSame(file, journal, 'remove the journal').catch(() => undefined);
        await closeJournal(key);
        throw new StorageReplacedError(key, fileOf(key), why);
      }
      if (!intact(journal, file)) throw (journal.changed = changedInPlace(key, fileOf(key), journal, sizeOf(journal, file)));
      await verifyLock(key, now.named);
      journal.size += data.length;
    },
    async readJournal(key) {
      const file = journalOf(key);
      const files = filesOf(key);
      let bytes: Buffer;
      try {
        // The holder keeps the journal it read open for its appends: the size found here is that file's only.
        const handle = files.lock
          ? await openRegularFile(file, readAppendFlags, 'read the journal').catch((error: unknown) => (readOnly(error) ? undefined : Promise.reject(error)))
          : undefined;
        const reading = handle ?? (await openRegularFile(file, READ, 'read the journal'));
        try {
          bytes = await reading.readFile();
          if (handle) {
            // The holder appends to a file of its own, its whole records copied: a writer that had the
            // journal open before this holder took the key (its lock file removed while it appended)
            // then writes to the file it had, not onto this holder's records at the position it knew,
            // and its checks find the journal replaced.
            const end = journalEnd(bytes);
            const fresh = await replaceFile(file, bytes.subarray(0, end), appendFlags | constants.O_EXCL);
            await handle.close();
            await closeJournal(key);
            files.journal = openedJournal(fresh, await fresh.stat(), end);
          }
        } catch (error) {
          await reading.close();
          throw error;
        }
        if (!handle) await reading.close();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw storageErrorFrom(error, 'read the journal', file);
      }
      return parseJournal(bytes, key, file);
    },
    async rename(key, toKey) {
      await forget(key);
      const targets = [fileOf(toKey), journalOf(toKey)];
      try {
        for (const target of targets) {
          if (lstatOrUndefined(target, 'check the target') !== undefined) throw new TargetExistsError(key, target);
        }
        const moved = [await linkOnce(fileOf(key), targets[0]!), await linkOnce(journalOf(key), targets[1]!)];
        if (!moved.includes(true)) return;
        await fs.rm(fileOf(key), { force: true });
        await fs.rm(journalOf(key), { force: true });
        await syncFolder(folder);
      } catch (error) {
        throw storageErrorFrom(error, `move to ${toKey}`, fileOf(key));
      }
    },
  };
}

/** Whether `value`, the folder's stamp just taken, is the one trusted for `journal` (see folder-stamp.ts). */
const stampKept = (journal: OpenJournal, value: string | undefined): boolean =>
  value !== undefined && journal.stamp?.trusted === true && journal.stamp.value === value;

/** An open journal whose whole records end at `size`: whatever the file holds past them is cut before the next append. */
function openedJournal(handle: fs.FileHandle, stats: Stats, size: number): OpenJournal {
  return { handle, identity: { dev: stats.dev, ino: stats.ino }, size, room: stats.size, torn: stats.size - size };
}

/**
 * Whether the journal is as this adapter left it: its room's size (the file ends there), and its
 * records' last newline where they end (a journal cut below them reads zeros there once written
 * past, whatever its size). By reads: a stat of the journal would cost its next append 0.1 ms
 * (folder-stamp.ts), a read does not.
 */
function intact(journal: OpenJournal, file: string): boolean {
  const { room, size } = journal;
  return (
    probe(journal, file, room > 0 ? 2 : 1, Math.max(0, room - 1)) === Math.min(room, 1) &&
    (size === 0 || (probe(journal, file, 1, size - 1) === 1 && PROBE[0] === NEWLINE))
  );
}

/** Reads `length` bytes of the journal at `position` into PROBE; returns how many it read. */
function probe(journal: OpenJournal, file: string, length: number, position: number): number {
  try {
    return readSync(journal.handle.fd, PROBE, 0, length, position);
  } catch (error) {
    throw storageErrorFrom(error, 'check the journal', file);
  }
}
const PROBE = Buffer.alloc(2);
const NEWLINE = 0x0a;

function sizeOf(journal: OpenJournal, file: string): number {
  try {
    return fstatSync(journal.handle.fd).size;
  } catch (error) {
    throw storageErrorFrom(error, 'check the journal', file);
  }
}

function changedInPlace(key: string, snapshot: string, journal: OpenJournal, found: number): StorageReplacedError {
  return new StorageReplacedError(
    key,
    snapshot,
    `changed in place (its journal is ${found} bytes long where this store left it ${journal.room}: emptied or written by another program?)`,
  );
}

/** A journal that can be read but not written (a read-only mount or file): read it, keep nothing open. */
const readOnly = (error: unknown): boolean => ['EACCES', 'EPERM', 'EROFS'].includes((error as NodeJS.ErrnoException).code ?? '');

async function makeFolder(folder: string): Promise<void> {
  try {
    await fs.mkdir(folder, { recursive: true });
  } catch (error) {
    throw storageErrorFrom(error, 'create the storage folder', folder);
  }
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

/** Byte length of the whole records in an open journal (see `journalEnd`), read from the start until its first NUL byte. */
export async function wholeRecordsEnd(handle: fs.FileHandle): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  let end = 0;
  for (let start = 0; ;) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, start);
    const read = chunk.subarray(0, bytesRead);
    const whole = journalEnd(read);
    if (whole > 0) end = start + whole;
    if (bytesRead < chunk.length || read.includes(0)) return end;
    start += bytesRead;
  }
}

/** Temp files of writes cut short by a crash; only the lock holder may remove them. */
async function removeTempFiles(folder: string, key: string): Promise<void> {
  const names = await fs.readdir(folder).catch((error: unknown) => {
    throw storageErrorFrom(error, 'list the folder', folder);
  });
  const own = names.filter((name) => isTempFileOf(name, `${key}.json`) || isTempFileOf(name, `${key}.json.journal`));
  await Promise.all(own.map((name) => fs.rm(path.join(folder, name), { force: true }).catch(() => undefined)));
}
