import { constants, promises as fs, readdirSync, readFileSync, readlinkSync, readSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { LockLostError, StoreLockedError, storageErrorFrom } from '../errors.js';
import { CLOCK_TICKS_PER_SECOND, parseProcStat, type ProcStat } from '../system/proc-stat.js';
import { auxiliaryFile, keepOpen, openRegularFile, tempFileOf, unlinkIfSame, whatIsAt, type OpenFile } from './durable-file.js';

/** A key's lock, held by this process. */
export interface FileLock {
  /** The lock file held now (it moves when the lock is taken again after its folder was purged). */
  readonly file: string;
  /**
   * Cheap (one lstat) while the lock file is still ours. When it vanished (a purged or deleted
   * folder) the lock is taken again by the normal procedure; throws `LockLostError` when another
   * live process holds the key by then.
   */
  verify(): Promise<void>;
  /**
   * True while the lock file is still ours: `verify` without its promise, for the append path.
   * `named`: no name in its folder changed since it was last found ours (see folder-stamp.ts), so its path is not looked at.
   */
  intact(named?: boolean): boolean;
  /** Removes the lock file (only if it still is ours). */
  release(): Promise<void>;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  readonly token: string;
  /** Start time of the process (field 22 of /proc/<pid>/stat): tells the owner from a later process given its pid. */
  readonly start?: string;
  /** The owner's PID namespace (`pid:[4026531836]`): its pid means nothing in another one. */
  readonly pidns?: string;
  /** The kernel's boot id: a lock of an earlier boot is dead, whatever its pid. */
  readonly boot?: string;
}

/** A lock file as found: its owner (undefined when it is not a lock we wrote). */
interface FoundLock {
  readonly file: string;
  readonly owner: LockOwner | undefined;
}

/** A lock file kept open: while it is, no other file can take its inode number, so identity checks stay sound. */
interface OpenLock extends FoundLock {
  readonly open: OpenFile;
}

/** Bound on acquisition rounds lost to racers (each round is a few system calls). */
const MAX_ROUNDS = 50;

/** Keys held by this process, by the identity of the real folder: another path to it is the same key. */
const heldHere = new Set<string>();
/** Tokens of the locks this process holds: a lock file with our pid is live only if it has one of these. */
const heldTokens = new Set<string>();

/**
 * Test-only: with `RX_PERSISTENT_STORE_LOCK_PAUSE=1`, each step of taking a lock prints
 * `lock-step <name>` and waits for a line on stdin, so that a test can freeze the process there.
 */
const pause: (step: string) => void =
  process.env.RX_PERSISTENT_STORE_LOCK_PAUSE === '1'
    ? (step) => {
        writeSync(1, `lock-step ${step}\n`);
        const byte = Buffer.alloc(1);
        while (readSync(0, byte, 0, 1, null) === 1 && byte[0] !== 0x0a);
      }
    : () => undefined;

/**
 * Takes `key`'s lock in `folder`, or throws `StoreLockedError` naming the process that holds it.
 *
 * Fencing, not timing: lock files are `<KEY>.json~lock.<generation>`, each created whole (a private
 * file hard-linked into place, so two takers of the same generation cannot both succeed). A taker
 * reads the key's lock files; if an owner is alive the key is refused, otherwise it creates the
 * generation after the highest and then lists the folder again: any other live lock file found then (a racer's, or one
 * created while this process was frozen) makes it withdraw its own and retry. So a process holds
 * the key only if, after its lock file existed, no other live owner's did — two holders cannot
 * both pass that check. A dead owner's file is never removed to take over; the new holder removes
 * the dead ones afterwards. An owner is alive when it is on this host and this boot, its pid runs,
 * is not a zombie, and (where /proc exists) started at the recorded time: a reused pid is not the
 * owner. Our own pid and start time with a token not held here is another worker thread: live. An
 * owner in another PID namespace (a container) is looked for in /proc by namespace and start time.
 * When /proc hides the pid (hidepid) but signal 0 reaches it, it is live. No age or clock is ever consulted.
 *
 * @example
 * const lock = await acquireFileLock('/storage/key_value_stores/default', 'CRAWL_STATE');
 * await lock.verify(); // before trusting the files again
 * await lock.release();
 */
export async function acquireFileLock(folder: string, key: string): Promise<FileLock> {
  const base = path.join(folder, `${key}.json`);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    token: crypto.randomUUID(), // Web Crypto's, loaded at its first use (see tempFileOf)
    start: ownStart(),
    pidns: ownPidns,
    boot: ownBoot,
  };
  let slot = await slotOf(folder, key);
  if (heldHere.has(slot)) throw new StoreLockedError(key, `in this process (folder ${folder}, perhaps through another path to it).`);
  heldHere.add(slot);
  heldTokens.add(me.token);
  let held: OpenLock;
  try {
    held = await take(folder, key, me);
  } catch (error) {
    heldHere.delete(slot);
    heldTokens.delete(me.token);
    throw error;
  }
  let retaking: Promise<void> | undefined;
  let released = false;
  /** Set once another process took the key: every later check fails the same way. */
  let lost: LockLostError | undefined;

  const retake = async (): Promise<void> => {
    try {
      await fs.mkdir(folder, { recursive: true });
      const nextSlot = await slotOf(folder, key);
      const again = await take(folder, key, me);
      await held.open.handle.close().catch(() => undefined);
      held = again;
      heldHere.delete(slot);
      heldHere.add((slot = nextSlot));
    } catch (error) {
      if (!(error instanceof StoreLockedError)) throw storageErrorFrom(error, 'take the lock again', base);
      throw (lost = new LockLostError(
        key,
        `its lock file ${held.file} was removed, and the key is now held ${error.message.replace(/^.*? already open /, '')}`,
      ));
    }
  };

  const intact = (named = false): boolean =>
    released || (lost === undefined && retaking === undefined && (named || whatIsAt(held.file, held.open, 'check the lock file') === 'same'));

  return {
    get file() {
      return held.file;
    },
    intact,
    async verify() {
      if (intact()) return;
      if (lost) throw lost;
      await (retaking ??= retake().finally(() => (retaking = undefined)));
    },
    async release() {
      if (released) return;
      released = true;
      try {
        if (!lost) await unlinkIfSame(held.file, held.open, 'remove the lock file');
      } finally {
        await held.open.handle.close().catch(() => undefined);
        heldHere.delete(slot);
        heldTokens.delete(me.token);
      }
    },
  };
}

/** The in-process key of a lock: the real folder's identity (so a symlinked path is the same folder) and the key. */
async function slotOf(folder: string, key: string): Promise<string> {
  try {
    const stats = await fs.stat(folder);
    return `${stats.dev}:${stats.ino}/${key}`;
  } catch (error) {
    throw storageErrorFrom(error, 'look up the folder of the lock', folder);
  }
}

async function take(folder: string, key: string, me: LockOwner): Promise<OpenLock> {
  const base = path.join(folder, `${key}.json`);
  const missed = { lost: 0, withdrawn: 0, vanished: 0 };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 10)); // let racers finish
    const listed = await listLocks(folder, key);
    pause('listed');
    const legacy = listed.legacy ? await readLock(legacyFile(base)) : undefined;
    if (legacy && isLive(legacy.owner)) throw new StoreLockedError(key, describeOwner(legacy));
    // Every one, not just the highest: a dead racer's file may lie above a live holder's.
    for (const generation of [...listed.generations].reverse()) {
      const found = await readLock(generationFile(base, generation));
      if (found === undefined) missed.vanished++;
      else if (isLive(found.owner)) throw new StoreLockedError(key, describeOwner(found));
    }
    const highest = listed.generations.at(-1);
    pause('judged');
    const generation = (highest ?? 0) + 1;
    const mine = await createWhole(generationFile(base, generation), me);
    if (mine === undefined) {
      missed.lost++;
      continue;
    }
    pause('created');
    if (
      await anotherLiveLock(folder, key, mine).catch(async (error: unknown) => {
        await mine.open.handle.close();
        throw error;
      })
    ) {
      await unlinkIfSame(mine.file, mine.open, 'withdraw the lock file');
      await mine.open.handle.close();
      missed.withdrawn++;
      pause('withdrawn');
      continue;
    }
    pause('held');
    await removeDeadLocks(folder, key, mine);
    return mine;
  }
  throw new StoreLockedError(
    key,
    `by another process racing for it: ${MAX_ROUNDS} attempts failed (${missed.lost} times another process created the same lock file first, ` +
      `${missed.withdrawn} times another live lock file appeared beside ours, ${missed.vanished} times a lock file was removed while being read; lock files ${base}~lock.*).`,
  );
}

const legacyFile = (base: string): string => `${base}.lock`;
const generationFile = (base: string, generation: number): string => auxiliaryFile(base, `lock.${generation}`);

/** The generations of the key's lock files, ascending, and whether a lock file of an older version is there. */
async function listLocks(folder: string, key: string): Promise<{ generations: number[]; legacy: boolean }> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch (error) {
    throw storageErrorFrom(error, 'list the lock files', folder);
  }
  const prefix = path.basename(generationFile(`${key}.json`, 0)).slice(0, -1);
  const generations: number[] = [];
  for (const name of names) {
    if (name.startsWith(prefix) && /^\d{1,15}$/.test(name.slice(prefix.length))) generations.push(Number(name.slice(prefix.length)));
  }
  return { generations: generations.sort((a, b) => a - b), legacy: names.includes(`${key}.json.lock`) };
}

/** The key's lock files other than `mine`, an older version's included, as the folder lists them now. */
async function otherLockFiles(folder: string, key: string, mine: FoundLock): Promise<string[]> {
  const base = path.join(folder, `${key}.json`);
  const listed = await listLocks(folder, key);
  const others = listed.generations.map((generation) => generationFile(base, generation)).filter((file) => file !== mine.file);
  if (listed.legacy) others.push(legacyFile(base));
  return others;
}

/** True when a lock file of the key other than `mine` belongs to a live owner (checked after creating ours). */
async function anotherLiveLock(folder: string, key: string, mine: FoundLock): Promise<boolean> {
  for (const file of await otherLockFiles(folder, key, mine)) {
    const found = await readLock(file);
    if (found && isLive(found.owner)) return true;
  }
  return false;
}

/** The new holder removes the lock files of dead owners (and an older version's dead lock and takeover guard). */
async function removeDeadLocks(folder: string, key: string, mine: FoundLock): Promise<void> {
  for (const file of await otherLockFiles(folder, key, mine)) {
    const found = await openLock(file);
    try {
      if (found && !isLive(found.owner)) await unlinkIfSame(file, found.open, 'remove a dead lock file');
    } finally {
      await found?.open.handle.close();
    }
  }
  await fs.rm(`${legacyFile(path.join(folder, `${key}.json`))}.takeover`, { force: true }).catch(() => undefined);
}

/** Creates `file` whole or not at all: a private file hard-linked into place. Undefined when it exists already. */
async function createWhole(file: string, owner: LockOwner): Promise<OpenLock | undefined> {
  const tmp = tempFileOf(file.slice(0, file.lastIndexOf('~')));
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx');
    await handle.writeFile(JSON.stringify(owner));
    try {
      await fs.link(tmp, file);
    } catch (error) {
      // EEXIST: another taker won this generation. ENOENT: the holder removed our private file as a leftover.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOENT') {
        await handle.close();
        return undefined;
      }
      throw error;
    }
    return { file, owner, open: await keepOpen(handle) };
  } catch (error) {
    await handle?.close();
    throw storageErrorFrom(error, 'create the lock file', file);
  } finally {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
  }
}

/** Reads a lock file without following a symbolic link; undefined when it is gone. */
async function readLock(file: string): Promise<FoundLock | undefined> {
  const found = await openLock(file);
  await found?.open.handle.close();
  return found && { file, owner: found.owner };
}

/** `readLock`, keeping the file open (the caller closes it). */
async function openLock(file: string): Promise<OpenLock | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await openRegularFile(file, constants.O_RDONLY, 'read the lock file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw storageErrorFrom(error, 'read the lock file', file);
  }
  try {
    return { file, owner: parseOwner(await handle.readFile('utf8')), open: await keepOpen(handle) };
  } catch (error) {
    await handle.close();
    throw storageErrorFrom(error, 'read the lock file', file);
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string' && typeof owner.token === 'string') {
      const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
      return {
        pid: owner.pid,
        host: owner.host,
        since: String(owner.since),
        token: owner.token,
        start: text(owner.start),
        pidns: text(owner.pidns),
        boot: text(owner.boot),
      };
    }
  } catch {
    // not a lock we wrote, so nobody can be holding it
  }
  return undefined;
}

function isLive(owner: LockOwner | undefined): boolean {
  if (owner === undefined) return false;
  if (owner.host !== hostname()) return true; // cannot check another machine's processes
  if (owner.boot !== undefined && ownBoot !== undefined && owner.boot !== ownBoot) return false; // the machine restarted since
  if (owner.pidns !== undefined && ownPidns !== undefined && owner.pidns !== ownPidns) return liveInOtherNamespace(owner);
  if (owner.pid === process.pid) {
    if (heldTokens.has(owner.token)) return true; // ours
    // Another worker thread of this process (its held tokens are its own): same pid, same start time.
    // An earlier process given our pid (a restarted container) started at another time, or recorded none.
    return owner.start !== undefined && owner.start === ownStart();
  }
  if (!Number.isSafeInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: alive, but someone else's
  }
  const stat = procStat(owner.pid);
  if (stat === 'no-proc') return true; // signal 0 is all we know
  if (stat === undefined) return signalled(owner.pid); // /proc hides it (hidepid) unless it just exited
  if (stat.ended) return false;
  if (owner.start !== undefined) return owner.start === stat.start;
  return !startedAfter(stat.start, owner.since); // a lock of an older version records when it was taken
}

/** True when signal 0 reaches `pid` (EPERM: it runs, as another user). */
function signalled(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An owner in another PID namespace of this boot (a container): live if a process of that namespace
 * with the recorded start time is in our /proc (a host sees its containers' processes). Not found, it is
 * dead: a container restarted after a crash must get its key back. The one case a lock cannot tell apart:
 * two containers sharing the host name and a volume, neither able to see the other's processes.
 */
function liveInOtherNamespace(owner: LockOwner): boolean {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return true; // nothing to look in: assume the owner runs
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== owner.pidns) continue;
    } catch {
      continue; // gone, or not ours to inspect
    }
    const stat = procStat(Number(name));
    if (typeof stat === 'object' && !stat.ended && (owner.start === undefined || stat.start === owner.start)) return true;
  }
  return false;
}

/**
 * State and start time of `pid` from /proc; `'no-proc'` where there is no /proc; undefined when the
 * process is gone. An ended one (a killed process whose parent never reaps it, as under a
 * container's PID 1) holds nothing.
 */
function procStat(pid: number | 'self'): ProcStat | 'no-proc' | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return hasProc ? undefined : 'no-proc';
  }
  return parseProcStat(text);
}

const hasProc = ((): boolean => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

/** This process's PID namespace and the boot id, recorded in its locks (undefined where Linux has none). */
const ownPidns = ((): string | undefined => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
})();
const ownBoot = ((): string | undefined => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
})();

function ownStart(): string | undefined {
  const stat = procStat('self');
  return typeof stat === 'object' ? stat.start : undefined;
}

/** True when a process that started `start` clock ticks after boot started after the ISO time `since` (its pid was reused). */
function startedAfter(start: string, since: string): boolean {
  const taken = Date.parse(since);
  if (!Number.isFinite(taken)) return false;
  try {
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    const startedMs = bootSeconds * 1000 + (Number(start) * 1000) / CLOCK_TICKS_PER_SECOND;
    return Number.isFinite(startedMs) && startedMs > taken + 1_000;
  } catch {
    return false;
  }
}

function describeOwner(found: FoundLock): string {
  const owner = found.owner!;
  const where = owner.pidns !== undefined && ownPidns !== undefined && owner.pidns !== ownPidns ? ` (in another PID namespace, ${owner.pidns})` : '';
  if (owner.pid === process.pid && where === '' && owner.host === hostname()) {
    return `in another thread of this process (pid ${owner.pid}, a worker thread) since ${owner.since} (lock file ${found.file}). Close the store there first.`;
  }
  return (
    `by process ${owner.pid}${where} on host ${owner.host} since ${owner.since} (lock file ${found.file}). ` +
    'Close that store first; if that process is gone for good, delete the lock file.'
  );
}
