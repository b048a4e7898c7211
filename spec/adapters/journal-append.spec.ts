import { jest } from '@jest/globals';
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import {
  dataSyncFlag,
  journalAppend,
  type JournalAppend,
  SLOW_SYNC_APPENDS_IN_A_ROW,
  SYNC_APPEND_MAX_BYTES,
  THREAD_POOL_APPENDS_AFTER_SLOW,
} from '../../src/adapters/journal-append.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('journal-append');

/** A journal opened as the file adapter opens it on Linux, with the handle's thread-pool calls counted. */
async function journal(dataSync = constants.O_DSYNC) {
  const file = path.join(tempDir(), 'K.json.journal');
  const handle = await fs.open(file, constants.O_RDWR | constants.O_CREAT | dataSync);
  const write = jest.spyOn(handle, 'write');
  const datasync = jest.spyOn(handle, 'datasync');
  return { file, handle, write, datasync };
}

/** `append`, each call writing where the one before ended, as the file adapter calls it. */
function inOrder(append: JournalAppend): (handle: FileHandle, data: Buffer) => Promise<void> {
  let end = 0;
  return async (handle, data) => {
    await append(handle, data, end);
    end += data.length;
  };
}

describe('journalAppend', () => {
  test('O_DSYNC on Linux only', () => {
    expect(dataSyncFlag('linux')).toBe(constants.O_DSYNC);
    expect(dataSyncFlag('darwin')).toBe(0);
    expect(dataSyncFlag('win32')).toBe(0);
  });

  test('a small append to an O_DSYNC journal is written on the main thread: no thread-pool write, no datasync', async () => {
    const { file, handle, write, datasync } = await journal();
    const append = inOrder(journalAppend(constants.O_DSYNC));
    await append(handle, Buffer.from('{"seq":1}\n'));
    await append(handle, Buffer.from('{"seq":2}\n'));
    expect(write).not.toHaveBeenCalled();
    expect(datasync).not.toHaveBeenCalled();
    await handle.close();
    expect(await fs.readFile(file, 'utf8')).toBe('{"seq":1}\n{"seq":2}\n');
  });

  test('each append is written at the position it is given, in the room past the records (no file size changes)', async () => {
    const { file, handle } = await journal();
    await handle.truncate(16);
    await journalAppend(constants.O_DSYNC)(handle, Buffer.from('ab\n'), 0);
    await journalAppend(0)(handle, Buffer.from('cd\n'), 3); // the thread pool's write
    await handle.close();
    expect(await fs.readFile(file)).toEqual(Buffer.concat([Buffer.from('ab\ncd\n'), Buffer.alloc(10)]));
  });

  test('a large append goes through the thread pool, whole', async () => {
    const { file, handle, write } = await journal();
    const big = Buffer.alloc(SYNC_APPEND_MAX_BYTES + 1, 'x');
    await journalAppend(constants.O_DSYNC)(handle, big, 0);
    expect(write).toHaveBeenCalled();
    await handle.close();
    expect((await fs.stat(file)).size).toBe(big.length);
  });

  test('one slow main-thread append (an outlier) sends nothing through the thread pool', async () => {
    const { handle, write } = await journal();
    let clock = 0;
    let step = 10; // ms each reading of the clock moves
    const append = inOrder(journalAppend(constants.O_DSYNC, () => (clock += step)));
    await append(handle, Buffer.from('a\n'));
    step = 0;
    await append(handle, Buffer.from('b\n'));
    step = 10;
    await append(handle, Buffer.from('c\n'));
    step = 0;
    await append(handle, Buffer.from('d\n'));
    await append(handle, Buffer.from('e\n'));
    expect(write).toHaveBeenCalledTimes(0);
    await handle.close();
  });

  test(`after ${SLOW_SYNC_APPENDS_IN_A_ROW} slow main-thread appends in a row, the next ${THREAD_POOL_APPENDS_AFTER_SLOW} go through the thread pool; then one slow append sends them back`, async () => {
    const { file, handle, write } = await journal();
    let clock = 0;
    let step = 10;
    const append = inOrder(journalAppend(constants.O_DSYNC, () => (clock += step)));
    for (let i = 0; i < SLOW_SYNC_APPENDS_IN_A_ROW; i++) await append(handle, Buffer.from('a\n'));
    expect(write).toHaveBeenCalledTimes(0);
    step = 0;
    for (let i = 0; i < THREAD_POOL_APPENDS_AFTER_SLOW; i++) await append(handle, Buffer.from('b\n'));
    expect(write).toHaveBeenCalledTimes(THREAD_POOL_APPENDS_AFTER_SLOW);
    step = 10;
    await append(handle, Buffer.from('c\n')); // on the main thread, slow: the disk is still slow
    expect(write).toHaveBeenCalledTimes(THREAD_POOL_APPENDS_AFTER_SLOW);
    step = 0;
    for (let i = 0; i < THREAD_POOL_APPENDS_AFTER_SLOW; i++) await append(handle, Buffer.from('d\n'));
    expect(write).toHaveBeenCalledTimes(2 * THREAD_POOL_APPENDS_AFTER_SLOW);
    await append(handle, Buffer.from('e\n')); // on the main thread, fast: it stays there
    await append(handle, Buffer.from('f\n'));
    expect(write).toHaveBeenCalledTimes(2 * THREAD_POOL_APPENDS_AFTER_SLOW);
    await handle.close();
    const b = 'b\n'.repeat(THREAD_POOL_APPENDS_AFTER_SLOW);
    const d = 'd\n'.repeat(THREAD_POOL_APPENDS_AFTER_SLOW);
    expect(await fs.readFile(file, 'utf8')).toBe(`${'a\n'.repeat(SLOW_SYNC_APPENDS_IN_A_ROW)}${b}c\n${d}e\nf\n`);
  });

  test('without O_DSYNC each append is a write and a datasync', async () => {
    const { file, handle, write, datasync } = await journal(0);
    await journalAppend(0)(handle, Buffer.from('{"seq":1}\n'), 0);
    expect(write).toHaveBeenCalledTimes(1);
    expect(datasync).toHaveBeenCalledTimes(1);
    await handle.close();
    expect(await fs.readFile(file, 'utf8')).toBe('{"seq":1}\n');
  });

  test('slow main-thread writes that fail still send the next appends through the thread pool', async () => {
    const file = path.join(tempDir(), 'read-only');
    await fs.writeFile(file, '');
    const handle = await fs.open(file, constants.O_RDONLY);
    const write = jest.spyOn(handle, 'write');
    let clock = 0;
    const append = inOrder(journalAppend(constants.O_DSYNC, () => (clock += 10)));
    try {
      for (let i = 0; i < SLOW_SYNC_APPENDS_IN_A_ROW; i++) await expect(append(handle, Buffer.from('a\n'))).rejects.toMatchObject({ code: 'EBADF' });
      expect(write).not.toHaveBeenCalled();
      await expect(append(handle, Buffer.from('b\n'))).rejects.toMatchObject({ code: 'EBADF' });
      expect(write).toHaveBeenCalledTimes(1);
    } finally {
      await handle.close();
    }
  });

  test('an append to a closed journal rejects with EBADF', async () => {
    const { handle } = await journal();
    await handle.close();
    await expect(journalAppend(constants.O_DSYNC)(handle, Buffer.from('x\n'), 0)).rejects.toMatchObject({ code: 'EBADF' });
  });

  test('a write that takes none of the bytes is an error, not a loop', async () => {
    const { handle, write } = await journal(0);
    write.mockResolvedValueOnce({ bytesWritten: 0, buffer: Buffer.alloc(0) } as never); // no real file does this
    // A second call would be the retry loop: it fails here, where resolving 0 again would spin on microtasks and hang jest past its timeout.
    write.mockRejectedValue(new Error('written again after a write that took no byte: a retry loop'));
    try {
      await expect(journalAppend(0)(handle, Buffer.from('x\n'), 0)).rejects.toThrow('took none of the 2 bytes');
    } finally {
      await handle.close();
    }
  });

  test('a failed main-thread write rejects with the error of the system call', async () => {
    const file = path.join(tempDir(), 'read-only');
    await fs.writeFile(file, '');
    const handle = await fs.open(file, constants.O_RDONLY);
    try {
      await expect(journalAppend(constants.O_DSYNC)(handle, Buffer.from('x\n'), 0)).rejects.toMatchObject({ code: 'EBADF' });
    } finally {
      await handle.close();
    }
  });
});
