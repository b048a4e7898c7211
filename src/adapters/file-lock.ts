import { randomUUID } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { StoreLockedError } from '../errors.js';

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  readonly token: string;
}

/** Lock files this process holds: a second store on the same key here is refused too. */
const heldHere = new Set<string>();

/**
 * Takes the lock file at `lockPath` for `key`, or throws `StoreLockedError` naming the owner.
 * A lock left by a dead process on this host (SIGKILL, crash, container restart that reused
 * our pid) is stale and taken over; a lock from another host cannot be checked and is refused.
 * Resolves to the release function.
 */
export async function acquireFileLock(lockPath: string, key: string): Promise<() => Promise<void>> {
  if (heldHere.has(lockPath)) throw new StoreLockedError(key, `in this process (lock file ${lockPath}).`);
  heldHere.add(lockPath);
  try {
    const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomUUID() };
    // Rounds (of 5–25 ms while another takes over): enough to outlast a stale takeover guard.
    for (let round = 0; round < 400; round++) {
      if (await tryCreate(lockPath, me)) return () => release(lockPath, me.token);
      const owner = await readOwner(lockPath);
      if (owner === undefined) continue; // released meanwhile
      if (isLive(owner)) throw new StoreLockedError(key, describeOwner(owner, lockPath));
      await removeIfStill(lockPath, owner);
    }
    throw new StoreLockedError(key, `by another process racing for it (lock file ${lockPath}).`);
  } catch (error) {
    heldHere.delete(lockPath);
    throw error;
  }
}

/** Creates the lock whole or not at all: write a private file, then hard-link it into place. */
async function tryCreate(lockPath: string, me: LockOwner): Promise<boolean> {
  const tmp = `${lockPath}.${me.token}`;
  await fs.writeFile(tmp, JSON.stringify(me));
  try {
    await fs.link(tmp, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await fs.readFile(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string' && typeof owner.token === 'string') {
      return { pid: owner.pid, host: owner.host, since: String(owner.since), token: owner.token };
    }
  } catch {
    // fall through: not a lock we wrote, so nobody can be holding it
  }
  return { pid: -1, host: hostname(), since: 'unknown', token: text };
}

function isLive(owner: LockOwner): boolean {
  return owner.host !== hostname() || isRunning(owner.pid); // cannot check another machine's processes
}

function isRunning(pid: number): boolean {
  if (pid === process.pid || pid <= 0) return false; // ours would be in heldHere
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, but someone else's
  }
  return !isZombie(pid);
}

/**
 * A killed process whose parent died too stays a zombie until PID 1 reaps it, and in a
 * container PID 1 often never does: signal 0 still reaches it, but it holds nothing.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false; // no /proc (not Linux), or gone this instant: signal 0 is all we know
  }
}

/**
 * Removes a dead process's lock, unless it was replaced meanwhile. Takers of stale locks go one at
 * a time, through `<lock>.takeover` (created exclusively): moving the lock aside to look at it, as
 * this once did, could move a racing process's fresh lock, and a third could then take the key
 * while it was away — two holders (found by the torture suite).
 */
async function removeIfStill(lockPath: string, stale: LockOwner): Promise<void> {
  const guard = `${lockPath}.takeover`;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(guard, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Someone else is taking over; its guard lives for a moment, unless it died inside it.
    const owner = Number(await fs.readFile(guard, 'utf8').catch(() => ''));
    const age = Date.now() - (await fs.stat(guard).then((s) => s.mtimeMs, () => Date.now()));
    // A guard older than 5 s is stale whatever it says (its pid may be torn, or reused).
    if (age > 5_000 || (age > 1_000 && !isRunning(owner))) await fs.rm(guard, { force: true });
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    return;
  }
  try {
    await handle.writeFile(String(process.pid));
    // Under the guard no one else removes the lock: if it still is the stale one, it stays so until removed.
    if ((await readOwner(lockPath))?.token === stale.token) await fs.rm(lockPath, { force: true });
  } finally {
    await handle.close();
    await fs.rm(guard, { force: true });
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  try {
    const owner = await readOwner(lockPath);
    if (owner?.token === token) await fs.rm(lockPath, { force: true });
  } finally {
    heldHere.delete(lockPath);
  }
}

function describeOwner(owner: LockOwner, lockPath: string): string {
  return `by process ${owner.pid} on host ${owner.host} since ${owner.since} (lock file ${lockPath}). ` +
    'Close that store first; if that process is gone for good, delete the lock file.';
}
