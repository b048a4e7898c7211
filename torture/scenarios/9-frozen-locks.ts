import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { CorruptStateError, createPersistentStore, fileAdapter, StoreLockedError } from '../../src/index.js';
import { buildChildren } from '../children/build.js';
import { follow, killNow, linesOf, sleep, type Lines } from '../children/lines.js';
import { spawnChild } from '../children/spawn-child.js';
import { mustBeZero, random, type Figure, type Scenario } from '../scenario.js';

const KEY = 'FROZEN';
type Kind = 'frozen taker' | 'frozen holder' | 'pid reused';

/** One process of a round, and what its lines said. */
interface Proc {
  readonly name: string;
  readonly lines: Lines;
  readonly followed: ReturnType<typeof follow>;
  armed: boolean;
  /** Ready for another round: refused, or closed after holding. */
  idle: boolean;
  answer?: string;
  paused?: string;
  /** Its time as a holder, by the times its lines carry: from "holding" to "closed", "lost" or its kill. */
  heldFrom?: number;
  heldUntil?: number;
  acks: Array<{ n: number; t: number }>;
}

const isStopped = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  } catch {
    return false;
  }
};

/** Whether `pid` is stopped within a second (it says "paused" just before it stops itself). */
async function stoppedSoon(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && !isStopped(pid); i++) await sleep(5);
  return isStopped(pid);
}

/**
 * Frozen lock holders and takers, on the file adapter's lock. In each round of a lane (its own key)
 * a process takes the key and makes updates durable, then:
 * - frozen taker: it is SIGKILLed holding the lock; a taker opens the key alone and stops itself
 *   (SIGSTOP) just before step k of taking the dead holder's lock over — k runs over every step, a
 *   step being one file system call on the lock's files (children/lock-steps.ts), counted in an
 *   unpaused take-over first; two more takers race for the key meanwhile; the frozen one is resumed
 *   (SIGCONT) once frozen longer than any timeout of the lock code;
 * - frozen holder: it is SIGSTOPped at a random moment of its writes, three takers race for the
 *   key, and it is resumed as long after;
 * - pid reused: it is SIGKILLed holding the lock, and its lock file is made to name the pid of an
 *   unrelated live process (`sleep`) on this host, as when the pid is reused; three takers race.
 * Whoever holds the key writes until the round ends, each flushed update acknowledged with its time.
 * Two holders at once is an update acknowledged by one while another held the key (by the times
 * the processes printed), or journal records whose sequence numbers go back. Then everyone is closed
 * or killed and the key reopened: it must open (no refusal with no live holder, no corrupt journal)
 * with every acknowledged update.
 */
function frozenLocks({ lanes = 8, roundsPerLane = 4, freezeMs = 6_000 } = {}): Scenario {
  return {
    name: `Frozen locks: ${lanes} × ${roundsPerLane} rounds of lock take-overs with a taker or holder SIGSTOPped ${freezeMs / 1000} s at each step, or a dead holder's pid reused (file adapter)`,
    async run({ dir, log, seed }) {
      const { 'frozen-lock-child': childFile } = await buildChildren(['frozen-lock-child']);
      const next = random(seed ^ 0xf203);
      const running = new Set<Lines>();
      const sleepers = new Set<ChildProcess>();
      const byKind = new Map<Kind, number>();
      const stepsHit = new Map<string, number>();
      let doubleRounds = 0;
      let interleaved = 0;
      let corrupt = 0;
      let refusedNoHolder = 0;
      let lost = 0;
      let crashed = 0;
      let lostLocks = 0;
      let notFrozen = 0;

      const start = (folder: string, name: string, pauseFile?: string): Proc => {
        const lines = linesOf(spawnChild(childFile!, [folder, KEY], pauseFile ? { TORTURE_PAUSE_FILE: pauseFile } : {}));
        running.add(lines);
        void lines.closed.then(() => running.delete(lines));
        const proc: Proc = {
          name,
          lines,
          armed: false,
          idle: false,
          acks: [],
          followed: follow(lines, (line) => {
            const [word, a, b, c] = line.split(' ');
            proc.idle = word === 'armed' || word === 'refused' || word === 'closed';
            if (word === 'armed') proc.armed = true;
            else if (word === 'paused') proc.paused = line;
            else if (word === 'holding') {
              proc.answer = line;
              proc.heldFrom = Number(c);
            } else if (word === 'refused' || word === 'error') {
              if (proc.answer === undefined) proc.answer = line;
              else if (!line.startsWith('error close')) log(`${name} ${lines.child.pid}: ${line.slice(0, 200)}`);
            } else if (word === 'durable') proc.acks.push({ n: Number(a), t: Number(b) });
            else if (word === 'closed') proc.heldUntil = Number(b);
            else if (word === 'lost') {
              proc.heldUntil = Number(a);
              lostLocks++;
              log(`${name} ${lines.child.pid}: ${line.slice(0, 200)}`);
            }
          }),
        };
        return proc;
      };
      const armed = (p: Proc): Promise<boolean> => p.followed.until(() => p.armed, 30_000);
      const answered = (p: Proc, ms = 30_000): Promise<boolean> => p.followed.until(() => p.answer !== undefined || p.paused !== undefined, ms);
      const holds = (p: Proc): boolean => p.heldFrom !== undefined && p.heldUntil === undefined;
      const alive = (p: Proc | undefined): p is Proc => p !== undefined && p.lines.child.exitCode === null && p.lines.child.signalCode === null;
      /** Forgets what a reused process said in earlier rounds. */
      const newRound = (p: Proc): void => {
        p.answer = p.paused = p.heldFrom = p.heldUntil = undefined;
        p.acks = [];
      };
      const kill = async (p: Proc): Promise<void> => {
        await killNow(p.lines); // all its output read: no line of it can come after this
        await p.followed.done;
        if (p.heldFrom !== undefined && p.heldUntil === undefined) p.heldUntil = Date.now();
      };

      /**
       * One round in `folder`, with the lane's three takers (reused from round to round, started once:
       * a loaded machine starts processes slowly); `acked` is the highest update acknowledged there so far.
       */
      async function round(
        folder: string,
        label: string,
        kind: Kind,
        pauseAt: number,
        acked: number,
        first: Proc,
        takers: readonly Proc[],
        pauseFiles: readonly string[],
      ): Promise<number> {
        const procs: Proc[] = [];
        let sleeper: ChildProcess | undefined;
        try {
          await Promise.all(pauseFiles.map((file, i) => fs.writeFile(file, String(i === 0 && kind === 'frozen taker' ? pauseAt : 0))));
          takers.forEach(newRound);
          procs.push(first, ...takers);
          if (!(await Promise.all(procs.map(armed))).every(Boolean)) throw new Error(`${label}: a child did not start`);
          process.kill(first.lines.child.pid!, 'SIGUSR1');
          await answered(first);
          if (!first.answer?.startsWith('holding')) {
            crashed++;
            log(`${label}: the first holder could not take the key: ${first.answer ?? 'no answer'}`);
            return acked;
          }
          await first.followed.until(() => first.acks.length >= 3, 10_000);
          const signalAll = (ps: readonly Proc[]): void => ps.forEach((p) => process.kill(p.lines.child.pid!, 'SIGUSR1'));

          if (kind === 'frozen holder') {
            const more = first.acks.length + Math.floor(next() * 10);
            await first.followed.until(() => first.acks.length >= more, 10_000);
            await sleep(next() * 3);
            process.kill(first.lines.child.pid!, 'SIGSTOP');
            const frozenAt = Date.now();
            signalAll(takers);
            await Promise.all(takers.map((p) => answered(p)));
            await sleep(frozenAt + freezeMs - Date.now());
            process.kill(first.lines.child.pid!, 'SIGCONT');
          } else {
            await kill(first);
            if (kind === 'pid reused') {
              sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
              sleepers.add(sleeper);
              await reuseLockPid(folder, sleeper.pid!, log, label);
              signalAll(takers);
              await Promise.all(takers.map((p) => answered(p)));
            } else {
              const [frozen, ...others] = takers as [Proc, Proc, Proc];
              signalAll([frozen]);
              await answered(frozen);
              if (frozen.paused !== undefined) {
                const frozenAt = Date.now();
                const [, , call] = frozen.paused.split(' ');
                stepsHit.set(`${pauseAt} ${call}`, (stepsHit.get(`${pauseAt} ${call}`) ?? 0) + 1);
                if (!(await stoppedSoon(frozen.lines.child.pid!))) log(`${label}: taker 1 said it paused but is not stopped`);
                signalAll(others);
                await Promise.all(others.map((p) => answered(p)));
                await sleep(frozenAt + freezeMs - Date.now());
                process.kill(frozen.lines.child.pid!, 'SIGCONT');
                await frozen.followed.until(() => frozen.answer !== undefined, 30_000);
              } else {
                notFrozen++; // step k never came: it took the key in fewer steps
                signalAll(others);
                await Promise.all(others.map((p) => answered(p)));
              }
            }
          }
          for (const p of takers) {
            if (p.answer === undefined) {
              crashed++;
              log(`${label}: ${p.name} (pid ${p.lines.child.pid}) gave no answer: ${p.lines.stderr().slice(-200)}`);
            } else if (p.answer.startsWith('error')) {
              if (/CORRUPT/.test(p.answer)) corrupt++;
              else crashed++;
              log(`${label}: ${p.name}: ${p.answer.slice(0, 300)}`);
            }
          }
          // Nobody alive holds it, although its last holder is dead (or frozen then gone): refused for good.
          if (kind !== 'frozen holder' && !procs.some(holds)) {
            refusedNoHolder++;
            log(`${label}: nobody holds the key after the take-over: ${takers.map((p) => p.answer?.slice(0, 120) ?? 'no answer').join(' | ')}`);
          }
          // The holders write on for a while, so that two of them would show.
          const holders = procs.filter(holds);
          const counts = holders.map((p) => p.acks.length);
          await Promise.all(holders.map((p, i) => p.followed.until(() => p.acks.length >= counts[i]! + 5 || !holds(p), 10_000)));
          for (const p of procs.filter(holds)) process.kill(p.lines.child.pid!, 'SIGUSR2');
          await Promise.all(procs.filter(holds).map((p) => p.followed.until(() => !holds(p), 15_000)));
        } finally {
          // The first holder goes; a taker stays for the next round only if it is idle (refused, or closed).
          await Promise.all(procs.filter((p) => p.name === 'first holder' || !p.idle).map(kill));
          if (sleeper) {
            sleeper.kill('SIGKILL');
            sleepers.delete(sleeper);
          }
        }
        byKind.set(kind, (byKind.get(kind) ?? 0) + 1);

        // Two holders: an update acknowledged by one while another held the key.
        const overlaps = procs.flatMap((p) =>
          p.acks
            .filter(({ t }) => procs.some((q) => q !== p && q.heldFrom !== undefined && q.heldFrom < t && (q.heldUntil ?? Infinity) > t))
            .map(({ n }) => `${p.name} acknowledged ${n}`),
        );
        const backwards = await journalGoesBack(path.join(folder, `${KEY}.json.journal`));
        if (backwards) interleaved++;
        const double = overlaps.length > 0 || backwards !== undefined;
        if (double) {
          doubleRounds++;
          log(
            `${label}: two holders at once: ${overlaps.slice(0, 3).join(', ')}${overlaps.length > 3 ? ` (+${overlaps.length - 3})` : ''}${backwards ? `; journal: ${backwards}` : ''}`,
          );
        }
        for (const p of procs) for (const { n } of p.acks) acked = Math.max(acked, n);

        // Everyone is gone: the key must open, with every acknowledged update.
        try {
          const store = await createPersistentStore({ key: KEY, initial: { n: 0, pid: 0 }, adapter: fileAdapter({ dir: folder }), events: EMPTY });
          const { n } = store.getState();
          await store.close();
          if (n < acked) {
            lost += acked - n;
            log(`${label}: update ${acked} was acknowledged, the key holds ${n}`);
          }
          if (!double) return Math.min(n, acked);
        } catch (error) {
          if (error instanceof StoreLockedError) refusedNoHolder++;
          else if (error instanceof CorruptStateError) corrupt++;
          else crashed++;
          log(`${label}: the key does not open after the round: ${(error as Error).message.slice(0, 300)}`);
        }
        // Counted; the next round starts afresh, so that its figures are its own.
        await fs.rm(folder, { recursive: true, force: true });
        await fs.mkdir(folder);
        return 0;
      }

      let steps = 0;
      try {
        // How many steps an unpaused take-over of a dead holder's lock has.
        const calibration = path.join(dir, 'calibration');
        await fs.mkdir(calibration);
        {
          const first = start(calibration, 'first holder');
          const taker = start(calibration, 'taker');
          await Promise.all([armed(first), armed(taker)]);
          process.kill(first.lines.child.pid!, 'SIGUSR1');
          await first.followed.until(() => first.acks.length >= 1, 30_000);
          await kill(first);
          process.kill(taker.lines.child.pid!, 'SIGUSR1');
          await answered(taker);
          steps = Number(taker.answer?.startsWith('holding') ? taker.answer.split(' ')[2] : 0);
          await kill(taker);
          log(`an unpaused take-over of a dead holder's lock: ${steps} lock file operations (${taker.answer?.slice(0, 100)})`);
          if (steps === 0) throw new Error(`calibration: the taker did not take the key: ${taker.answer}`);
        }
        // Every lane: a pid-reuse round or a frozen holder, then frozen takers; the steps dealt round-robin from a seeded start.
        let dealt = Math.floor(next() * steps);
        const plans = Array.from({ length: lanes }, (_, lane) =>
          Array.from({ length: roundsPerLane }, (_, r): { kind: Kind; pauseAt: number } =>
            r === 0 ? { kind: lane % 2 === 0 ? 'pid reused' : 'frozen holder', pauseAt: 0 } : { kind: 'frozen taker', pauseAt: 1 + (dealt++ % steps) },
          ),
        );
        await Promise.all(
          plans.map(async (plan, lane) => {
            const folder = path.join(dir, `lane-${lane + 1}`);
            await fs.mkdir(folder);
            let acked = 0;
            const pauseFiles = [1, 2, 3].map((i) => path.join(dir, `pause-${lane + 1}-${i}`));
            const takers: Proc[] = [];
            let spare: Proc | undefined;
            for (const [r, { kind, pauseAt }] of plan.entries()) {
              const label = `lane ${lane + 1} round ${r + 1} (${kind}${kind === 'frozen taker' ? ` at step ${pauseAt}` : ''})`;
              const at = Date.now();
              for (let i = 0; i < 3; i++) if (!alive(takers[i])) takers[i] = start(folder, `taker ${i + 1}`, pauseFiles[i]);
              // The next round's first holder starts while this round runs.
              const first = alive(spare) ? spare : start(folder, 'first holder');
              spare = r + 1 < plan.length ? start(folder, 'first holder') : undefined;
              acked = await round(folder, label, kind, pauseAt, acked, first, takers, pauseFiles);
              if (process.env.TORTURE_VERBOSE) log(`${label}: ${Date.now() - at} ms`);
            }
          }),
        );
      } finally {
        await Promise.all([...running].map((lines) => killNow(lines)));
        for (const sleeper of sleepers) sleeper.kill('SIGKILL');
      }
      const figures: Figure[] = [
        { name: "lock file operations in one take-over of a dead holder's lock (steps)", value: steps },
        ...[...byKind].sort().map(([kind, count]): Figure => ({ name: `  rounds: ${kind}`, value: count })),
        { name: '  frozen takers that took the key before their step came', value: notFrozen },
        {
          name: '  steps frozen at (step call: rounds)',
          value:
            [...stepsHit]
              .sort((a, b) => parseInt(a[0], 10) - parseInt(b[0], 10))
              .map(([s, c]) => `${s}: ${c}`)
              .join(', ') || 'none',
        },
        mustBeZero('rounds with two holders at once', doubleRounds),
        { name: "  of which the journal's sequence numbers went back", value: interleaved },
        mustBeZero('corrupt (refused as corrupt by a taker or the reopen)', corrupt),
        mustBeZero('keys left refused with no live holder', refusedNoHolder),
        mustBeZero('acknowledged updates lost', lost),
        mustBeZero('processes that crashed or gave no answer', crashed),
        { name: 'holders told their lock was lost (then stopped writing)', value: lostLocks },
      ];
      return figures;
    },
  };
}

/** Makes the lock file in `folder` name `pid` (an unrelated live process), changing nothing else, in place. */
async function reuseLockPid(folder: string, pid: number, log: (line: string) => void, label: string): Promise<void> {
  // Lock files as this and earlier versions name them: <KEY>.json~lock.<generation>, <KEY>.json.lock.
  const names = (await fs.readdir(folder)).filter((name) => name === `${KEY}.json.lock` || new RegExp(`^${KEY}\\.json~lock\\.\\d+$`).test(name));
  if (names.length === 0) {
    log(`${label}: no lock file left by the dead holder to reuse the pid of (files: ${(await fs.readdir(folder)).join(', ')})`);
    return;
  }
  for (const name of names) {
    const file = path.join(folder, name);
    const text = await fs.readFile(file, 'utf8');
    const changed = text.replace(/"pid"\s*:\s*\d+/, `"pid":${pid}`);
    if (changed === text) log(`${label}: ${name} names no pid: ${text.slice(0, 120)}`);
    await fs.writeFile(file, changed); // the same file (inode), as a reused pid leaves it
  }
}

/** Why the journal's records are not in increasing sequence (two writers at once), or undefined. */
async function journalGoesBack(file: string): Promise<string | undefined> {
  const whole = await fs.readFile(file, 'utf8').catch(() => '');
  const text = whole.slice(0, whole.lastIndexOf('\n') + 1); // a torn last record (a kill inside an append) is no sign
  let last = -Infinity;
  let line = 0;
  for (const record of text.split('\n')) {
    line++;
    if (!record) continue;
    let seq: unknown;
    try {
      seq = (JSON.parse(record) as { seq?: unknown }).seq;
    } catch {
      return `line ${line} is not JSON: ${record.slice(0, 60)}`;
    }
    if (typeof seq !== 'number') continue;
    if (seq <= last) return `line ${line} has seq ${seq} after ${last}`;
    last = seq;
  }
  return undefined;
}

export default frozenLocks({
  lanes: Number(process.env.TORTURE_FROZEN_LANES ?? 8),
  roundsPerLane: Number(process.env.TORTURE_FROZEN_ROUNDS ?? 4),
  freezeMs: Number(process.env.TORTURE_FREEZE_MS ?? 6_000),
});
