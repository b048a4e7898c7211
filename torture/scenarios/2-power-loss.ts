import { once } from 'node:events';
import * as path from 'node:path';
import { kill, waitForLine } from '../../spec/support/processes.js';
import { buildChildren } from '../children/build.js';
import { KILL_POINTS } from '../children/kill-points.js';
import { spawnChild } from '../children/spawn-child.js';
import { losePower } from '../power-loss-model.js';
import { exitsWithin, mustBeZero, random, type Scenario } from '../scenario.js';

/**
 * Power cuts: the crash child is SIGKILLed, then the folder is made into what a power cut could
 * have left (power-loss-model.ts: writes after the last fsync lost or torn, renames and truncates
 * not made durable undone). Half the cuts fall at a random moment, half at a chosen point inside a
 * write (children/kill-points.ts), so that the short windows between a rename or truncate and its
 * fsync are hit too. Every update the child was told was durable (flush() resolved) must survive,
 * and the store must still open on a state the child had: the fsync order is what makes both true.
 */
function powerLoss({ cuts = 100, debounceMs = 20, maxWaitMs = 50 } = {}): Scenario {
  return {
    name: `Power loss: ${cuts} cuts, unsynced writes dropped or torn (file adapter)`,
    async run({ dir, log, seed }) {
      const { 'crash-child': child } = await buildChildren(['crash-child']);
      const next = random(seed ^ 0x5eed);
      const fsLog = path.join(dir, 'fs.log');
      let acked = 0;
      let lostAcked = 0;
      let corrupt = 0;
      let openFailed = 0;
      let notReal = 0;
      const undone = { renamesUndone: 0, truncatesUndone: 0, tailsCut: 0 };
      const byPoint = new Map<string, number>();
      for (let i = 0; i <= cuts; i++) {
        const inside = i < cuts && next() < 0.5 ? KILL_POINTS[Math.floor(next() * KILL_POINTS.length)]! : undefined;
        const worker = spawnChild(child!, [dir, String(debounceMs), String(maxWaitMs)], {
          TORTURE_FS_LOG: fsLog,
          TORTURE_ACK_EVERY: '25',
          ...(inside && { TORTURE_KILL_AT: `${inside}:${1 + Math.floor(next() * 3)}` }),
          ...(i === cuts && { TORTURE_CHECK_ONLY: '1' }),
        });
        const exited = once(worker, 'exit');
        const line = await waitForLine(worker, /^(ready|corrupt|open-failed) .*/, 30_000).then(
          ([text]) => text,
          (error: unknown) => {
            if (inside) return undefined;
            throw error;
          },
        );
        let point = 'random moment';
        if (line === undefined) {
          // Its kill point came while opening (the rename that takes over the dead run's lock): a
          // cut like any other, checked by the next start.
          await exited;
          point = 'lock take-over, while opening';
        } else {
          const [word, n, , ...why] = line.split(' ');
          if (word === 'corrupt') {
            corrupt++;
            log(`cut ${i - 1}: storage did not load: ${line}`);
          } else if (word === 'open-failed') {
            openFailed++;
            log(`cut ${i - 1}: the store did not open: ${line}`);
          } else {
            if (why.join(' ') !== 'ok') {
              notReal++;
              log(`cut ${i - 1}: not a state the child had: ${why.join(' ')}`);
            }
            if (Number(n) < acked) {
              lostAcked++;
              log(`cut ${i - 1}: update ${acked} was acknowledged durable, storage holds ${n}`);
            }
          }
          if (i === cuts) break;
          worker.stdout!.on('data', (chunk: Buffer) => {
            for (const [, m] of chunk.toString().matchAll(/^durable (\d+)$/gm)) acked = Math.max(acked, Number(m));
          });
          if (inside && (await exitsWithin(exited, 3_000))) {
            point = inside;
          } else {
            await new Promise((resolve) => setTimeout(resolve, 50 + next() * 200));
            await kill(worker, 'SIGKILL');
            await exited;
          }
        }
        byPoint.set(point, (byPoint.get(point) ?? 0) + 1);
        const cut = await losePower(dir, fsLog, next);
        undone.renamesUndone += cut.renamesUndone;
        undone.truncatesUndone += cut.truncatesUndone;
        undone.tailsCut += cut.tailsCut;
        if ((i + 1) % 50 === 0) log(`${i + 1} cuts, ${acked} updates acknowledged`);
      }
      return [
        { name: 'power cuts', value: cuts },
        ...[...byPoint].sort().map(([name, count]) => ({ name: `  cut at ${name}`, value: count })),
        { name: '  unsynced tails dropped or torn', value: undone.tailsCut },
        { name: '  renames undone (no folder fsync yet)', value: undone.renamesUndone },
        { name: '  truncates undone (no fsync yet)', value: undone.truncatesUndone },
        mustBeZero('acknowledged updates lost', lostAcked),
        mustBeZero('corrupt restores', corrupt),
        mustBeZero('children whose store did not open (lock refused, I/O error)', openFailed),
        mustBeZero('restored states the child never had', notReal),
        { name: 'updates acknowledged durable', value: acked.toLocaleString('en') },
      ];
    },
  };
}

export default powerLoss({ cuts: Number(process.env.TORTURE_CUTS ?? 100) });
