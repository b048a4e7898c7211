import { jest } from '@jest/globals';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { dataSyncFlag, journalAppend, SYNC_APPEND_MAX_BYTES, THREAD_POOL_APPENDS_AFTER_SLOW } from '../../src/adapters/journal-append.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('journal-append');

/** A journal opened as the file adapter opens it on Linux, with the handle's thread-pool calls counted. */
async function journal(dataSync = constants.O_DSYNC) {
  const file = path.join(tempDir(), 'K.json.journal');
  const handle = await fs.open(file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | dataSync);
  const write = jest.spyOn(handle, 'write');
  const datasync = jest.spyOn(handle, 'datasync');
  return { file, handle, write, datasync };
}

describe('journalAppend', () => {
  test('O_DSYNC on Linux only', () => {
    expect(dataSyncFlag('linux')).toBe(constants.O_DSYNC);
    expect(dataSyncFlag('darwin')).toBe(0);
    expect(dataSyncFlag('win32')).toBe(0);
  });

  test('a small append to an O_DSYNC journal is written on the main thread: no thread-pool write, no datasync', async () => {
    const { file, handle, write, datasync } = await journal();
    const append = journalAppend(constants.O_DSYNC);
    await append(handle, Buffer.from('{"seq":1}\n'));
    await append(handle, Buffer.from('{"seq":2}\n'));
    expect(write).not.toHaveBeenCalled();
    expect(datasync).not.toHaveBeenCalled();
    await handle.close();
    expect(await fs.readFile(file, 'utf8')).toBe('{"seq":1}\n{"seq":2}\n');
  });

  test('a large append goes through the thread pool, whole', async () => {
    const { file, handle, write } = await journal();
    const big = Buffer.alloc(SYNC_APPEND_MAX_BYTES + 1, 'x');
    await journalAppend(constants.O_DSYNC)(handle, big);
    expect(write).toHaveBeenCalled();
    await handle.close();
    expect((await fs.stat(file)).size).toBe(big.length);
  });

  test(`after a slow main-thread append, the next ${THREAD_POOL_APPENDS_AFTER_SLOW} go through the thread pool, then the main thread is tried again`, async () => {
    const { file, handle, write } = await journal();
    let clock = 0;
    let step = 10; // ms each reading of the clock moves: the first append is slow
    const append = journalAppend(constants.O_DSYNC, () => (clock += step));
    await append(handle, Buffer.from('a\n'));
    expect(write).toHaveBeenCalledTimes(0);
    step = 0;
    for (let i = 0; i < THREAD_POOL_APPENDS_AFTER_SLOW; i++) await append(handle, Buffer.from('b\n'));
    expect(write).toHaveBeenCalledTimes(THREAD_POOL_APPENDS_AFTER_SLOW);
    await append(handle, Buffer.from('c\n'));
    expect(write).toHaveBeenCalledTimes(THREAD_POOL_APPENDS_AFTER_SLOW);
    await handle.close();
    expect(await fs.readFile(file, 'utf8')).toBe(`a\n${'b\n'.repeat(THREAD_POOL_APPENDS_AFTER_SLOW)}c\n`);
  });

  test('without O_DSYNC each append is a write and a datasync', async () => {
    const { file, handle, write, datasync } = await journal(0);
    await journalAppend(0)(handle, Buffer.from('{"seq":1}\n'));
    expect(write).toHaveBeenCalledTimes(1);
    expect(datasync).toHaveBeenCalledTimes(1);
    await handle.close();
    expect(await fs.readFile(file, 'utf8')).toBe('{"seq":1}\n');
  });

  test('a failed main-thread write rejects with the error of the system call', async () => {
    const file = path.join(tempDir(), 'read-only');
    await fs.writeFile(file, '');
    const handle = await fs.open(file, constants.O_RDONLY);
    try {
      await expect(journalAppend(constants.O_DSYNC)(handle, Buffer.from('x\n'))).rejects.toMatchObject({ code: 'EBADF' });
    } finally {
      await handle.close();
    }
  });
});
