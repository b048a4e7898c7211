import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { startFixture, waitForLine } from '../support/processes.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('exit');

async function runToExit(mode: 'close' | 'forget') {
  const child = startFixture('exit-naturally', [tempDir(), mode]);
  const exited = once(child, 'exit');
  await waitForLine(child, /^returning/);
  // bounded: a store that kept the process alive would hit the test timeout instead
  const [code] = (await exited) as [number | null];
  const stored = JSON.parse(await fs.readFile(path.join(tempDir(), 'EXIT.json'), 'utf8'));
  return { code, state: stored.state, files: (await fs.readdir(tempDir())).sort() };
}

describe('the process can exit', () => {
  test('after close(): everything is written and nothing keeps the process alive', async () => {
    expect(await runToExit('close')).toEqual({ code: 0, state: { n: 42 }, files: ['EXIT.json'] });
  }, 20_000);

  test('without close(): the pending write still lands before the process exits on its own', async () => {
    const { code, state, files } = await runToExit('forget');
    expect({ code, state }).toEqual({ code: 0, state: { n: 42 } });
    expect(files).toEqual(['EXIT.json', 'EXIT.json~lock.1']); // a stale lock, taken over by the next run
  }, 20_000);
});
