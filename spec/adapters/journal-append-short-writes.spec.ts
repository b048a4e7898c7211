import { jest } from '@jest/globals';
import * as realFs from 'node:fs';
import * as path from 'node:path';
import { useTempDir } from '../support/temp-dir.js';

// A regular file on a local disk never takes part of a small write, so the main thread's
// writeSync is replaced here (before journal-append.ts is loaded) by one that takes fewer bytes.
const writeSync = jest.fn<(fd: number, data: Buffer, offset: number, length: number, position: number) => number>();
jest.unstable_mockModule('node:fs', () => ({ ...realFs, default: realFs, writeSync }));
const { journalAppend } = await import('../../src/adapters/journal-append.js');

const tempDir = useTempDir('journal-append-short');
const { constants, promises: fs } = realFs;

async function journal() {
  const file = path.join(tempDir(), 'K.json.journal');
  const handle = await fs.open(file, constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC);
  return { file, handle, write: jest.spyOn(handle, 'write') };
}

describe('journalAppend on the main thread, when a write takes fewer bytes than asked', () => {
  afterEach(() => writeSync.mockReset());

  test('the rest is written from where the last write stopped, on the main thread', async () => {
    const { file, handle, write } = await journal();
    // At most 3 bytes a call, from the offset asked: a wrong offset or an early stop shows in the file.
    writeSync.mockImplementation((fd, data, offset, length, position) => realFs.writeSync(fd, data, offset, Math.min(3, length), position));
    try {
      await journalAppend(constants.O_DSYNC, () => 0)(handle, Buffer.from('{"seq":1,"ops":[]}\n'), 0);
      expect(writeSync.mock.calls.map(([, , offset, , position]) => [offset, position])).toEqual([0, 3, 6, 9, 12, 15, 18].map((at) => [at, at]));
      expect(write).not.toHaveBeenCalled();
    } finally {
      await handle.close();
    }
    expect(await fs.readFile(file, 'utf8')).toBe('{"seq":1,"ops":[]}\n');
  });

  test('a write that takes none of the bytes left is an error, not a loop', async () => {
    const { handle } = await journal();
    writeSync.mockImplementationOnce((fd, data) => realFs.writeSync(fd, data, 0, 1, 0)).mockReturnValueOnce(0);
    writeSync.mockImplementation(() => {
      throw new Error('written again after a write that took no byte: a retry loop');
    });
    try {
      await expect(journalAppend(constants.O_DSYNC, () => 0)(handle, Buffer.from('x\n'), 0)).rejects.toThrow('took none of the 1 bytes');
    } finally {
      await handle.close();
    }
  });
});
