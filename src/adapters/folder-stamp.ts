import { lstatSync } from 'node:fs';
import { storageErrorFrom } from '../errors.js';

/**
 * A folder's identity and times. Creating, removing or renaming a name in a folder sets its mtime
 * and ctime: while its stamp is unchanged, each of its names still names the file it named.
 *
 * This is how the file adapter knows its journal is still at its path without a stat of the
 * journal: since Linux 6.13 (multigrain timestamps) a stat of a file makes its next write take a
 * fine-grained time, which an O_DSYNC write then makes durable: +0.1 ms on each append (ext4 here,
 * 0.17 → 0.28 ms), against about 6 µs for a stat of the folder. Linux only: elsewhere (Windows
 * documents a file's times as final only once the handle that changed it is closed) nothing is
 * gained, and the journal is looked up by path.
 */
export interface FolderStamp {
  readonly value: string;
  /** When this process first saw `value` (performance.now()). */
  readonly since: number;
  /** Seen unchanged, with the name checked, over longer than a tick of the file system's clock. */
  readonly trusted: boolean;
}

/**
 * A change made within the same tick of the file system's clock as the stamp's own time leaves
 * the stamp as it was. So a stamp is trusted only once it was seen unchanged, with the name
 * checked, at two moments further apart than a tick, measured by this process's clock (the file
 * system's may be another machine's): 20 ms where times have a sub-second part (a kernel tick is
 * 1 to 10 ms), else 2.5 s (1 s on ext3 or HFS+, 2 s on FAT).
 */
const SETTLE_MS = 20;
const COARSE_SETTLE_MS = 2_500;

/** The folder's stamp now, or undefined when there is no folder at the path. */
export function stampOf(folder: string): string | undefined {
  let stats;
  try {
    stats = lstatSync(folder, { bigint: true, throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw storageErrorFrom(error, 'check the folder', folder);
  }
  if (stats === undefined || !stats.isDirectory()) return undefined;
  return `${stats.dev}:${stats.ino}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

/**
 * The stamp to keep after a name in the folder was checked and found the same, given `value`, the
 * folder's stamp taken before that check, and the stamp kept before.
 *
 * @example
 * const value = stampOf(folder); // first, then the name is checked
 * kept = value === undefined ? undefined : settle(kept, value);
 * if (kept?.trusted && stampOf(folder) === kept.value) // the name needs no check this time
 */
export function settle(kept: FolderStamp | undefined, value: string, now: number = performance.now()): FolderStamp {
  if (kept?.value !== value) return { value, since: now, trusted: false };
  if (kept.trusted) return kept;
  const coarse = value.endsWith('000000000') && value.split(':')[2]!.endsWith('000000000');
  return { ...kept, trusted: now - kept.since > (coarse ? COARSE_SETTLE_MS : SETTLE_MS) };
}
