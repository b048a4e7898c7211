import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { waitForLine } from '../../spec/support/processes.js';
import { buildChildren } from '../children/build.js';
import { KILL_POINTS } from '../children/kill-points.js';
import { spawnChild } from '../children/spawn-child.js';
import { exitsWithin, median, mustBeZero, random, type Figure, type Scenario } from '../scenario.js';

// What a write may add to maxWait on a loaded 2-core machine (stringify, fsync, rename, fsync).
const WRITE_SLACK_MS = 250;

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
      let corrupt = 0;
      let notReal = 0;
      let wentBack = 0;
      let beyond = 0;
      let slowestWrite = 0;
      let longestStall = 0;
      let updates = 0;

      // Two lanes, each its own store and sequence of kills, so the two cores are both at work.
      const lane = async (laneDir: string, laneKills: number): Promise<void> => {
        await mkdir(laneDir);
        let lastN = 0;
        /** The last kill, checked by what the next run restores. */
        let previous: { killedAt: number; readyAt: number; point: string; delays: () => { slowest: number; stalled: number } } | undefined;

        /** Starts a child; checks what it restored against the previous kill. */
        const startAndCheck = async (
          i: number,
          env: NodeJS.ProcessEnv,
        ): Promise<{ worker: ChildProcess; exited: Promise<unknown>; readyAt: number; delays: () => { slowest: number; stalled: number } }> => {
          const worker = spawnChild(child!, [laneDir, String(debounceMs), String(maxWaitMs)], env);
          const exited = once(worker, 'exit');
          const line = await waitForLine(worker, /^(ready|corrupt) .*/, 30_000).then(
            ([text]) => text,
            () => undefined,
          );
          if (line === undefined) {
            // Its kill point came while opening (the rename that takes over a dead run's lock): a crash
            // like any other, checked by the next start.
            await exited;
            byPoint.set('lock take-over, while opening', (byPoint.get('lock take-over, while opening') ?? 0) + 1);
            return startAndCheck(i, {});
          }
          const readyAt = Date.now();
          let slowest = 0;
          let stalled = 0;
          worker.stdout!.on('data', (chunk: Buffer) => {
            for (const [line] of chunk.toString().matchAll(/^write-error .*$/gm)) log(line);
            for (const [, what, ms] of chunk.toString().matchAll(/^(slow-write|stall) (\d+)$/gm)) {
              if (what === 'stall') stalled = Math.max(stalled, Number(ms));
              else slowest = Math.max(slowest, Number(ms));
            }
          });
          if (previous) {
            const [word, n, t, ...why] = line.split(' ');
            const problem = why.join(' ');
            if (word === 'corrupt') {
              corrupt++;
              log(`kill ${i - 1} (${previous.point}): storage did not load: ${line}`);
            } else {
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
              const delay = previous.delays();
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
          }
          return { worker, exited, readyAt, delays: () => ({ slowest, stalled }) };
        };

        for (let i = 0; i < laneKills; i++) {
          const inside = next() < 0.4 ? KILL_POINTS[Math.floor(next() * KILL_POINTS.length)]! : undefined;
          const env = inside ? { TORTURE_KILL_AT: `${inside}:${1 + Math.floor(next() * 3)}` } : {};
          const { worker, exited, readyAt, delays } = await startAndCheck(i, env);
          let point = 'random moment';
          let killedAt: number;
          if (inside && (await exitsWithin(exited, 3_000))) {
            point = inside;
            killedAt = Date.now();
          } else {
            await new Promise((resolve) => setTimeout(resolve, next() * 200));
            // The time is read once the signal is sent: read before, a parent descheduled between the two
            // let the child run on for milliseconds, and its last durable update looked made after the kill.
            process.kill(worker.pid!, 'SIGKILL');
            killedAt = Date.now();
          }
          await exited;
          byPoint.set(point, (byPoint.get(point) ?? 0) + 1);
          previous = { killedAt, readyAt, point, delays };
          if ((i + 1) % 50 === 0) log(`${path.basename(laneDir)}: ${i + 1} kills, n = ${lastN}`);
        }
        const last = await startAndCheck(laneKills, { TORTURE_CHECK_ONLY: '1' });
        await last.exited;
        updates += lastN;
      };
      await Promise.all([lane(path.join(dir, 'lane-1'), Math.ceil(kills / 2)), lane(path.join(dir, 'lane-2'), Math.floor(kills / 2))]);
      const worst = Math.max(0, ...lost);
      const figures: Figure[] = [
        { name: 'kills survived', value: `${kills - corrupt} of ${kills}` },
        ...[...byPoint].sort().map(([name, count]): Figure => ({ name: `  killed at ${name}`, value: count })),
        mustBeZero('corrupt restores', corrupt),
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
