import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { buildChildren } from '../children/build.js';
import { KILL_POINTS } from '../children/kill-points.js';
import { follow, killNow, linesOf, sigkill, sleep, type Lines } from '../children/lines.js';
import { spawnChild } from '../children/spawn-child.js';
import { exitsWithin, median, mustBeZero, random, type Figure, type Scenario } from '../scenario.js';

// What a write may add to maxWait on a loaded 2-core machine (stringify, fsync, rename, fsync).
const WRITE_SLACK_MS = 250;
/** How long a child may take to open its store (lock, read, replay) on a loaded machine. */
const OPEN_TIMEOUT_MS = 30_000;

/** A child that opened its store and runs. */
interface Started {
  readonly lines: Lines;
  /** When its exit was seen. */
  readonly exitedAt: Promise<number>;
  readonly readyAt: number;
  /** The longest write (the one under way at `killedAt` included) and stall it reported so far. */
  readonly delays: (killedAt: number) => { slowest: number; stalled: number };
}

/**
 * SIGKILLs of a child updating a store at full speed (two at a time, each on its own store): 60 % at a random moment from outside, 40 %
 * from inside at a chosen point of a write (a torn journal append, a torn snapshot temp file,
 * just before or after the snapshot's rename, just after the journal is emptied). After each kill
 * the next run's view of storage must load, be a state the child had, not go back, and be at
 * most the window old.
 */
function crashes({ kills = 500, debounceMs = 20, maxWaitMs = 50 } = {}): Scenario {
  return {
    name: `Crashes: ${kills} SIGKILLs of a writer at full speed (file adapter, debounce ${debounceMs} / maxWait ${maxWaitMs} ms)`,
    async run({ dir, log, seed }) {
      const { 'crash-child': child } = await buildChildren(['crash-child']);
      const next = random(seed);
      const byPoint = new Map<string, number>();
      const lost: number[] = [];
      let made = 0;
      let corrupt = 0;
      /** Children that did not open, or exited by themselves: each logged with its stderr. */
      let failed = 0;
      let notReal = 0;
      let wentBack = 0;
      let beyond = 0;
      let slowestWrite = 0;
      let longestStall = 0;
      let updates = 0;

      // Two lanes, each its own store and sequence of kills, so the two cores are both at work. A lane
      // that fails stops the other, and neither returns with a child running: the folder is removed
      // once the scenario settles, and a child left writing in it would restore from nothing.
      let halted = false;
      const lane = async (laneDir: string, laneKills: number): Promise<void> => {
        await mkdir(laneDir);
        let lastN = 0;
        /** The last kill, checked by what the next run restores. */
        let previous: { killedAt: number; readyAt: number; point: string; delays: Started['delays'] } | undefined;
        let running: Lines | undefined;

        /**
         * Starts a child; checks what it restored against the previous kill. Undefined when it did not
         * open (logged with its stderr): what a later child restores can no longer be told apart.
         */
        const startAndCheck = async (i: number, env: NodeJS.ProcessEnv): Promise<Started | undefined> => {
          const lines = (running = linesOf(spawnChild(child!, [laneDir, String(debounceMs), String(maxWaitMs)], env)));
          const exitedAt = once(lines.child, 'exit').then(() => Date.now());
          let line: string | undefined;
          let slowest = 0;
          let stalled = 0;
          /** When the write under way started, once it ran 50 ms; undefined when it ended. */
          let savingSince: number | undefined;
          const followed = follow(lines, (text) => {
            if (line === undefined) {
              if (/^(ready|corrupt|open-failed) /.test(text)) line = text;
              return;
            }
            if (text.startsWith('write-error ')) log(text);
            const [, what, ms] = /^(slow-write|stall|saving-since) (\d+)$/.exec(text) ?? [];
            if (what === 'stall') stalled = Math.max(stalled, Number(ms));
            else if (what === 'saving-since') savingSince = Number(ms);
            else if (what) {
              slowest = Math.max(slowest, Number(ms));
              savingSince = undefined;
            }
          });
          // Read to the child's last byte: a line printed just before it died is never taken for no line.
          if (!(await followed.until(() => line !== undefined, OPEN_TIMEOUT_MS))) {
            const { child: c } = lines;
            const stuck = c.exitCode === null && c.signalCode === null;
            await killNow(lines);
            if (!stuck && c.signalCode === 'SIGKILL' && env.TORTURE_KILL_AT) {
              // Its kill point came while opening (the lock file is written like a snapshot): a crash
              // like any other, checked by the next start.
              byPoint.set('lock take-over, while opening', (byPoint.get('lock take-over, while opening') ?? 0) + 1);
              return startAndCheck(i, {});
            }
            failed++;
            const how = stuck
              ? `no "ready" line within ${OPEN_TIMEOUT_MS / 1000} s (killed)`
              : `it exited (${c.exitCode ?? c.signalCode}) without a "ready" line`;
            log(`${path.basename(laneDir)}, start after kill ${i - 1}: child ${c.pid} did not open: ${how}; stderr: ${lines.stderr().trim() || '(none)'}`);
            return undefined;
          }
          const readyAt = Date.now();
          const [word, n, t, ...why] = line!.split(' ');
          if (word === 'open-failed') {
            failed++;
            log(`${path.basename(laneDir)}, start after kill ${i - 1}: the store did not open: ${line}; stderr: ${lines.stderr().trim() || '(none)'}`);
          } else if (word === 'corrupt') {
            corrupt++;
            log(`kill ${i - 1} (${previous?.point ?? 'none'}): storage did not load: ${line}`);
          } else if (previous) {
            const problem = why.join(' ');
            if (problem !== 'ok') {
              notReal++;
              log(`kill ${i - 1} (${previous.point}): not a state the child had: ${problem}`);
            }
            if (Number(n) < lastN || Number(t) > previous.killedAt) {
              wentBack++;
              log(`kill ${i - 1} (${previous.point}): n ${n} after ${lastN}; t ${t}, killed at ${previous.killedAt}`);
            }
            const window = previous.killedAt - Math.max(Number(t), previous.readyAt);
            // The promise: at most maxWaitMs plus the writes in the way: the one under way, a compaction
            // that may follow it, and the change's own. A disk that stalls an fsync stretches them, and
            // so does a machine too loaded to run the process: both are measured by the child.
            const delay = previous.delays(previous.killedAt);
            const bound = maxWaitMs + Math.max(WRITE_SLACK_MS, 3 * delay.slowest + delay.stalled);
            if (window > bound) {
              beyond++;
              log(
                `kill ${i - 1} (${previous.point}): lost ${window} ms, over ${bound} ms (ran ${previous.killedAt - previous.readyAt} ms; slowest write ${delay.slowest} ms, longest stall ${delay.stalled} ms)`,
              );
            }
            lost.push(window);
            slowestWrite = Math.max(slowestWrite, delay.slowest);
            longestStall = Math.max(longestStall, delay.stalled);
            lastN = Number(n);
          }
          if (word !== 'ready') {
            await killNow(lines); // it exits by itself after saying so
            return undefined;
          }
          return {
            lines,
            exitedAt,
            readyAt,
            delays: (killedAt) => ({ slowest: Math.max(slowest, savingSince === undefined ? 0 : killedAt - savingSince), stalled }),
          };
        };

        try {
          for (let i = 0; i < laneKills && !halted; i++) {
            const inside = next() < 0.4 ? KILL_POINTS[Math.floor(next() * KILL_POINTS.length)]! : undefined;
            const env = inside ? { TORTURE_KILL_AT: `${inside}:${1 + Math.floor(next() * 3)}` } : {};
            const started = await startAndCheck(i, env);
            if (started === undefined) return; // the lane's sequence of checks is broken; logged
            const { lines, exitedAt, readyAt, delays } = started;
            let point = 'random moment';
            let killedAt: number | undefined;
            if (!inside || !(await exitsWithin(exitedAt, 3_000))) {
              await sleep(next() * 200);
              // The time is read once the signal is sent: read before, a parent descheduled between the two
              // let the child run on for milliseconds, and its last durable update looked made after the kill.
              if (sigkill(lines.child)) killedAt = Date.now();
            }
            await killNow(lines); // its output read to the end
            if (killedAt === undefined) {
              // It died before our signal: at its kill point (on a loaded machine that may come after the
              // 3 s), or it failed. Its exit as seen here is no earlier than its death: never a false "went back".
              killedAt = await exitedAt;
              if (inside && lines.child.signalCode === 'SIGKILL') point = inside;
              else {
                failed++;
                point = 'exited by itself';
                log(
                  `${path.basename(laneDir)}, kill ${i}: the child exited (${lines.child.exitCode ?? lines.child.signalCode}) by itself; stderr: ${lines.stderr().trim() || '(none)'}`,
                );
              }
            }
            made++;
            byPoint.set(point, (byPoint.get(point) ?? 0) + 1);
            previous = { killedAt, readyAt, point, delays };
            if ((i + 1) % 50 === 0) log(`${path.basename(laneDir)}: ${i + 1} kills, n = ${lastN}`);
          }
          if (halted) return;
          const last = await startAndCheck(laneKills, { TORTURE_CHECK_ONLY: '1' });
          if (last) await last.lines.closed;
        } catch (error) {
          halted = true;
          throw error;
        } finally {
          if (running) await killNow(running);
          updates += lastN;
        }
      };
      const lanes = await Promise.allSettled([lane(path.join(dir, 'lane-1'), Math.ceil(kills / 2)), lane(path.join(dir, 'lane-2'), Math.floor(kills / 2))]);
      for (const result of lanes) if (result.status === 'rejected') throw result.reason;
      const worst = Math.max(0, ...lost);
      const figures: Figure[] = [
        { name: 'kills survived', value: `${made - corrupt} of ${made}` },
        ...[...byPoint].sort().map(([name, count]): Figure => ({ name: `  killed at ${name}`, value: count })),
        mustBeZero('corrupt restores', corrupt),
        mustBeZero('children that did not open, or exited by themselves (logged, with stderr)', failed),
        mustBeZero('restored states the child never had', notReal),
        mustBeZero('restores older than an earlier one', wentBack),
        { name: 'lost window, median', value: `${median(lost)} ms` },
        { name: 'lost window, max', value: `${worst} ms` },
        { name: 'slowest write seen (fsync stalls included)', value: `${slowestWrite} ms` },
        { name: 'longest time the child was not run (machine load)', value: `${longestStall} ms` },
        {
          name: 'kills losing more than the window',
          value: beyond,
          must: `= 0 (window: ${maxWaitMs} ms + max(${WRITE_SLACK_MS} ms, 3 × slowest write + longest stall, of that run))`,
          ok: beyond === 0,
        },
        { name: 'updates made in all', value: updates.toLocaleString('en') },
      ];
      return figures;
    },
  };
}

export default crashes({ kills: Number(process.env.TORTURE_KILLS ?? 500) });
