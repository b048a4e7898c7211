import { constants, type promises as fs, writeSync } from 'node:fs';

/**
 * The open flag that makes each journal write return once its data is on the device: O_DSYNC on
 * Linux, one system call where a write and an fdatasync were two. Nowhere else: on macOS an O_DSYNC
 * write, like fsync there, may leave the data in the drive's cache, which libuv's datasync flushes
 * (F_FULLFSYNC); Windows has no O_DSYNC. There each append is followed by a datasync.
 */
export const dataSyncFlag = (platform: string): number => (platform === 'linux' ? (constants.O_DSYNC ?? 0) : 0);

/** Appends at most this long are written on the main thread when the file is O_DSYNC. */
export const SYNC_APPEND_MAX_BYTES = 64 * 1024;
/** A main-thread append slower than this (a network or spinning disk, a saturated device)... */
export const SLOW_SYNC_APPEND_MS = 2;
/** ...sends this many of the next appends through libuv's thread pool instead. */
export const THREAD_POOL_APPENDS_AFTER_SLOW = 64;

/** Writes one journal append durably: resolves once `data` is on the device. */
export type JournalAppend = (handle: fs.FileHandle, data: Buffer) => Promise<void>;

/**
 * How a file adapter's appends reach the disk. On an O_DSYNC journal a small append is one
 * `writeSync` on the main thread: a hop through libuv's thread pool and back costs more than the
 * write itself on a local SSD (about 60 µs against 200 µs here, more when the pool or the CPUs are
 * busy), and the event loop is held only for that one write. When such a write takes longer than
 * SLOW_SYNC_APPEND_MS, the next THREAD_POOL_APPENDS_AFTER_SLOW appends go through the thread pool,
 * so that a slow disk holds the event loop once in that many writes at most. Without O_DSYNC
 * (`dataSync` 0) each append is an asynchronous write and datasync.
 *
 * @example
 * const append = journalAppend(dataSyncFlag(process.platform));
 * await append(handle, Buffer.from('{"seq":1}\n'));
 */
export function journalAppend(dataSync: number, now: () => number = () => performance.now()): JournalAppend {
  let viaThreadPool = 0;
  return async (handle, data) => {
    if (dataSync !== 0 && viaThreadPool === 0 && data.length <= SYNC_APPEND_MAX_BYTES) {
      const started = now();
      for (let offset = 0; offset < data.length;) offset += writeSync(handle.fd, data, offset);
      if (now() - started > SLOW_SYNC_APPEND_MS) viaThreadPool = THREAD_POOL_APPENDS_AFTER_SLOW;
      return;
    }
    if (viaThreadPool > 0) viaThreadPool--;
    for (let offset = 0; offset < data.length;) offset += (await handle.write(data, offset)).bytesWritten;
    if (dataSync === 0) await handle.datasync();
  };
}
