import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { settle, stampOf } from '../../src/adapters/folder-stamp.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('folder-stamp');

describe('folder stamps', () => {
  test('a name created, renamed over or removed in the folder changes its stamp; writing a file in it does not', async () => {
    const dir = tempDir();
    await fs.writeFile(path.join(dir, 'K.json.journal'), 'a\n');
    const changes: Array<[string, () => Promise<void>, boolean]> = [
      ['a write in place', () => fs.appendFile(path.join(dir, 'K.json.journal'), 'b\n'), false],
      ['a name created', () => fs.writeFile(path.join(dir, 'other'), ''), true],
      ['a rename over the journal', () => fs.rename(path.join(dir, 'other'), path.join(dir, 'K.json.journal')), true],
      ['a name removed', () => fs.rm(path.join(dir, 'K.json.journal')), true],
    ];
    for (const [what, change, changes_] of changes) {
      const before = stampOf(dir);
      await change();
      expect({ what, changed: stampOf(dir) !== before }).toEqual({ what, changed: changes_ });
    }
  });

  test('the folder replaced by another at its path, or gone: another stamp, or none', async () => {
    const dir = path.join(tempDir(), 'kv');
    await fs.mkdir(dir);
    const before = stampOf(dir);
    await fs.rename(dir, `${dir}.old`);
    expect(stampOf(dir)).toBeUndefined();
    await fs.mkdir(dir);
    expect(stampOf(dir)).not.toBe(before);
    await fs.writeFile(path.join(tempDir(), 'file'), '');
    expect(stampOf(path.join(tempDir(), 'file'))).toBeUndefined(); // not a folder
    expect(stampOf(path.join(tempDir(), 'file', 'below'))).toBeUndefined(); // ENOTDIR
  });

  test('trusted only once seen unchanged over more than 20 ms, or 2.5 s where the file system keeps whole seconds', () => {
    const fine = '1:2:1764560000123456789:1764560000123456789';
    expect(settle(undefined, fine, 0).trusted).toBe(false);
    expect(settle(settle(undefined, fine, 0), fine, 20).trusted).toBe(false);
    const trusted = settle(settle(undefined, fine, 0), fine, 21);
    expect(trusted.trusted).toBe(true);
    expect(settle(trusted, fine, 10_000)).toBe(trusted);
    expect(settle(trusted, '1:2:1764560000123456790:1764560000123456790', 10_000)).toEqual({
      value: '1:2:1764560000123456790:1764560000123456790',
      since: 10_000,
      trusted: false,
    });

    const coarse = '1:2:1764560000000000000:1764560000000000000';
    expect(settle(settle(undefined, coarse, 0), coarse, 2_000).trusted).toBe(false);
    expect(settle(settle(undefined, coarse, 0), coarse, 2_501).trusted).toBe(true);
  });
});
