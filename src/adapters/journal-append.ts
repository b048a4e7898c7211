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
/** A main-thread append slower than this is slow (a network or spinning disk, a saturated device)... */
export const SLOW_SYNC_APPEND_MS = 2;
/** ...and this many slow in a row (not one outlier: an SSD's p99 is beyond 2 ms under load)... */
export const SLOW_SYNC_APPENDS_IN_A_ROW = 2;
/** ...send this many of the next appends through libuv's thread pool instead. */
export const THREAD_POOL_APPENDS_AFTER_SLOW = 64;

/** Writes `data` durably at byte `position` of the journal: resolves once it is on the device. */
export type JournalAppend = (handle: fs.FileHandle, data: Buffer, position: number) => Promise<void>;

/**
 * How a file adapter's appends reach the disk. On an O_DSYNC journal a small append is one
 * `writeSync` on the main thread: the hop through libuv's thread pool and back adds 0.06 to 0.2 ms
 * to a write of about 0.2 ms on a local SSD (the more, the busier the pool or the CPUs). The event
 * loop is held for that write, and for all of it when the device stalls. SLOW_SYNC_APPENDS_IN_A_ROW
 * writes in a row that took longer than SLOW_SYNC_APPEND_MS (failed or not) send the next
 * THREAD_POOL_APPENDS_AFTER_SLOW appends through the thread pool; then one main-thread append is
 * tried, and sends them back there if it is slow too. A disk slow at every write holds the event
 * loop for its first two writes, then once in that many plus one; a slow write after a fast one
 * sends nothing there (a local SSD's p99 under load is beyond 2 ms), so a disk slow only now and
 * then holds the loop for each of its slow writes, at worst every other write.
 * Without O_DSYNC (`dataSync` 0) each append is an asynchronous write and datasync. Writes are
 * positional: the file adapter writes into room it made ahead (see file-adapter.ts).
 *
 * @example
 * const append = journalAppend(dataSyncFlag(process.platform));
 * await append(handle, Buffer.from('{"seq":1}\n'), 0);
 */
export function journalAppend(dataSync: number, now: () => number = () => performance.now()): JournalAppend {
  let viaThreadPool = 0;
  // Not reset by the thread pool's appends: after them, one slow main-thread append sends the next ones back.
  let slowInARow = 0;
  return async (handle, data, position) => {
    // A closed handle's fd is -1: the thread pool's write rejects it with EBADF, as for any other call.
    if (dataSync !== 0 && viaThreadPool === 0 && data.length <= SYNC_APPEND_MAX_BYTES && handle.fd >= 0) {
      const started = now();
      try {
        for (let offset = 0; offset < data.length;)
          offset += progress(writeSync(handle.fd, data, offset, data.length - offset, position + offset), data.length - offset);
      } finally {
        slowInARow = now() - started > SLOW_SYNC_APPEND_MS ? slowInARow + 1 : 0;
        if (slowInARow >= SLOW_SYNC_APPENDS_IN_A_ROW) viaThreadPool = THREAD_POOL_APPENDS_AFTER_SLOW;
      }
      return;
    }
    if (viaThreadPool > 0) viaThreadPool--;
    for (let offset = 0; offset < data.length;) {
      offset += progress((await handle.write(data, offset, data.length - offset, position + offset)).bytesWritten, data.length - offset);
    }
    if (dataSync === 0) await handle.datasync();
  };
}

/** `written`, unless the write took none of the bytes left: retrying would loop for ever. */
function progress(written: number, left: number): number {
  if (written > 0) return written;
  throw new Error(`the file took none of the ${left} bytes left to append`);
}
