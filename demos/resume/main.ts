// `npm run demo`: runs the job, kills it with SIGKILL (no warning, no handler runs) half way,
// starts it again, and reports how much work the crash cost.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const storage = mkdtempSync(path.join(tmpdir(), 'rxps-demo-'));
const workLog = path.join(storage, 'work.log');

function run(killAfterMs?: number): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'job.ts'), workLog], {
    env: { ...process.env, CRAWLEE_STORAGE_DIR: storage },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => {
    console.log(`-- SIGKILL to pid ${child.pid} after ${killAfterMs} ms`);
    child.kill('SIGKILL');
  }, killAfterMs);
  return once(child, 'exit').then(([code]) => {
    clearTimeout(timer);
    return code as number | null;
  });
}

const started = Date.now();
console.log(`-- run 1 (state in ${storage})`);
await run(2_000);
console.log('-- run 2');
const code = await run();
const worked = readFileSync(workLog, 'utf8').trim().split('\n');
const redone = worked.length - new Set(worked).size;
const state = JSON.parse(readFileSync(path.join(storage, 'key_value_stores', 'default', 'RESUME_DEMO.json'), 'utf8'));
console.log(`\nreport: exit code ${code}; ${state.state.count} of 1500 items done; ${worked.length} item runs, ` +
  `${redone} redone after the kill (at most maxWaitMs of work); total ${Date.now() - started} ms`);
rmSync(storage, { recursive: true, force: true });
if (code !== 0 || state.state.count !== 1500) process.exit(1);
