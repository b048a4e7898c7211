import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { killAll } from './processes.js';

/**
 * A fresh temporary folder for each test (or one for the file with `'all'`), removed afterwards
 * together with any fixture process still running. Returns a getter for its path.
 */
export function useTempDir(prefix: string, scope: 'each' | 'all' = 'each'): () => string {
  let dir = '';
  const [before, after] = scope === 'each' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), `rxps-${prefix}-`));
  });
  after(async () => {
    await killAll();
    await fs.rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}
