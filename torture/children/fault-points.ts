// Imported first by a torture child, before the library: wraps the file operations the file
// adapter uses, to (1) SIGKILL the process at a chosen point inside a write — TORTURE_KILL_AT
// "<point>:<nth>" — and (2) record every operation that matters for durability to
// TORTURE_FS_LOG, for the power-loss model (torture/power-loss-model.ts). Records are written with
// writeSync, so a SIGKILL right after an operation cannot lose its record.
import { constants, promises as fs, fstatSync, openSync, writeSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';
import type { KillPoint } from './kill-points.js';

const [point, nth] = (process.env.TORTURE_KILL_AT ?? '').split(':') as [KillPoint | '', string | undefined];
let remaining = Number(nth ?? 1);
/** True at the nth time the chosen point is reached. */
const hit = (at: KillPoint): boolean => at === point && --remaining === 0;
const die = (at: KillPoint): void => {
  if (hit(at)) process.kill(process.pid, 'SIGKILL');
};

const logFd = process.env.TORTURE_FS_LOG ? openSync(process.env.TORTURE_FS_LOG, 'a') : undefined;
let backups = 0;
const record = (...fields: Array<string | number>): void => {
  if (logFd !== undefined) writeSync(logFd, `${fields.join('\t')}\n`);
};
/** Keeps what an operation is about to destroy, so the power-loss model can bring it back. */
async function backup(file: string, how: 'link' | 'copy'): Promise<string> {
  const kept = path.join(path.dirname(file), `.power-loss-backup-${process.pid}-${++backups}`);
  try {
    await (how === 'link' ? fs.link(file, kept) : fs.copyFile(file, kept));
    return kept;
  } catch {
    return '-'; // nothing there yet
  }
}

/** A write's (offset, length, position) arguments after its buffer, as node:fs defaults them (position null: at the file's offset). */
function positional(args: unknown[], size: number): [number, number, number | null] {
  const offset = typeof args[0] === 'number' ? args[0] : 0;
  return [offset, typeof args[1] === 'number' ? args[1] : size - offset, typeof args[2] === 'number' ? args[2] : null];
}

const paths = new WeakMap<object, string>();
/** The handles opened on each path, to follow their file through a rename. */
const openAt = new Map<string, fs.FileHandle[]>();
/** Handles opened with O_DSYNC, as the open call asked (not as the adapter says): each write of theirs is durable once it returns. */
const dataSynced = new WeakSet<object>();
/** The handles by descriptor, for the writes made with writeSync on `handle.fd`; a closed handle's fd is -1, so a reused number is never taken for it. */
const byFd = new Map<number, fs.FileHandle>();
const open = fs.open.bind(fs);
fs.open = (async (file: string, ...rest: unknown[]) => {
  const handle = await (open as (...a: unknown[]) => Promise<fs.FileHandle>)(file, ...rest);
  paths.set(handle, path.resolve(String(file)));
  openAt.set(path.resolve(String(file)), [...(openAt.get(path.resolve(String(file))) ?? []), handle]);
  byFd.set(handle.fd, handle);
  if (typeof rest[0] === 'number' && (rest[0] & constants.O_DSYNC) !== 0) dataSynced.add(handle);
  if (logFd !== undefined) record('open', path.resolve(String(file)), (await handle.stat()).size);
  return handle;
}) as typeof fs.open;

const rename = fs.rename.bind(fs);
fs.rename = async (from, to) => {
  const kept = logFd === undefined ? '-' : await backup(String(to), 'link');
  die('before-rename');
  await rename(from, to);
  record('rename', path.resolve(String(from)), path.resolve(String(to)), kept);
  // A handle opened on the temp file writes to the renamed file from then on (a journal's fresh copy is appended to).
  const moved = openAt.get(path.resolve(String(from))) ?? [];
  openAt.delete(path.resolve(String(from)));
  openAt.set(path.resolve(String(to)), moved);
  for (const handle of moved) paths.set(handle, path.resolve(String(to)));
  die('after-rename');
};

const probe = await open(process.execPath, 'r');
const FileHandle = Object.getPrototypeOf(probe) as Record<string, (...args: unknown[]) => Promise<unknown>>;
await probe.close();

const wrap = (name: string, around: (this: fs.FileHandle, original: (...args: unknown[]) => Promise<unknown>, args: unknown[]) => Promise<unknown>): void => {
  const original = FileHandle[name]!;
  FileHandle[name] = function (this: fs.FileHandle, ...args: unknown[]) {
    return around.call(this, (...a) => original.apply(this, a), args);
  };
};
const fileOf = (handle: fs.FileHandle): string => paths.get(handle) ?? '?';

for (const name of ['sync', 'datasync']) {
  wrap(name, async function (original, args) {
    const result = await original(...args);
    const stat = await this.stat();
    record('sync', fileOf(this), stat.isDirectory() ? 'dir' : stat.size);
    return result;
  });
}
wrap('truncate', async function (original, args) {
  const kept = logFd === undefined ? '-' : await backup(fileOf(this), 'copy');
  const result = await original(...args);
  record('truncate', fileOf(this), Number(args[0] ?? 0), kept);
  die('after-truncate');
  return result;
});
// The journal is appended to with `write` on an O_DSYNC handle (or writeSync on its descriptor),
// snapshots are written with `writeFile`.
const write = FileHandle.write!;
for (const name of ['write', 'appendFile', 'writeFile']) {
  wrap(name, async function (original, args) {
    const data = typeof args[0] === 'string' ? Buffer.from(args[0]) : (args[0] as Uint8Array);
    const torn: KillPoint = name === 'writeFile' ? 'temp-torn' : 'append-torn';
    if (hit(torn)) {
      // write(buffer, offset, length, position): the journal's appends are written at a position, into its room
      const [offset, length, position] = typeof args[0] === 'string' ? [0, data.length, null] : positional(args.slice(1), data.length);
      if (position !== null) record('torn', fileOf(this), position, length >> 1);
      await write.call(this, data, offset, length >> 1, position);
      process.kill(process.pid, 'SIGKILL');
    }
    const result = await original(...args);
    const { size } = await this.stat();
    const [, length, position] = typeof args[0] === 'string' ? [0, 0, null] : positional(args.slice(1), data.length);
    record('write', fileOf(this), size, ...(position === null ? [] : [position, length]));
    if (dataSynced.has(this)) record('sync', fileOf(this), size);
    return result;
  });
}

// A small append is a writeSync on the journal's descriptor (src/adapters/journal-append.ts): the
// adapter's named import sees this wrapper once the built-in module's exports are synced.
const nodeFs = createRequire(import.meta.url)('node:fs') as { writeSync: (fd: number, data: Uint8Array, ...rest: unknown[]) => number };
const writeSyncAsIs = nodeFs.writeSync;
nodeFs.writeSync = (fd, data, ...rest) => {
  const handle = byFd.get(fd);
  if (handle?.fd !== fd || typeof data === 'string') return writeSyncAsIs(fd, data, ...rest);
  if (hit('append-torn')) {
    const [offset, length, position] = positional(rest, data.length);
    if (position !== null) record('torn', fileOf(handle), position, length >> 1);
    writeSyncAsIs(fd, data, offset, length >> 1, position);
    process.kill(process.pid, 'SIGKILL');
  }
  const written = writeSyncAsIs(fd, data, ...rest);
  const { size } = fstatSync(fd);
  const [, , position] = positional(rest, data.length);
  record('write', fileOf(handle), size, ...(position === null ? [] : [position, written]));
  if (dataSynced.has(handle)) record('sync', fileOf(handle), size);
  return written;
};
syncBuiltinESMExports();
