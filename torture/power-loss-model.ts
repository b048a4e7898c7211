import { copyFile, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import * as path from 'node:path';

export interface PowerLoss {
  readonly renamesUndone: number;
  readonly truncatesUndone: number;
  readonly tailsCut: number;
}

/**
 * Turns the folder into what a power cut at the moment of the kill could leave on disk, from the
 * operations the child recorded (children/fault-points.ts): a rename not followed by an fsync of
 * its folder may be undone (the old file returns), a truncate not followed by an fsync of its file
 * may be undone, and bytes written after a file's last fsync may be lost, in part or whole (cut at
 * a random point, so records can be torn). Then removes the recorder's backups.
 */
export async function losePower(dir: string, logFile: string, next: () => number): Promise<PowerLoss> {
  const entries = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((line) => line.split('\t'));
  const syncedLater = (index: number, file: string) => entries.slice(index + 1).some(([op, target]) => op === 'sync' && target === file);
  let renamesUndone = 0;
  let truncatesUndone = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const [op, a, b, c] = entries[i]!;
    if (op === 'rename' && !syncedLater(i, path.dirname(b!))) {
      if (c === '-') await rm(b!, { force: true });
      else await copyFile(c!, b!);
      renamesUndone++;
    }
    if (op === 'truncate' && !syncedLater(i, a!) && c !== '-') {
      await copyFile(c!, a!);
      truncatesUndone++;
    }
  }
  let tailsCut = 0;
  const lastSynced = new Map<string, number>();
  for (const [op, file, size] of entries) if (op === 'sync' && size !== 'dir') lastSynced.set(file!, Number(size));
  for (const [file, synced] of lastSynced) {
    const size = await stat(file).then((s) => s.size, () => undefined);
    if (size === undefined || size <= synced) continue;
    await truncate(file, synced + Math.floor(next() * (size - synced)));
    tailsCut++;
  }
  for (const name of await readdir(dir)) if (name.startsWith('.power-loss-backup-')) await rm(path.join(dir, name), { force: true });
  await rm(logFile, { force: true });
  return { renamesUndone, truncatesUndone, tailsCut };
}
