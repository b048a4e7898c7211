import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { buildChildren } from '../children/build.js';
import { follow, killNow, linesOf, sleep, type Lines } from '../children/lines.js';
import { spawnChild } from '../children/spawn-child.js';
import { mustBeZero, random, type Figure, type Scenario } from '../scenario.js';

const run = promisify(execFile);
const KEY = 'FULL';
type Kind =
  | 'disk fills while writing, filler deleted'
  | 'disk fills while writing, SIGKILL while full'
  | 'disk full at open, filler deleted'
  | 'read-only at open (remount,ro), remounted rw';

/** Fills `mnt` with a filler file until `room` bytes are left (as near as the file system allows). */
async function fill(mnt: string, filler: string, room: number): Promise<void> {
  const { bavail, bsize } = await fs.statfs(mnt);
  const size = Math.max(0, bavail * bsize - room);
  const handle = await fs.open(filler, 'w');
  try {
    const block = Buffer.alloc(64 * 1024, 0x66);
    for (let written = 0; written < size; written += block.length) {
      await handle.write(block, 0, Math.min(block.length, size - written)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOSPC') throw error;
        written = size; // full: as far as it goes
      });
    }
  } finally {
    await handle.close();
  }
}

/**
 * Disk full and read-only, on a real small tmpfs mounted for the scenario (as root; where mounting is
 * refused the scenario says so in a failing figure rather than pretend). A child updates key FULL,
 * flushing each update and acknowledging it; a filler file leaves it a seeded amount of room, so the
 * disk fills while it writes (or is full, or mounted read-only, when it opens); then the parent frees
 * space (deletes the filler) or remounts rw, and the child's flushes must succeed again — or it is
 * SIGKILLed while the disk is full. A fresh process then reopens the key. Every error the child sees
 * must be typed (StorageFullError / StorageAccessError, or a FlushError caused by one), every
 * acknowledged update must be in storage, and none may have been acknowledged while not durable
 * (acknowledged while the disk was full, yet missing after a SIGKILL). Unmounted at the end, always.
 */
function diskFull({ rounds = 16, sizeMiB = 4, after = 5 } = {}): Scenario {
  return {
    name: `Disk full and read-only: ${rounds} rounds on a real ${sizeMiB} MiB tmpfs (filled by a filler file, or remounted read-only) under a flushing writer (file adapter)`,
    async run({ dir, log, seed }) {
      const mnt = path.join(dir, 'mnt');
      await fs.mkdir(mnt);
      try {
        await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', mnt]);
      } catch (error) {
        const why = String((error as { stderr?: string }).stderr || (error as Error).message)
          .trim()
          .split('\n')[0];
        log(`SKIPPED: cannot mount a tmpfs (${why}); run as root for this scenario`);
        return [{ name: 'tmpfs mounted for the scenario', value: `refused: ${why}`, must: 'mounted (needs root)', ok: false }];
      }
      const { 'ack-child': child } = await buildChildren(['ack-child']);
      const next = random(seed ^ 0xd15c);
      const running = new Set<Lines>();
      const filler = path.join(mnt, 'filler');
      const byKind = new Map<Kind, number>();
      const errorKinds = new Map<string, number>();
      let untyped = 0;
      let lost = 0;
      let lostWhileFull = 0;
      let corrupt = 0;
      let refused = 0;
      let stuck = 0;
      let neverFull = 0;
      let acks = 0;
      let acksWhileFull = 0;
      let readOnly = false;

      const countError = (line: string, round: number): void => {
        const [word, typed, kind] = line.split(' ');
        if (typed === 'untyped') {
          untyped++;
          if (untyped <= 3) log(`round ${round}: untyped error: ${line.slice(0, 300)}`);
        }
        errorKinds.set(`${word} ${typed} ${kind}`, (errorKinds.get(`${word} ${typed} ${kind}`) ?? 0) + 1);
      };
      const start = (folder: string, round: number, mode: 'run' | 'check') => {
        const lines = linesOf(
          spawnChild(child!, [folder, KEY], {
            TORTURE_MODE: mode,
            TORTURE_FLUSH_TIMEOUT_MS: '2000',
            TORTURE_OPEN_RETRY_MS: mode === 'run' ? '30000' : '0',
            TORTURE_PAYLOAD: '2000',
            TORTURE_RING: '200',
          }),
        );
        running.add(lines);
        void lines.closed.then(() => running.delete(lines));
        const seen = { first: undefined as string | undefined, errors: 0, maxAck: 0, acks: 0, fullAck: 0 };
        const followed = follow(lines, (line) => {
          if (seen.first === undefined && /^(ready|corrupt) /.test(line)) seen.first = line;
          if (line.startsWith('durable ')) {
            const n = Number(line.split(' ')[1]);
            seen.acks++;
            acks++;
            seen.maxAck = Math.max(seen.maxAck, n);
            if (seen.errors > 0 && full) {
              acksWhileFull++;
              seen.fullAck = Math.max(seen.fullAck, n);
            }
          } else if (/^(write|flush|close|open)-error /.test(line)) {
            seen.errors++;
            countError(line, round);
          }
        });
        return { lines, followed, seen };
      };
      /** Reopens in a fresh process: what it restored against what was acknowledged. */
      const check = async (folder: string, round: number, acked: number, ackedWhileFull: number): Promise<void> => {
        const c = start(folder, round, 'check');
        await c.followed.until(() => c.seen.first !== undefined, 30_000);
        await killNow(c.lines).then(() => c.followed.done);
        const [word, n, ...why] = (c.seen.first ?? 'none').split(' ');
        if (word === 'corrupt') {
          corrupt++;
          log(`round ${round}: refused as corrupt: ${c.seen.first!.slice(0, 300)}`);
        } else if (word !== 'ready') {
          refused++;
          log(`round ${round}: the key did not open: ${c.lines.stderr().slice(-300)}`);
        } else {
          if (why.join(' ') !== 'ok') log(`round ${round}: not a state the writer had: ${why.join(' ')}`);
          if (Number(n) < acked) {
            lost += acked - Number(n);
            log(`round ${round}: update ${acked} was acknowledged, storage holds ${n}`);
          }
          if (Number(n) < ackedWhileFull) lostWhileFull += ackedWhileFull - Number(n);
        }
      };
      let full = false;
      const kinds: Kind[] = [
        'disk fills while writing, filler deleted',
        'disk fills while writing, SIGKILL while full',
        'disk full at open, filler deleted',
        'read-only at open (remount,ro), remounted rw',
      ];
      try {
        for (let round = 1; round <= rounds; round++) {
          const kind = kinds[(round - 1) % kinds.length]!;
          byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
          const folder = path.join(mnt, `store-${round}`);
          let acked = 0;
          if (kind.endsWith('at open, filler deleted') || kind.startsWith('read-only')) {
            // A store with something in it, closed: then the disk is full, or read-only, when it opens again.
            const seedRun = start(folder, round, 'check');
            await seedRun.followed.done;
            acked = seedRun.seen.maxAck;
            if (kind.startsWith('read-only')) {
              await run('mount', ['-o', 'remount,ro', mnt]);
              readOnly = true;
            } else await fill(mnt, filler, 0);
            full = true;
          } else {
            // Less room than a bounded store needs at its peak (snapshot, journal at its 1 MiB bound, the
            // compaction's temp snapshot: about 1.8 MiB here), so the disk fills; near the top of the range
            // it is the compaction that fails while small appends still fit.
            await fill(mnt, filler, Math.floor(64 * 1024 + next() * 1.6 * 1024 * 1024));
          }
          const writer = start(folder, round, 'run');
          // The disk fills (or was full): the first error, whatever it is.
          if (!(await writer.followed.until(() => writer.seen.errors > 0 || writer.lines.child.exitCode !== null, 30_000))) {
            neverFull++;
            log(`round ${round} (${kind}): no error in 30 s (${writer.seen.acks} acknowledgements)`);
          }
          full = true;
          if (kind === 'disk fills while writing, SIGKILL while full') {
            await sleep(next() * 300);
            await killNow(writer.lines);
            await writer.followed.done;
            full = false;
            await fs.rm(filler, { force: true });
          } else {
            // Some failed attempts, then the space comes back.
            const errors = writer.seen.errors + Math.floor(next() * 3);
            await writer.followed.until(() => writer.seen.errors >= errors, 5_000);
            const ackedBefore = writer.seen.acks;
            full = false;
            if (readOnly) {
              await run('mount', ['-o', 'remount,rw', mnt]);
              readOnly = false;
            } else await fs.rm(filler, { force: true });
            if (!(await writer.followed.until(() => writer.seen.acks >= ackedBefore + after, 20_000))) {
              stuck++;
              log(`round ${round} (${kind}): ${writer.seen.acks - ackedBefore} acknowledgements in 20 s after the space came back, expected ${after}`);
            }
            if (next() < 0.5) {
              process.kill(writer.lines.child.pid!, 'SIGTERM');
              await writer.followed.until(() => writer.lines.child.exitCode !== null, 20_000);
            }
            await killNow(writer.lines);
            await writer.followed.done;
          }
          await check(folder, round, Math.max(acked, writer.seen.maxAck), writer.seen.fullAck);
          await fs.rm(folder, { recursive: true, force: true });
          if (round % 4 === 0)
            log(`${round} rounds: ${acks} acknowledgements (${acksWhileFull} while full), lost ${lost}, corrupt ${corrupt}, untyped errors ${untyped}`);
        }
      } finally {
        await Promise.all([...running].map((lines) => killNow(lines)));
        await unmount(mnt, log);
      }
      return [
        { name: 'rounds', value: rounds },
        ...[...byKind].map(([kind, count]): Figure => ({ name: `  ${kind}`, value: count })),
        { name: 'updates acknowledged (flush resolved)', value: `${acks.toLocaleString('en')} (${acksWhileFull} after an error, before the space came back)` },
        mustBeZero('acknowledged updates lost', lost),
        mustBeZero('corrupt restores', corrupt),
        mustBeZero('errors other than typed (StorageFullError / StorageAccessError, or FlushError caused by one)', untyped),
        mustBeZero('flushes that resolved while not durable (acknowledged while full, gone after a SIGKILL)', lostWhileFull),
        mustBeZero('reopens refused once the space was back', refused),
        mustBeZero(`rounds where the writer did not acknowledge ${after} updates within 20 s of the space coming back`, stuck),
        { name: 'rounds where no error came (the disk never filled)', value: neverFull },
        ...[...errorKinds].sort().map(([kind, count]): Figure => ({ name: `  reported: ${kind}`, value: count })),
      ];
    },
  };
}

/** Unmounts the scenario's tmpfs; lazily if something still holds it (then says so). */
async function unmount(mnt: string, log: (line: string) => void): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await run('umount', [mnt]);
      return;
    } catch {
      await sleep(100);
    }
  }
  log(`${mnt} still busy after 2 s: unmounted lazily`);
  await run('umount', ['-l', mnt]).catch((error: Error) => log(`umount -l ${mnt}: ${error.message}`));
}

export default diskFull({ rounds: Number(process.env.TORTURE_FULL_ROUNDS ?? 16) });
