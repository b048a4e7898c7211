import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { killAll, outputOf, runCli, startCli, waitForLine } from '../support/processes.js';
import { readSimulatedState } from '../support/stored-state.js';
import { useTempDir } from '../support/temp-dir.js';

const storage = useTempDir('simulate');
afterEach(killAll);

const job = (fixture: string) => [process.execPath, '--import', 'tsx', path.join('spec', 'fixtures', `${fixture}.ts`)];
// Bounds, not pacing: generous, so that a busy machine (2 CPU burners on 2 cores: 30 s for the SDK job's test) stays inside.
const BOUND_MS = 80_000;
const TEST_MS = BOUND_MS + 10_000;
const simulate = (flags: string[], fixture: string, env: NodeJS.ProcessEnv = {}) =>
  runCli(['simulate', '--storage', storage(), ...flags, '--', ...job(fixture)], env, BOUND_MS);

/** The values a run of `simulated-job` printed: where it started and the counts it reached. */
function runsOf(stdout: string): Array<{ start: number; counts: number[] }> {
  const runs: Array<{ start: number; counts: number[] }> = [];
  for (const line of stdout.split('\n')) {
    const start = /^job run \d+ starts at (\d+)/.exec(line);
    if (start) runs.push({ start: Number(start[1]), counts: [] });
    const count = /^job count (\d+)/.exec(line);
    if (count) runs.at(-1)!.counts.push(Number(count[1]));
  }
  return runs;
}

/** What the next run would restore of `key`, read through the emulated API as the job reads it. */
const stored = <T>(key: string) => readSimulatedState<T>(storage(), key);

describe('rx-persistent-store simulate', () => {
  test(
    'migrating: the job hears it on the platform socket, its store writes at once, and the next run starts exactly where it stopped',
    async () => {
      // Paced by the job's count, not by the clock. The store's window is 60 s: only the migration
      // can have written the state before the kill.
      const { code, stdout } = await simulate(['--migrate-on', 'job count 20', '--grace', '1'], 'simulated-job', { SIM_TARGET: '80' });
      expect(code).toBe(0);
      expect(stdout).toMatch(/run 1 printed "job count 20"\n.*sending migrating \(timeRemainingSecs: 1\) to 1 connection/);
      expect(stdout).toContain('job event migrating {"timeRemainingSecs":1}');
      expect(stdout).toMatch(/run 1: migrating sent; grace time over, killing it \(SIGKILL\)/);
      expect(stdout).toMatch(/run 1 killed by SIGKILL\n.*restarting on the same storage \(restart 1 of 1\)/);
      const [first, second] = runsOf(stdout);
      expect(first!.start).toBe(0);
      expect(second!.start).toBe(first!.counts.at(-1));
      expect(second!.start).toBeGreaterThanOrEqual(20);
      expect(stdout).toMatch(/summary: the job finished \(exit code 0\); 2 runs, 1 restart/);
      expect(stdout).toMatch(/run 1: .*migrate at \d+\.\d s \(on "job count 20"\), then killed by SIGKILL/);
      expect((await stored<{ count: number }>('SIM_COUNTER'))?.count).toBe(80); // through the emulated key-value store API
    },
    TEST_MS,
  );

  test(
    'aborting works the same way; each disruption hits the next run, in the order given',
    async () => {
      // --persist-interval 0.3 with --grace 0.5: a persistState is due during run 1's grace time, while it is connected.
      const { code, stdout } = await simulate(
        ['--abort-on', 'job count 10', '--kill-on', 'job count 60', '--grace', '0.5', '--persist-interval', '0.3'],
        'simulated-job',
        { SIM_TARGET: '100' },
      );
      expect(code).toBe(0);
      expect(stdout).toContain('job event aborting {}');
      expect(stdout).toMatch(/run 2 printed "job count 60"\n.*run 2: killing it without warning \(SIGKILL\), like a crashed server/);
      expect(stdout).toMatch(/sending persistState to 1 connection/);
      const [first, second, third] = runsOf(stdout);
      expect(second!.start).toBe(first!.counts.at(-1)); // aborting wrote at once
      expect(second!.counts).toContain(60);
      // The kill gave no warning: run 3 starts from the last persistState write of run 2, no later than its last count.
      expect(third!.start).toBeGreaterThanOrEqual(second!.start);
      expect(third!.start).toBeLessThanOrEqual(second!.counts.at(-1)!);
      expect(stdout).toMatch(
        /run 1: .*abort at \d+\.\d s \(on "job count 10"\), then killed by SIGKILL\n.*run 2: .*kill at \d+\.\d s \(on "job count 60"\), then killed by SIGKILL\n.*run 3: .*exited with code 0/,
      );
    },
    TEST_MS,
  );

  test(
    'a warning paced on a line the job prints before it connects waits for its connection; the timed ones count from it',
    async () => {
      const { code, stdout } = await simulate(['--abort-on', 'job ready', '--migrate-after', '0', '--grace', '0.5'], 'simulated-job', {
        SIM_TARGET: '20',
        SIM_SAY_FIRST: 'job ready',
      });
      expect(code).toBe(0);
      // Run 1: the line comes before the connection (the job prints it before it opens its store).
      expect(stdout).toMatch(
        /run 1 printed "job ready"; aborting waits until it connects to the events socket\n(?:.*\n)*?.*run 1 connected to the events socket\n.*sending aborting to 1 connection/,
      );
      // Run 2: 0 s after its connection, not after its start.
      expect(stdout).toMatch(/run 2 connected to the events socket\n(?:.*\n)*?.*sending migrating \(timeRemainingSecs: 0\.5\) to 1 connection/);
      expect(stdout.match(/^job event (aborting|migrating) /gm)).toEqual(['job event aborting ', 'job event migrating ']);
      expect(stdout).not.toMatch(/to 0 connections/);
      expect(stdout).toMatch(/run 2: .*migrate at \d+\.\d s \(0 s after the run connected\), then killed by SIGKILL/);
      expect(stdout).toMatch(/summary: the job finished \(exit code 0\); 3 runs, 2 restarts/);
    },
    TEST_MS,
  );

  test(
    'a run that never prints the text ends by itself; the timeline says its disruption did not happen',
    async () => {
      const { code, stdout } = await simulate(['--kill-on', 'job count 999'], 'simulated-job', { SIM_TARGET: '5' });
      expect(code).toBe(0);
      expect(stdout).toMatch(/run 1 exited with code 0\n.*run 1 ended before its kill \(on "job count 999"\)/);
      expect(stdout).toMatch(/summary: the job finished \(exit code 0\); 1 run, 0 restarts/);
    },
    TEST_MS,
  );

  test(
    "systemInfo carries readings of the job's own processes",
    async () => {
      // The job ends only once it has heard a systemInfo, however slow the readings come.
      const { stdout } = await simulate([], 'simulated-job', { SIM_TARGET: '3', SIM_AWAIT_EVENT: 'systemInfo' });
      const info = JSON.parse(/^job systemInfo (.*)$/m.exec(stdout)![1]!);
      expect(info.memCurrentBytes).toBeGreaterThan(10 * 2 ** 20); // a Node process's resident memory
      expect(info.memCurrentBytes).toBeLessThan(info.memMaxBytes);
      expect(info.cpuCurrentUsage).toBeGreaterThanOrEqual(0);
      expect(Date.parse(info.createdAt)).not.toBeNaN();
    },
    TEST_MS,
  );

  test(
    'a job that keeps failing is restarted until the restarts run out; the exit code says it did not finish',
    async () => {
      const { code, stdout } = await simulate(['--restarts', '1'], 'simulated-job', { SIM_TARGET: '3', SIM_EXIT_CODE: '3' });
      expect(code).toBe(1);
      expect(stdout).toMatch(/run 1 exited with code 3\n.*restarting on the same storage \(restart 1 of 1\)/);
      expect(stdout).toMatch(/no restarts left \(--restarts 1\)/);
      expect(stdout).toMatch(/summary: the job did not finish: its last run exited with code 3; 2 runs, 1 restart/);
    },
    TEST_MS,
  );

  test(
    'a job written with the real Apify SDK: its events arrive, its useState and dataset go through the emulated API, its reboot on migrating restarts it',
    async () => {
      const { code, stdout, stderr } = await simulate(['--migrate-on', 'sdk count 50', '--grace', '5', '--persist-interval', '1'], 'apify-sdk-job');
      expect({ code, stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/not emulate/) });
      expect(stdout).toContain('sdk migrating {"timeRemainingSecs":5}');
      expect(stdout).toContain('sdk persistState {"isMigrating":true}');
      expect(stdout).toMatch(/run 1 asked for a reboot: killing it \(SIGKILL\), as the platform does/);
      const resumedAt = Number(/^sdk run 2 starts at (\d+)/m.exec(stdout)![1]);
      expect(resumedAt).toBeGreaterThanOrEqual(50); // the SDK persisted useState before its reboot
      // Written by the SDK, not by a store: one record, as it is.
      expect(JSON.parse(await fs.readFile(path.join(storage(), 'key_value_stores', 'default', 'SDK_STATE.json'), 'utf8'))).toEqual({ count: 150 });
      expect(JSON.parse(await fs.readFile(path.join(storage(), 'datasets', 'default', '000000001.json'), 'utf8'))).toEqual({ count: 150 });
      expect(stdout).not.toContain('does not emulate');
    },
    TEST_MS,
  );

  test(
    'SIGTERM to the simulator: passed on to the job, no restart, exit code 143',
    async () => {
      const simulator = startCli(['simulate', '--storage', storage(), '--grace', '5', '--', ...job('simulated-job')], {
        SIM_TARGET: '100000',
        SIM_STEP_MS: '5',
      });
      const done = outputOf(simulator, BOUND_MS);
      await waitForLine(simulator, /^job count 5$/, BOUND_MS);
      simulator.kill('SIGTERM');
      const { code, stdout } = await done;
      expect(code).toBe(143);
      expect(stdout).toMatch(/stopping: SIGTERM to run 1/);
      expect(stdout).toMatch(/run 1 exited with code 143/); // the library's own SIGTERM handling: flushed, closed
      expect(stdout).toMatch(/summary: stopped from outside; 1 run, 0 restarts/);
      const counts = runsOf(stdout)[0]!.counts;
      expect((await stored<{ count: number }>('SIM_COUNTER'))?.count).toBe(counts.at(-1));
    },
    TEST_MS,
  );

  describe('bad input: one line on stderr, no stack trace, a non-zero exit', () => {
    test.each([
      [['simulate', '--migrate-afterr', '5', '--', 'node'], 2, /^rx-persistent-store: simulate: Unknown option '--migrate-afterr'.*\(--help for usage\)\n$/],
      [['simulate', '--migrate-after', '5'], 2, /no job command: give it after --/],
      [['simulate', '--migrate-after', 'soon', '--', 'node'], 2, /--migrate-after: expected a number of seconds \(≥ 0, at most 2147483\), got "soon"/],
      [['simulate', '--persist-interval', '0', '--', 'node'], 2, /--persist-interval: expected a number of seconds \(> 0, at most 2147483\), got "0"/],
      [['simulate', '--grace', '3000000', '--', 'node'], 2, /--grace: expected a number of seconds \(≥ 0, at most 2147483\), got "3000000"/],
      [['simulate', '--kill-on'], 2, /^rx-persistent-store: simulate: Option '--kill-on <value>' argument missing \(--help for usage\)\n$/],
      [['simulate', '--migrate-on', '--grace', '1', '--', 'node'], 2, /Option '--migrate-on' argument is ambiguous/],
      [['simulate', '--abort-on=', '--', 'node'], 2, /--abort-on: expected a text to wait for in the job's output, got ""/],
      [['simulate', '--abort-on', 'a\nb', '--', 'node'], 2, /--abort-on: the text must be on one line .*, got "a\\nb"/],
      [['simulate', '--restarts=-1', '--', 'node'], 2, /--restarts: expected a whole number ≥ 0, got "-1"/],
      [['simulate', '--restarts', '-1', '--', 'node'], 2, /argument is ambiguous.* use '--restarts=-XYZ'/],
      [['simulate', 'node', 'job.js'], 2, /put the job's command after --/],
      [['simulate', '--', '/no/such/command'], 1, /cannot start "\/no\/such\/command": spawn \/no\/such\/command ENOENT/],
      [['frobnicate'], 2, /unknown command "frobnicate"; expected simulate or inspect/],
      [[], 2, /^$/],
    ])('%j → exit %i', async (args, expectedCode, message) => {
      const { code, stderr } = await runCli(args, { CRAWLEE_STORAGE_DIR: storage() });
      expect(code).toBe(expectedCode);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split('\n').length).toBeLessThanOrEqual(1);
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  });
});
