// Imported first by a torture child, before the library: counts the steps of taking a lock — every
// file system call on a file whose name holds "lock" (lock files, a take-over guard) or is a temp
// file ("~tmp-", ".tmp-": a lock is written privately, then linked into place), every listing of a
// folder, every read of /proc (is the owner alive?), and every call on a handle opened on such a
// file — and, when asked to pause at step k, stops the
// whole process (SIGSTOP to itself) just before the k-th, after saying "paused <k> <call> <file>".
// The parent resumes it with SIGCONT. No strace, no timing: the pause falls exactly between two
// steps, whatever the lock code's implementation, as long as it goes through node:fs.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

let pauseAt = 0;
let counting = false;
let steps = 0;

/**
 * Counts steps while `run` is under way (the open), from zero, stopping before step `pause`
 * (0: never); returns run's result.
 */
export async function countLockSteps<T>(pause: number, run: () => Promise<T>): Promise<T> {
  pauseAt = pause;
  steps = 0;
  counting = true;
  try {
    return await run();
  } finally {
    counting = false;
  }
}
export const lockSteps = (): number => steps;

function step(call: string, file: string): void {
  if (!counting) return;
  steps++;
  if (steps === pauseAt) {
    process.stdout.write(`paused ${steps} ${call} ${file}\n`); // a pipe: written before kill() returns
    process.kill(process.pid, 'SIGSTOP');
  }
}

const isLockPath = (value: unknown): boolean => {
  if (!(typeof value === 'string' || value instanceof URL || Buffer.isBuffer(value))) return false;
  const file = String(value);
  const name = file.slice(file.lastIndexOf('/') + 1);
  return name.includes('lock') || /[~.]tmp-/.test(name) || file.startsWith('/proc/');
};
const LISTINGS = new Set(['readdir', 'readdirSync', 'opendir', 'opendirSync']);
const lockHandles = new WeakSet<object>();
const lockFds = new Set<number>();

type AnyFunction = (...args: unknown[]) => unknown;
const PATH_CALLS = [
  'open',
  'readFile',
  'writeFile',
  'appendFile',
  'rm',
  'unlink',
  'link',
  'rename',
  'stat',
  'lstat',
  'utimes',
  'truncate',
  'access',
  'copyFile',
  'symlink',
  'readlink',
  'mkdir',
  'rmdir',
  'chmod',
  'readdir',
  'opendir',
];

const promises = fs.promises as unknown as Record<string, AnyFunction>;
for (const name of PATH_CALLS) {
  const original = promises[name];
  if (typeof original !== 'function') continue;
  promises[name] = async function (this: unknown, ...args: unknown[]) {
    const file = isLockPath(args[0]) || LISTINGS.has(name) ? args[0] : isLockPath(args[1]) ? args[1] : undefined;
    if (file !== undefined) step(name, String(file));
    const result = await original.apply(this, args);
    if (name === 'open' && file !== undefined && result) lockHandles.add(result);
    return result;
  };
}
const sync = fs as unknown as Record<string, AnyFunction>;
for (const name of PATH_CALLS.flatMap((n) => [`${n}Sync`, n])) {
  const original = sync[name];
  if (typeof original !== 'function') continue;
  sync[name] = function (this: unknown, ...args: unknown[]) {
    const file = isLockPath(args[0]) || LISTINGS.has(name) ? args[0] : isLockPath(args[1]) ? args[1] : undefined;
    if (file !== undefined) step(name, String(file));
    const result = original.apply(this, args);
    if (name === 'openSync' && file !== undefined && typeof result === 'number') lockFds.add(result);
    return result;
  };
}
for (const name of ['writeSync', 'fsyncSync', 'fdatasyncSync', 'fstatSync', 'closeSync', 'readSync', 'ftruncateSync', 'futimesSync', 'flockSync']) {
  const original = sync[name];
  if (typeof original !== 'function') continue;
  sync[name] = function (this: unknown, ...args: unknown[]) {
    if (typeof args[0] === 'number' && lockFds.has(args[0])) {
      step(name, `fd ${args[0]}`);
      if (name === 'closeSync') lockFds.delete(args[0]);
    }
    return original.apply(this, args);
  };
}
syncBuiltinESMExports(); // named imports of node:fs and node:fs/promises see the wrappers too

// Calls on a FileHandle opened on a lock path.
const probe = await fs.promises.open(process.execPath, 'r');
const FileHandle = Object.getPrototypeOf(probe) as Record<string, AnyFunction>;
await probe.close();
for (const name of ['writeFile', 'appendFile', 'write', 'read', 'readFile', 'sync', 'datasync', 'stat', 'truncate', 'utimes', 'close']) {
  const original = FileHandle[name];
  if (typeof original !== 'function') continue;
  FileHandle[name] = function (this: object, ...args: unknown[]) {
    if (lockHandles.has(this)) step(`handle.${name}`, 'lock handle');
    return original.apply(this, args);
  };
}
