import * as path from 'node:path';
import { countOffers, generateFeed } from '../../demos/asin-counter/feed.js';
import { runCli } from '../support/processes.js';
import { readSimulatedState } from '../support/stored-state.js';
import { useTempDir } from '../support/temp-dir.js';

const storage = useTempDir('asin-counter');

/** The ASIN → count pairs of the map printed under `final counts`. */
function finalCountsOf(stdout: string): Record<string, number> {
  const printed = stdout.slice(stdout.indexOf('final counts:'));
  const block = printed
    .split('\n')
    .slice(1)
    .filter((line) => line.startsWith('  B0'));
  return Object.fromEntries(block.flatMap((line) => [...line.matchAll(/(B0[A-Z0-9]{8})\s+(\d+)/g)].map((m) => [m[1]!, Number(m[2])])));
}

describe('the ASIN counter demo', () => {
  test("migrated in run 1 and killed without warning in run 2, it ends with exactly the feed's counts: no offer lost, none counted twice", async () => {
    const truth = countOffers(generateFeed());
    const offers = Object.values(truth).reduce((sum, n) => sum + n, 0);
    // Paced by the job's own progress lines, not by the clock: migrated at offer 100 in run 1,
    // killed at offer 400 in run 2, whatever the speed of the machine (each leaves ≥ 2.3 s of
    // work, 10 ms per offer, for the simulator to react in). persistState every 0.5 s: run 2
    // saves some progress before its kill, and redoes the rest.
    const { code, stdout, stderr } = await runCli(
      [
        'simulate',
        '--storage',
        storage(),
        '--migrate-on',
        '100 of 630 offers counted',
        '--grace',
        '1',
        '--kill-on',
        '400 of 630 offers counted',
        '--persist-interval',
        '0.5',
        '--',
        process.execPath,
        '--import',
        'tsx',
        path.join('demos', 'asin-counter', 'main.ts'),
      ],
      { ASIN_WORK_MS: '10', ASIN_LOG_EVERY_MS: '500' },
      60_000,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    // The simulator's timeline: a migration, a kill, two restarts, the job finished.
    expect(stdout).toMatch(/run 1 printed "100 of 630 offers counted"\n.*sending migrating \(timeRemainingSecs: 1\) to 1 connection/);
    expect(stdout).toMatch(/run 1: migrating sent; grace time over, killing it \(SIGKILL\)/);
    expect(stdout).toMatch(/run 2 printed "400 of 630 offers counted"\n.*run 2: killing it without warning \(SIGKILL\)/);
    expect(stdout).toMatch(/^\[asin-counter run 2\] 400 of 630 offers counted$/m);
    expect(stdout).toMatch(/restarting on the same storage \(restart 2 of 2\)/);
    expect(stdout).toMatch(/summary: the job finished \(exit code 0\); 3 runs, 2 restarts/);

    // The job: stopped on migrating, then each later run resumed where the saved state said.
    expect(stdout).toMatch(/^\[asin-counter run 1\] fresh start: \d+ offers for 40 products/m);
    expect(stdout).toMatch(/^\[asin-counter run 1\] migrating \(1 s left\): taking no more offers; the store saves at once/m);
    const stoppedAt = Number(/^\[asin-counter run 1\] stopped at offer (\d+) of \d+, saved/m.exec(stdout)?.[1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(100);
    expect(stoppedAt).toBeLessThan(400);
    const resumed = [...stdout.matchAll(/^\[asin-counter run (\d)\] resuming at offer (\d+) of/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(resumed.map(([run]) => run)).toEqual([2, 3]);
    expect(resumed[0]![1]).toBe(stoppedAt); // migrating saved at once: nothing lost
    expect(resumed[1]![1]).toBeGreaterThanOrEqual(stoppedAt); // the kill lost at most what run 2 had not saved yet
    expect(stdout).toMatch(/^\[asin-counter run \d\] counts so far: \d+ of \d+ offers, \d+ products$/m); // the periodic map

    // The counts, printed and stored, are the feed's own.
    expect(stdout).toMatch(new RegExp(`^done: ${offers} offers counted for 40 products$`, 'm'));
    expect(finalCountsOf(stdout)).toEqual(truth);
    expect(await readSimulatedState(storage(), 'ASIN_COUNTS')).toEqual({ next: offers, counts: truth });
  }, 65_000);

  test('the feed is deterministic: 40 ASINs (B0 + 8 characters) with 1 to 30 offers each', () => {
    const counts = countOffers(generateFeed());
    expect(countOffers(generateFeed())).toEqual(counts);
    expect(Object.keys(counts)).toHaveLength(40);
    for (const [asin, n] of Object.entries(counts)) {
      expect(asin).toMatch(/^B0[A-Z0-9]{8}$/);
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(30);
    }
  });
});
