import { readdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { createPersistentStore, etcdDialect, fileAdapter, KeyedMap, remoteKvAdapter } from '../../src/index.js';
import { ETCD_BINARY, startEtcd } from '../../spec/support/etcd-server.js';
import { startFaultProxy } from '../../spec/support/fault-proxy.js';
import { requireBinary } from '../../spec/support/server-binaries.js';
import { buildChildren } from '../children/build.js';
import { spawnChild } from '../children/spawn-child.js';
import { mustBeZero, random, type Figure, type Scenario } from '../scenario.js';
import { killNow, linesOf, sleep, type Lines } from '../children/lines.js';

/**
 * (a) `lockers` processes open the same key on the file adapter at the same moment (each told by
 * SIGUSR1), `rounds` times: exactly one must hold it, every other must be refused with a
 * StoreLockedError naming the holder. The holder updates the store (each update flushed) for a
 * moment, then is closed or SIGKILLed (so the next round's racers find a stale lock of a dead
 * process to take over); the next holder must restore exactly what the last one made durable.
 */
async function lockRace(
  { dir, log, seed }: { dir: string; log: (line: string) => void; seed: number },
  child: string,
  { lockers = 6, rounds = 20 } = {},
): Promise<Figure[]> {
  const next = random(seed ^ 0x10c4);
  const slots: Array<Lines | undefined> = new Array(lockers).fill(undefined);
  let attempts = 0;
  let refused = 0;
  let refusedRacing = 0;
  let namingOther = 0;
  let doubleHolders = 0;
  let noHolder = 0;
  let crashed = 0;
  let corrupt = 0;
  let wrongRestore = 0;
  let killedRounds = 0;
  /**
   * What the next holder must restore: exactly `low`, or `low + 1` after a SIGKILL between an
   * update and its flush; unknown after a round with several holders.
   */
  let expect: { low: number; high: number } | undefined = { low: 0, high: 0 };
  try {
    for (let round = 1; round <= rounds; round++) {
      // Every slot holds a live, idle child (a killed one is replaced and must be loaded first).
      await Promise.all(
        slots.map(async (slot, i) => {
          if (slot && slot.child.exitCode === null && slot.child.signalCode === null) return;
          const lines = linesOf(spawnChild(child, [dir]));
          slots[i] = lines;
          const line = await lines.next(30_000);
          if (line !== 'armed') throw new Error(`lock child said ${line}`);
        }),
      );
      const racers = slots as Lines[];
      for (const { child: c } of racers) process.kill(c.pid!, 'SIGUSR1'); // all at once
      attempts += racers.length;
      const answers = await Promise.all(racers.map((lines) => lines.next(20_000).catch((error: unknown) => `error NO_ANSWER ${(error as Error).message}`)));
      const holders: Array<{ lines: Lines; restored: number }> = [];
      /** Processes that took the lock, then refused the stored data (the store opens its data under the lock). */
      const refusedData: Lines[] = [];
      answers.forEach((answer, i) => {
        const [word, code] = answer.split(' ');
        if (word === 'holding') holders.push({ lines: racers[i]!, restored: Number(code) });
        else if (word === 'refused') refused++;
        else if (code === 'CORRUPT_STATE') {
          refusedData.push(racers[i]!);
          log(`round ${round}: pid ${racers[i]!.child.pid}: ${answer}`);
        } else {
          crashed++;
          log(`round ${round}: pid ${racers[i]!.child.pid}: ${answer}`);
        }
      });
      if (refusedData.length > 0) {
        // Counted once; the files go, so that the next rounds test the lock again rather than this.
        corrupt++;
        await rm(path.join(dir, 'LOCKED.json'), { force: true });
        await rm(path.join(dir, 'LOCKED.json.journal'), { force: true });
        log(`round ${round}: the stored data was refused as corrupt; removed it to go on`);
        expect = { low: 0, high: 0 };
      }
      const lockHolders = [...holders.map((h) => h.lines), ...refusedData];
      const holderPids = new Set(lockHolders.map((lines) => String(lines.child.pid)));
      const wrongNames: string[] = [];
      for (const answer of answers.filter((a) => a.startsWith('refused '))) {
        const named = /by process (\d+)/.exec(answer)?.[1];
        if (named === undefined) refusedRacing++;
        else if (!holderPids.has(named)) wrongNames.push(named);
      }
      namingOther += wrongNames.length;
      if (wrongNames.length > 0)
        log(
          `round ${round}: ${wrongNames.length} refusals name pid ${[...new Set(wrongNames)].join(', ')}, but the lock holders are ${[...holderPids].join(', ') || 'nobody'}`,
        );
      if (lockHolders.length > 1) {
        doubleHolders++;
        log(`round ${round}: ${lockHolders.length} processes hold the key at once (pids ${[...holderPids].join(', ')})`);
      }
      if (lockHolders.length === 0) {
        noHolder++;
        log(`round ${round}: nobody got the key: ${answers.map((a) => a.slice(0, 80)).join(' | ')}`);
      }
      for (const { restored, lines } of refusedData.length > 0 ? [] : holders) {
        if (expect !== undefined && (restored < expect.low || restored > expect.high)) {
          wrongRestore++;
          log(`round ${round}: pid ${lines.child.pid} restored n = ${restored}, expected ${expect.low}${expect.high > expect.low ? `…${expect.high}` : ''}`);
        }
      }

      // The holder works for a moment, then is closed or SIGKILLed.
      await sleep(20 + next() * 100);
      const kill = next() < 0.5;
      let durable = 0;
      let closedAt: number | undefined;
      for (const { lines } of holders) {
        if (kill) {
          await killNow(lines);
        } else {
          process.kill(lines.child.pid!, 'SIGUSR2');
        }
        for (;;) {
          const line = await lines.next(20_000).catch(() => undefined);
          if (line === undefined) break; // killed: all its output read
          const [word, n] = line.split(' ');
          if (word === 'durable') durable = Math.max(durable, Number(n));
          else if (word === 'closed') {
            closedAt = Number(n);
            break;
          } else {
            crashed++;
            log(`round ${round}: holder ${lines.child.pid}: ${line}`);
            if (line.startsWith('error close')) break;
          }
        }
      }
      if (kill) killedRounds++;
      if (holders.length > 1)
        expect = undefined; // several wrote at once: only whether it loads can be checked
      else if (holders.length === 1) {
        // Killed: the last update may or may not have landed before its flush returned.
        const base = Math.max(durable, holders[0]!.restored);
        expect = kill || closedAt === undefined ? { low: base, high: base + 1 } : { low: closedAt, high: closedAt };
      }
      if (round % 5 === 0) {
        const last =
          holders.length === 1
            ? `last holder ${kill ? `SIGKILLed at n = ${durable}` : `closed at n = ${closedAt}`}`
            : `${holders.length} holders in the last round`;
        log(`lock race: ${round} rounds, ${refused} refusals, ${doubleHolders} with several holders; ${last}`);
      }
    }
  } finally {
    await Promise.all(slots.map((lines) => (lines ? killNow(lines) : Promise.resolve())));
  }

  // The key after all: it must load, with the last durable counter.
  let finalState = 'not checked';
  try {
    const store = await createPersistentStore({ key: 'LOCKED', initial: { n: 0, pid: 0 }, adapter: fileAdapter({ dir }), events: EMPTY });
    const { n } = store.getState();
    await store.close();
    if (expect !== undefined && (n < expect.low || n > expect.high)) {
      wrongRestore++;
      finalState = `n = ${n}, expected ${expect.low}…${expect.high}`;
    } else finalState = `loads, n = ${n}`;
  } catch (error) {
    corrupt++;
    finalState = `does not load: ${(error as Error).message}`;
  }
  const stray = (await readdir(dir)).filter((name) => !['LOCKED.json', 'LOCKED.json.journal'].includes(name));
  return [
    {
      name: `(a) lock race: rounds of ${lockers} processes opening one key on the file adapter at once`,
      value: `${rounds} (${killedRounds} holders SIGKILLed, ${rounds - killedRounds} closed)`,
    },
    {
      name: '(a) processes refused cleanly (StoreLockedError)',
      value: `${refused} of ${attempts - rounds} (${refusedRacing} as "racing for it", ${refused - refusedRacing - namingOther} naming the holder)`,
    },
    mustBeZero('(a) rounds with two or more holders at once', doubleHolders),
    mustBeZero('(a) rounds where nobody got the key', noHolder),
    mustBeZero('(a) refusals naming a process that did not hold the key', namingOther),
    mustBeZero('(a) opens that failed otherwise (crash, no answer, unclear error)', crashed),
    mustBeZero('(a) corrupt files (an open or the final check refused the stored data as corrupt)', corrupt),
    mustBeZero('(a) restores other than the last durable state', wrongRestore),
    { name: '(a) the key at the end', value: finalState },
    { name: '(a) files left beside the key (lock, temp files)', value: stray.length === 0 ? 'none' : stray.join(', ') },
  ];
}

/**
 * (b) `workers` processes share one counter, one tally per worker and one KeyedMap in one etcd key
 * with `onConflict: 'rebase'`, through the fault proxy at `rate`; each makes `increments`
 * updates, each flushed. A fresh store must then read exactly workers × increments. Run twice:
 * with the proxy's faults only (every fault before the request reaches etcd), and with answers
 * also lost after etcd acted on the request (`lostRate`), as a timeout or a reset connection does.
 */
async function sharedCounter(
  { log, seed }: { log: (line: string) => void; seed: number },
  child: string,
  { workers = 4, increments = 25, rate = 0.1, lostRate = 0 } = {},
  label: string,
): Promise<Figure[]> {
  const etcd = await startEtcd();
  const running: Lines[] = [];
  let proxy: Awaited<ReturnType<typeof startFaultProxy>> | undefined;
  try {
    log(`${label}: etcd ${etcd.url} (pid ${etcd.pid})`);
    proxy = await startFaultProxy(etcd.url, random(seed ^ 0xfa17));
    const key = 'SHARED';
    for (let w = 0; w < workers; w++)
      running.push(linesOf(spawnChild(child, [proxy.url, key, String(increments), `w${w}`, String(lostRate), String((seed + w) >>> 0)])));
    for (const lines of running) {
      const line = await lines.next(30_000);
      if (line !== 'armed') throw new Error(`etcd worker said ${line}`);
    }
    proxy.inject(rate);
    const started = Date.now();
    for (const { child: c } of running) process.kill(c.pid!, 'SIGUSR1'); // all at once
    const results = await Promise.all(
      running.map(async (lines) => {
        for (;;) {
          const line = await lines.next(45_000).catch((error: unknown) => `error ${(error as Error).message}`);
          if (line.startsWith('{')) return JSON.parse(line) as Record<string, number>;
          if (line.startsWith('error')) return { error: line } as unknown as Record<string, number>;
        }
      }),
    );
    const ms = Date.now() - started;
    proxy.inject(0);
    await Promise.all(running.map((lines) => Promise.race([lines.closed, sleep(10_000)])));
    const failedWorkers = results.filter((r, i) => r.error !== undefined || running[i]!.child.exitCode !== 0).length;
    for (const r of results) if (r.error !== undefined) log(`${label}: a worker failed: ${String(r.error)}`);
    const sum = (field: string): number => results.reduce((total, r) => total + (Number(r[field]) || 0), 0);
    const faults = (['drop', 'stall', '503', '429'] as const).map((fault) => proxy!.counts[fault]);

    const check = await createPersistentStore({
      key,
      initial: { n: 0, by: {} as Record<string, number>, items: new KeyedMap<number>() },
      adapter: remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url }) }),
      events: EMPTY,
    });
    const got = check.getState();
    await check.close();
    const expected = workers * increments;
    const talliesWrong = Array.from({ length: workers }, (_, w) => `w${w}`).filter((w) => got.by[w] !== increments);
    let entriesWrong = 0;
    for (let w = 0; w < workers; w++) for (let i = 0; i < increments; i++) if (got.items.get(`w${w}-${i}`) !== i) entriesWrong++;
    if (got.items.size !== expected) entriesWrong += Math.abs(got.items.size - expected);
    log(
      `${label}: ${workers} workers × ${increments} in ${(ms / 1000).toFixed(1)} s: total ${got.n}, tallies ${JSON.stringify(got.by)}; ` +
        `${sum('conflicts')} conflicts rebased, ${sum('writes')} writes, ${sum('requests')} requests (${sum('failed')} failed, ${sum('lostAnswers')} answers lost); faults ${faults.join('/')}`,
    );
    return [
      { name: `${label}: workers × increments (each flushed)`, value: `${workers} × ${increments} = ${expected}, in ${(ms / 1000).toFixed(1)} s` },
      { name: `${label}: final total read back by a fresh store`, value: got.n, must: `= ${expected}`, ok: got.n === expected },
      mustBeZero(`${label}: workers whose own tally is wrong`, talliesWrong.length),
      mustBeZero(`${label}: map entries missing or wrong`, entriesWrong),
      mustBeZero(`${label}: workers that failed (crash, exit code, no answer)`, failedWorkers),
      { name: `${label}: conflicts resolved by rebasing`, value: sum('conflicts') },
      {
        name: `${label}: HTTP requests (failed; drop, stall, 503, 429 injected${lostRate > 0 ? '; answers lost after etcd acted' : ''})`,
        value: `${sum('requests')} (${sum('failed')}; ${faults.join(', ')}${lostRate > 0 ? `; ${sum('lostAnswers')}` : ''})`,
      },
      { name: `${label}: flushes not durable within 30 s`, value: sum('flushErrors') },
    ];
  } finally {
    proxy?.inject(0);
    await Promise.all(running.map((lines) => killNow(lines)));
    await proxy?.stop();
    await etcd.stop(); // by PID, then its data folder
  }
}

function concurrency({
  lockers = 6,
  rounds = 20,
  workers = 4,
  increments = 25,
  rate = 0.1,
  lostRate = Number(process.env.TORTURE_LOST_ANSWERS ?? 0.1),
} = {}): Scenario {
  return {
    name: `Concurrency: ${lockers} processes racing for one file lock × ${rounds}; ${workers} workers sharing one etcd key (rebase, ${rate * 100} % faults)`,
    async run(context) {
      const { log } = context;
      const { 'lock-child': lockChild, 'etcd-worker-child': etcdChild } = await buildChildren(['lock-child', 'etcd-worker-child']);
      const figures = await lockRace(context, lockChild!, { lockers, rounds });
      if (!requireBinary(ETCD_BINARY, 'etcd-server').available) {
        return [...figures, { name: '(b) etcd', value: `${ETCD_BINARY} is missing (apt-get install etcd-server)`, must: 'installed', ok: false }];
      }
      figures.push(...(await sharedCounter(context, etcdChild!, { workers, increments, rate }, '(b) proxy faults')));
      if (lostRate > 0) {
        figures.push(
          ...(await sharedCounter(context, etcdChild!, { workers, increments, rate, lostRate }, `(b2) proxy faults + ${lostRate * 100} % answers lost`)),
        );
      } else {
        log('(b2) answers lost after etcd acted: skipped (TORTURE_LOST_ANSWERS=0)');
      }
      return figures;
    },
  };
}

export default concurrency();
