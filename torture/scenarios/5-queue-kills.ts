import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { kill, waitForLine } from '../../spec/support/processes.js';
import { buildChildren } from '../children/build.js';
import { spawnChild } from '../children/spawn-child.js';
import { mustBeZero, random, type Scenario } from '../scenario.js';

/**
 * A queue worker (file adapter, its only worker) SIGKILLed again and again while it works through
 * the items. After each kill the next run checks the queue it restored (every item there, in
 * exactly one state, the counts agreeing); at the end every item must be done, and an item may
 * have been done twice only if an earlier run that did it was killed before that was durable.
 */
function queueKills({ kills = 300, items = 10_000 } = {}): Scenario {
  return {
    name: `Work queue: ${kills} SIGKILLs of a worker over ${items.toLocaleString('en')} items`,
    async run({ dir, log, seed }) {
      const { 'queue-child': child } = await buildChildren(['queue-child']);
      const next = random(seed);
      const workLog = path.join(dir, 'work.log');
      const killed = new Set<string>();
      let broken = 0;
      const start = () => {
        const worker = spawnChild(child!, [dir, String(items), workLog]);
        return { worker, exited: once(worker, 'exit') };
      };
      const check = async (worker: ReturnType<typeof start>['worker'], i: number) => {
        const [line] = await waitForLine(worker, /^ready .*/, 30_000);
        const [, , done, ...why] = line.split(' ');
        if (why.join(' ') !== 'ok') {
          broken++;
          log(`after kill ${i}: ${line}`);
        }
        return Number(done);
      };
      for (let i = 0; i < kills; i++) {
        const { worker, exited } = start();
        const done = await check(worker, i);
        if (done === items) break; // drained before the kills ran out
        await new Promise((resolve) => setTimeout(resolve, 10 + next() * 80));
        killed.add(String(worker.pid));
        await kill(worker, 'SIGKILL');
        await exited;
        if ((i + 1) % 50 === 0) log(`${i + 1} kills, ${done} items done`);
      }
      const last = start();
      await check(last.worker, killed.size);
      await waitForLine(last.worker, /^drained$/, 120_000);
      await last.exited;

      const runs = new Map<string, string[]>();
      for (const line of (await readFile(workLog, 'utf8')).trim().split('\n')) {
        const [pid, id] = line.split(' ') as [string, string];
        runs.set(id, [...(runs.get(id) ?? []), pid]);
      }
      const twice = [...runs].filter(([, pids]) => pids.length > 1);
      const unexplained = twice.filter(([, pids]) => !pids.slice(0, -1).every((pid) => killed.has(pid))).length;
      const lost = items - runs.size;
      return [
        { name: 'kills', value: killed.size },
        mustBeZero('items lost (never done)', lost),
        mustBeZero('restored queues with an item missing or counts disagreeing', broken),
        { name: 'items done twice', value: twice.length },
        mustBeZero('  of them, not after a killed run', unexplained),
      ];
    },
  };
}

export default queueKills({ kills: Number(process.env.TORTURE_QUEUE_KILLS ?? 300) });
