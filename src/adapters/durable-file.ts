import { randomUUID } from 'node:crypto';
import { constants, promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';

/** Which file on which device: what a path named when it was last looked at. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

export const sameFile = (a: FileIdentity, b: FileIdentity): boolean => a.dev === b.dev && a.ino === b.ino;

/** Open flags that refuse a symbolic link in the last path component (ELOOP) instead of following it. */
export const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

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

/** A fresh temp file name for `file`; `isTempFileOf` recognises it. */
export const tempFileOf = (file: string): string => auxiliaryFile(file, `tmp-${randomUUID()}`);

/** An older version's temp file name, `<file>.tmp-<uuid>`: matched whole, never by prefix (another key may start so). */
const LEGACY_TEMP = /^\.tmp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when the folder entry `name` is a temp file of `file` (a base name, e.g. `K.json`). */
export const isTempFileOf = (name: string, file: string): boolean =>
  name.startsWith(auxiliaryFile(file, 'tmp-')) || (name.startsWith(file) && LEGACY_TEMP.test(name.slice(file.length)));

/**
 * Replaces `file` with `data` so that a crash at any moment leaves either the old or the new
 * bytes: a fresh temp file beside it, fsync, rename, fsync of the folder. Any failure removes
 * the temp file (a retried write must not leave one copy per attempt). Resolves to the identity
 * of the file now at `file`.
 *
 * @example const written = await writeFileDurably('/s/K.json', '{"v":1}');
 */
export async function writeFileDurably(file: string, data: string | Uint8Array): Promise<FileIdentity> {
  const tmp = tempFileOf(file);
  const handle = await fs.open(tmp, 'wx');
  let stats: Stats;
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
      stats = await handle.stat();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => undefined); // the first error is the one to report
    throw error;
  }
  await syncFolder(path.dirname(file));
  return { dev: stats.dev, ino: stats.ino };
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
