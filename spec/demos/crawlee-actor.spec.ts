import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { outputOf } from '../support/processes.js';
import { useTempDir } from '../support/temp-dir.js';

const storage = useTempDir('crawlee-actor-demo');

describe('the Crawlee actor demo (demos/crawlee-actor/)', () => {
  test('migrated, then killed without warning, the real Crawlee actor ends with every page in its dataset; the timeline shows the locks run 2 left', async () => {
    // Paced by the pages the actor counts; locks shortened to 15 s so that run 3 waits 15 s at most, not 60.
    const env = { ...process.env, DEMO_STORAGE: storage(), CRAWL_LOCK_SECS: '15' };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('demos', 'crawlee-actor', 'main.ts')], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const { code, stdout } = await outputOf(child, 200_000);
    expect(code).toBe(0);
    expect(stdout).toMatch(/run 2 left \d+ request locks? in queue default/);
    expect(stdout).toMatch(/run 3 finds \d+ requests? of queue default still locked by/);
    expect(stdout).toMatch(/^ {2}pages in the dataset {2}331 of 331$/m);
    expect(stdout).toMatch(/^ {2}restarts {14}2 \(run 1: migrate, run 2: kill, run 3: finished\)$/m);
  }, 220_000);
});
