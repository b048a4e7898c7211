import { constants, promises as fs, fstatSync, lstatSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { NOT_REGULAR, StoragePathError, storageErrorFrom } from '../errors.js';

/** Which file on which device: what a path named when it was last looked at. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

export const sameFile = (a: FileIdentity, b: FileIdentity): boolean => a.dev === b.dev && a.ino === b.ino;

/** Open flags that refuse a symbolic link in the last path component (ELOOP) instead of following it. */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * The name of a file that belongs to `file` without being a stored value: `<file>~<suffix>`.
 * Keys never contain `~`, so no key's files can match another key's auxiliary files (a prefix
 * like `A.json.tmp-` once matched the key `A.json.tmp-x`, whose files were then deleted).
 *
 * @example auxiliaryFile('/s/K.json', 'lock.3'); // '/s/K.json~lock.3'
 */
export function auxiliaryFile(file: string, suffix: string): string {
  return `${file}~${suffix}`;
}

/**
 * A fresh temp file name for `file`; `isTempFileOf` recognises it. The UUID is Web Crypto's (the
 * global `crypto`), which loads at its first use: importing node:crypto cost ≈10% of the import.
 */
export const tempFileOf = (file: string): string => auxiliaryFile(file, `tmp-${crypto.randomUUID()}`);

/** An older version's temp file name, `<file>.tmp-<uuid>`: matched whole, never by prefix (another key may start so). */
const LEGACY_TEMP = /^\.tmp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when the folder entry `name` is a temp file of `file` (a base name, e.g. `K.json`). */
export const isTempFileOf = (name: string, file: string): boolean =>
  name.startsWith(auxiliaryFile(file, 'tmp-')) || (name.startsWith(file) && LEGACY_TEMP.test(name.slice(file.length)));

/**
 * Replaces `file` with `data` so that a crash at any moment leaves either the old or the new
 * bytes: a fresh temp file beside it, fsync, rename, fsync of the folder. Any failure removes
 * the temp file (a retried write must not leave one copy per attempt).
 *
 * @example await writeFileDurably('/s/K.json', '{"v":1}');
 */
export async function writeFileDurably(file: string, data: string | Uint8Array): Promise<void> {
  await (await replaceFile(file, data)).close();
}

/**
 * `writeFileDurably`, resolving to the new file kept open: while it is open, its inode number
 * cannot go to another file, so `whatIsAt` can tell later whether `file` still is this one.
 */
export async function replaceFile(file: string, data: string | Uint8Array, flags: string | number = 'wx'): Promise<fs.FileHandle> {
  const tmp = tempFileOf(file);
  // A refused O_NOATIME may follow the file's creation (O_CREAT): it is removed before the retry.
  const handle =
    typeof flags === 'number'
      ? await withoutAccessTimeIfRefused(
          flags,
          (withFlags) => fs.open(tmp, withFlags),
          () => fs.rm(tmp, { force: true }),
        )
      : await fs.open(tmp, flags);
  try {
    await handle.writeFile(typeof data === 'string' ? utf8(data) : data);
    await handle.sync();
    await fs.rename(tmp, file);
  } catch (error) {
    await handle.close();
    await fs.rm(tmp, { force: true }).catch(() => undefined); // the first error is the one to report
    throw error;
  }
  try {
    await syncFolder(path.dirname(file));
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/**
 * `text` in UTF-8. A state's JSON is nearly always ASCII, whose UTF-8 is its Latin-1: copied as
 * such in half the time of the UTF-8 encoder (33 against 69 ms for a snapshot of 8.9 MB here).
 * The length check itself costs about 1 ms there.
 *
 * @example utf8('{"v":"é"}').length; // 10
 */
export function utf8(text: string): Buffer {
  return Buffer.byteLength(text) === text.length ? Buffer.from(text, 'latin1') : Buffer.from(text);
}

/** What `file` names now, without following a symbolic link; undefined when nothing is there. */
export function lstatOrUndefined(file: string, action: string): Stats | undefined {
  try {
    return lstatSync(file, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw storageErrorFrom(error, action, file);
  }
}

/**
 * A file kept open as proof of identity: while it is open its inode number cannot go to another
 * file (one made after a purge would otherwise pass for it).
 */
export interface OpenFile {
  readonly handle: fs.FileHandle;
  /** Fixed for as long as the handle is open: read once. */
  readonly identity: FileIdentity;
  /** Its size and modification time when it was kept open (by `keepOpen`): a file written in place changes them. */
  readonly content?: { readonly size: number; readonly mtimeMs: number };
}

/**
 * Opens `file` only if it is a regular file: never through a symbolic link (ELOOP), and without
 * blocking (a FIFO planted there would hang the open, a device would be read forever): anything
 * else is closed unread and refused with `StoragePathError`. Errors other than that are thrown as is
 * (ENOENT included), for the caller to word.
 *
 * @example const handle = await openRegularFile('/s/K.json', constants.O_RDONLY, 'read the snapshot');
 */
export async function openRegularFile(file: string, flags: number, action: string, mode?: number): Promise<fs.FileHandle> {
  // Refused before opening where possible: opening some devices acts on them. The fstat below closes the race.
  const found = lstatSync(file, { throwIfNoEntry: false });
  if (found !== undefined && !found.isFile() && !found.isSymbolicLink()) throw new StoragePathError(file, NOT_REGULAR, action, undefined);
  const handle = await withoutAccessTimeIfRefused(flags, (withFlags) => fs.open(file, withFlags | NO_FOLLOW | NON_BLOCKING, mode));
  let regular: boolean;
  try {
    regular = (await handle.stat()).isFile();
  } catch (error) {
    await handle.close();
    throw error;
  }
  if (regular) return handle; // O_NONBLOCK changes nothing for a regular file
  await handle.close();
  throw new StoragePathError(file, NOT_REGULAR, action, undefined);
}

const NON_BLOCKING = constants.O_NONBLOCK ?? 0;
const NO_ACCESS_TIME = constants.O_NOATIME ?? 0;

/**
 * `open(flags)`, and where `flags` ask for O_NOATIME and Linux refuses it (EPERM: only the file's
 * owner, as the file system shows it, may ask), `open` again without it, after `beforeRetry`: the
 * file then has its access time set by reads. Another cause of EPERM fails the second open too.
 */
async function withoutAccessTimeIfRefused<R>(flags: number, open: (flags: number) => Promise<R>, beforeRetry?: () => Promise<void>): Promise<R> {
  try {
    return await open(flags);
  } catch (error) {
    if (!(flags & NO_ACCESS_TIME) || (error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    await beforeRetry?.();
    return open(flags & ~NO_ACCESS_TIME);
  }
}

/** Keeps `handle` as an `OpenFile`. */
export async function keepOpen(handle: fs.FileHandle): Promise<OpenFile> {
  const stats = await handle.stat();
  return { handle, identity: { dev: stats.dev, ino: stats.ino }, content: { size: stats.size, mtimeMs: stats.mtimeMs } };
}

/**
 * Whether `file` still names `open`: `'other'` when another file is there; when nothing is,
 * `'unlinked'` if that file was deleted, `'gone'` if it was moved (as a purge moves the folder
 * away before deleting it). One lstat while all is well.
 */
export function whatIsAt(file: string, open: OpenFile, action: string): 'same' | 'unlinked' | 'gone' | 'other' {
  return statAt(file, open, action).found;
}

/** `whatIsAt`, with the file's stats when it is the same one: its size and times without an fstat more. */
export function statAt(file: string, open: OpenFile, action: string): { found: 'same'; stats: Stats } | { found: 'unlinked' | 'gone' | 'other' } {
  const now = lstatOrUndefined(file, action);
  if (now !== undefined) return sameFile(now, open.identity) ? { found: 'same', stats: now } : { found: 'other' };
  return { found: fstatSync(open.handle.fd).nlink === 0 ? 'unlinked' : 'gone' };
}

/** Unlinks `file` only if it still is `open` (never a file that took its place). */
export async function unlinkIfSame(file: string, open: OpenFile, action: string): Promise<void> {
  if (whatIsAt(file, open, action) !== 'same') return;
  try {
    await fs.unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw storageErrorFrom(error, action, file);
  }
}

/** Makes a rename or unlink in `folder` durable. Some file systems cannot fsync a folder: skipped there. */
export async function syncFolder(folder: string): Promise<void> {
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
