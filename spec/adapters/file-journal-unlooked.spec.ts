import { jest } from '@jest/globals';
import * as realFs from 'node:fs';
import * as path from 'node:path';
import { useTempDir } from '../support/temp-dir.js';

// Which paths the adapter stats is what is checked here: lstatSync is wrapped (before the adapter loads) to record them.
const lstatSync = jest.fn(realFs.lstatSync);
jest.unstable_mockModule('node:fs', () => ({ ...realFs, default: { ...realFs, lstatSync }, lstatSync }));
const { fileAdapter } = await import('../../src/adapters/file-adapter.js');
const { StorageReplacedError } = await import('../../src/errors.js');

const tempDir = useTempDir('journal-unlooked');
const { promises: fs } = realFs;

describe('an append while the folder is unchanged does not stat the journal (folder-stamp.ts); a journal replaced then is still refused', () => {
  test.each([
    ['removed', (journal: string) => fs.rm(journal)],
    [
      'renamed over',
      async (journal: string) => {
        await fs.writeFile(`${journal}.new`, '');
        await fs.rename(`${journal}.new`, journal);
      },
    ],
  ])('%s', async (_, change) => {
    const adapter = fileAdapter({ dir: tempDir() });
    const release = await adapter.lock!('K');
    await adapter.write('K', { n: 0 });
    await adapter.append!('K', [{ n: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 60)); // longer than a tick of the file system's clock
    await adapter.append!('K', [{ n: 2 }]);
    lstatSync.mockClear();
    await adapter.append!('K', [{ n: 3 }]);
    const journal = path.join(tempDir(), 'K.json.journal');
    const looked = lstatSync.mock.calls.map(([file]) => String(file));
    // The folder (its stamp) before the write; after it, the folder and the snapshot (written in
    // place?). Not the journal (the case at hand), nor the lock file, whose name the stamp covers too.
    expect(looked.sort()).toEqual([tempDir(), tempDir(), path.join(tempDir(), 'K.json')].sort());
    await change(journal);
    await expect(adapter.append!('K', [{ n: 4 }])).rejects.toThrow(StorageReplacedError);
    await release();
  });

  test('a lock file removed then is found, and taken again, at that append', async () => {
    const adapter = fileAdapter({ dir: tempDir() });
    const release = await adapter.lock!('K');
    await adapter.write('K', { n: 0 });
    await adapter.append!('K', [{ n: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await adapter.append!('K', [{ n: 2 }]);
    const lockFiles = async () => (await fs.readdir(tempDir())).filter((name) => name.startsWith('K.json~lock'));
    const [lockFile] = await lockFiles();
    await fs.rm(path.join(tempDir(), lockFile!));
    lstatSync.mockClear();
    await adapter.append!('K', [{ n: 3 }]);
    expect(lstatSync.mock.calls.map(([file]) => String(file))).toContain(path.join(tempDir(), lockFile!));
    expect(await lockFiles()).toHaveLength(1);
    await release();
  });
});
