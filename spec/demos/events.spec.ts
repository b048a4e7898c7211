import * as path from 'node:path';
import { runCli } from '../support/processes.js';
import { useTempDir } from '../support/temp-dir.js';

const storage = useTempDir('events-demo');

/** The job's line for an event: "<seconds> s  <name>  <text>". */
const line = (name: string, text: string) => new RegExp(`^ *\\d+\\.\\d s  ${name} +${text}$`, 'm');

describe('the events demo', () => {
  test('under the simulator it prints systemInfo readings, persistState, migrating with the time left and its connection; run 2 ends by itself with exit code 0', async () => {
    // Migrated once run 1 has heard a periodic persistState (so it is connected and has heard one),
    // not at a time: a timed warning could come before a slow job connects, or after a fast one ends.
    const { code, stdout, stderr } = await runCli(
      [
        'simulate',
        '--storage',
        storage(),
        '--migrate-on',
        'save now (periodic)',
        '--grace',
        '1',
        '--persist-interval',
        '0.5',
        '--',
        process.execPath,
        '--import',
        'tsx',
        path.join('demos', 'events', 'main.ts'),
      ],
      { EVENTS_DEMO_SECONDS: '4' },
      60_000,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^listening to the simulator's events socket \(run 1\) for 4 s$/m);
    expect(stdout).toMatch(line('\\[connected\\]', 'connected to ws://127\\.0\\.0\\.1:\\d+'));
    expect(stdout).toMatch(line('systemInfo', 'CPU \\d+\\.\\d %(?: \\(overloaded\\))?, memory \\d+\\.\\d MB of \\d+ MB'));
    expect(stdout).toMatch(line('persistState', 'save now \\(periodic\\)'));
    expect(stdout).toMatch(/run 1 printed "save now \(periodic\)"\n.*sending migrating \(timeRemainingSecs: 1\) to 1 connection/);
    expect(stdout).toMatch(line('migrating', '1 s left before the run is stopped and moved'));
    expect(stdout).toMatch(line('persistState', 'save now \\(isMigrating: true\\)')); // the library follows migrating with it
    // Run 1 is killed after the grace time; run 2 listens for its 4 s and exits 0.
    expect(stdout).toMatch(/run 1: migrating sent; grace time over, killing it \(SIGKILL\)/);
    expect(stdout).toMatch(/^listening to the simulator's events socket \(run 2\) for 4 s$/m);
    expect(stdout).toMatch(line('done', '\\d+ events in 4 s; peak CPU \\d+\\.\\d %, peak memory \\d+\\.\\d MB'));
    expect(stdout).toMatch(/run 2 exited with code 0/);
    expect(stdout).toMatch(/summary: the job finished \(exit code 0\); 2 runs, 1 restart/);
  }, 70_000);
});
