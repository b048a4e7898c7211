import { readFileSync } from 'node:fs';
import { runCli } from '../support/processes.js';

test('--version prints the package version and exits 0', async () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  for (const flag of ['--version', '-v']) {
    const { code, stdout } = await runCli([flag]);
    expect({ code, stdout }).toEqual({ code: 0, stdout: `${version}\n` });
  }
}, 60_000);
