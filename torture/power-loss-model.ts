import { copyFile, open, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
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
 * may be undone, and bytes written after a file's last fsync — or, never synced, after its size
 * when opened — may be lost, in part or whole (cut at a random point, so records can be torn); of a
 * write cut short at a position (into the journal's room), any run of bytes may be lost. A
 * file keeps what was synced under its old name when renamed. Then removes the recorder's backups.
 */
export async function losePower(dir: string, logFile: string, next: () => number): Promise<PowerLoss> {
  const entries = (await readFile(logFile, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'));
  const syncedLater = (index: number, file: string) => entries.slice(index + 1).some(([op, target]) => op === 'sync' && target === file);
  const undone = new Set<number>();
  let renamesUndone = 0;
  let truncatesUndone = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const [op, a, b, c] = entries[i]!;
    if (op === 'rename' && !syncedLater(i, path.dirname(b!))) {
      if (c === '-') await rm(b!, { force: true });
      else await copyFile(c!, b!);
      undone.add(i);
      renamesUndone++;
    }
    if (op === 'truncate' && !syncedLater(i, a!) && c !== '-') {
      await copyFile(c!, a!);
      truncatesUndone++;
    }
  }
  // How many bytes of each file (by its name at the end) are on the disk for sure.
  const durable = new Map<string, number>();
  entries.forEach(([op, a, b], i) => {
    if (op === 'open' && !durable.has(a!)) durable.set(a!, Number(b));
    if (op === 'sync' && b !== 'dir') durable.set(a!, Number(b));
    if (op === 'rename' && !undone.has(i) && durable.has(a!)) {
      durable.set(b!, durable.get(a!)!);
      durable.delete(a!);
    }
  });
  let tailsCut = 0;
  // A write cut short inside the journal's room (children/fault-points.ts logs where): the device may
  // have kept any part of what reached it, so a random run of it is lost, zeros where it was, even
  // before bytes that stayed.
  // So may one made at a position (into the journal's room) and not synced after.
  for (const [i, [op, file, ...rest]] of entries.entries()) {
    const [at, length] = op === 'torn' ? rest : op === 'write' && rest.length === 3 && !syncedLater(i, file!) ? rest.slice(1) : [];
    if (at === undefined || length === undefined) continue;
    const start = Number(at) + Math.floor(next() * Number(length));
    const end = start + Math.floor(next() * (Number(at) + Number(length) - start));
    if (end <= start) continue;
    const handle = await open(file!, 'r+').catch(() => undefined);
    if (handle === undefined) continue;
    await handle.write(Buffer.alloc(end - start), 0, end - start, start).finally(() => handle.close());
    tailsCut++;
  }
  for (const [file, synced] of durable) {
    const size = await stat(file).then(
      (s) => (s.isFile() ? s.size : undefined),
      () => undefined,
    );
    if (size === undefined || size <= synced) continue;
    await truncate(file, synced + Math.floor(next() * (size - synced)));
    tailsCut++;
  }
  for (const name of await readdir(dir)) if (name.startsWith('.power-loss-backup-')) await rm(path.join(dir, name), { force: true });
  await rm(logFile, { force: true });
  return { renamesUndone, truncatesUndone, tailsCut };
}
