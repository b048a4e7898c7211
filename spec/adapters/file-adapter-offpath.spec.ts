import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { jest } from '@jest/globals';
import { EMPTY } from 'rxjs';
import { purgeDefaultStorages } from '@crawlee/core';
import { MemoryStorage } from '@crawlee/memory-storage';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import type { StorageAdapter } from '../../src/adapters/storage-adapter.js';
import {
  FlushError,
  LockLostError,
  PersistentStoreError,
  StorageAccessError,
  StorageFullError,
  StoragePathError,
  StorageReplacedError,
} from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { kill, startFixture, waitForLine } from '../support/processes.js';
import { journalText } from '../support/journal-file.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('file-offpath');
const list = async (dir: string) => (await fs.readdir(dir)).sort();

/** What a store does, in small: each change appended; when the files were replaced, the whole state written. */
function miniStore(adapter: StorageAdapter) {
  let state = { n: 0, seq: 0 };
  return {
    async open() {
      await adapter.write('K', state);
    },
    /** Resolves once the change is acknowledged (durable, as the adapter says). */
    async update() {
      state = { n: state.n + 1, seq: state.seq + 1 };
      try {
        await adapter.append!('K', [state]);
      } catch (error) {
        if (!(error instanceof StorageReplacedError)) throw error;
        await adapter.write('K', state);
      }
      return state.n;
    },
  };
}

/** What a fresh process finds: the snapshot with the journal records after it. */
async function reopened(dir: string): Promise<number | undefined> {
  const adapter = fileAdapter({ dir });
  const snapshot = (await adapter.read('K')) as { n: number; seq: number } | undefined;
  let n = snapshot?.n;
  for (const record of (await adapter.readJournal!('K')) as Array<{ n: number; seq: number }>) {
    if (snapshot === undefined) throw new Error('a journal without its snapshot');
    if (record.seq > snapshot.seq) n = record.n;
  }
  return n;
}

describe('file adapter off the happy path', () => {
  describe('the storage folder removed while a store is open', () => {
    test("Crawlee's purgeDefaultStorages: every acknowledged update survives a reopen; no journal is left without its snapshot", async () => {
      // Found by issue 14: appends went on into the purged journal, flush() resolved, and the data was gone on reopen.
      const dir = path.join(tempDir(), 'key_value_stores', 'default');
      const adapter = fileAdapter({ dir });
      const release = await adapter.lock!('K');
      const store = miniStore(adapter);
      await store.open();
      for (let i = 0; i < 5; i++) await store.update();
      await fs.writeFile(path.join(dir, 'INPUT.json'), '{}');
      await purgeDefaultStorages({ client: new MemoryStorage({ localDataDirectory: tempDir(), persistStorage: true }), onlyPurgeOnce: false });
      expect(await list(dir)).toEqual(['INPUT.json']); // the purge moved our files away
      let acknowledged = 0;
      for (let i = 0; i < 5; i++) acknowledged = await store.update();
      expect(acknowledged).toBe(10);
      expect(await reopened(dir)).toBe(10);
      expect(await list(dir)).toEqual(['INPUT.json', 'K.json', 'K.json.journal', 'K.json~lock.1']); // the lock taken again, a fresh journal
      await adapter.verify!('K');
      await release();
    });

    test('through a store: after a purge, flush() resolves only if the update really is on disk (never silently lost)', async () => {
      const dir = path.join(tempDir(), 'key_value_stores', 'default');
      const store = await createPersistentStore({ key: 'K', initial: { n: 0 }, adapter: fileAdapter({ dir }), flushTimeoutMs: 2_000 });
      for (let i = 0; i < 5; i++) {
        store.update((s) => void s.n++);
        await store.flush();
      }
      await purgeDefaultStorages({ client: new MemoryStorage({ localDataDirectory: tempDir(), persistStorage: true }), onlyPurgeOnce: false });
      store.update((s) => void s.n++);
      const failure = await store.flush().then(
        () => undefined,
        (error: unknown) => error,
      );
      await store.close().catch(() => undefined);
      const reopened = await createPersistentStore({ key: 'K', initial: { n: 0 }, adapter: fileAdapter({ dir }) });
      const state = reopened.getState();
      await reopened.close();
      // A store that writes its whole state on StorageReplacedError acknowledges; one that does not must fail loudly.
      if (failure === undefined) expect(state).toEqual({ n: 6 });
      else expect(failure).toBeInstanceOf(FlushError);
    });

    test('the folder deleted: the append in flight is refused, the next write makes the folder again; every acknowledged update survives', async () => {
      const dir = path.join(tempDir(), 'kvs');
      const adapter = fileAdapter({ dir });
      const release = await adapter.lock!('K');
      const store = miniStore(adapter);
      await store.open();
      await store.update();
      await fs.rm(dir, { recursive: true });
      const error = await adapter.append!('K', [{ n: 99, seq: 99 }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageReplacedError);
      expect((error as Error).message).toMatch(/K\.json were removed .* while the store was open; nothing more is appended/);
      await fs.access(dir).then(
        () => {
          throw new Error('the refused append made the folder again');
        },
        () => undefined,
      );
      let acknowledged = 0;
      for (let i = 0; i < 3; i++) acknowledged = await store.update();
      expect(await reopened(dir)).toBe(acknowledged);
      await release();
    });

    test('the snapshot replaced by another file, or the journal unlinked: verify says so; a snapshot write starts afresh', async () => {
      const dir = tempDir();
      const adapter = fileAdapter({ dir });
      const release = await adapter.lock!('K');
      await adapter.write('K', { n: 1, seq: 1 });
      await adapter.append!('K', [{ n: 2, seq: 2 }]);
      await fs.writeFile(path.join(dir, 'other'), '{"n":0,"seq":0}');
      await fs.rename(path.join(dir, 'other'), path.join(dir, 'K.json'));
      await expect(adapter.verify!('K')).rejects.toThrow(/were replaced \(its snapshot is another file\)/);
      await adapter.write('K', { n: 2, seq: 2 });
      await adapter.verify!('K');
      await fs.rm(path.join(dir, 'K.json.journal'));
      await expect(adapter.append!('K', [{ n: 3, seq: 3 }])).rejects.toThrow(/its open journal was deleted/);
      await adapter.write('K', { n: 3, seq: 3 });
      await adapter.append!('K', [{ n: 4, seq: 4 }]);
      expect(await reopened(dir)).toBe(4);
      await release();
    });

    test('the folder purged and another process took the key meanwhile: LockLostError, and nothing of ours is written', async () => {
      const dir = tempDir();
      const adapter = fileAdapter({ dir });
      const release = await adapter.lock!('K');
      await adapter.write('K', { n: 1, seq: 1 });
      await fs.rm(dir, { recursive: true });
      await fs.mkdir(dir);
      const rival = startFixture('hold-store', [dir, 'K']);
      await waitForLine(rival, /^ready/);
      const before = await list(dir);
      await expect(adapter.write('K', { n: 2, seq: 2 })).rejects.toThrow(LockLostError);
      expect(await list(dir)).toEqual(before);
      await release();
      await kill(rival, 'SIGTERM');
    });
  });

  test("the folder purged, another process wrote the key and closed, then the holder writes: LockLostError, the other writer's data kept", async () => {
    // Found in review: the holder took the lock again (the other had gone) and wrote its whole state over the acknowledged one.
    const dir = path.join(tempDir(), 'kv');
    const adapter = fileAdapter({ dir });
    const release = await adapter.lock!('K');
    await adapter.write('K', { n: 1, seq: 1 });
    await fs.rm(dir, { recursive: true });
    const other = fileAdapter({ dir }); // another process meanwhile: it holds, writes and closes
    const releaseOther = await other.lock!('K');
    await other.write('K', { n: 100, seq: 1 });
    await releaseOther();
    const error = await adapter.write('K', { n: 2, seq: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect((error as Error).message).toMatch(/K\.json~lock\.1 was removed, and .*K\.json was written by another process meanwhile/);
    await expect(adapter.append!('K', [{ n: 3, seq: 3 }])).rejects.toThrow(PersistentStoreError);
    expect(await reopened(dir)).toBe(100);
    expect(await list(dir)).toEqual(['K.json']);
    await fs.rm(dir, { recursive: true }); // purged once more: the key stays lost, nothing of ours is written
    await expect(adapter.write('K', { n: 4, seq: 4 })).rejects.toThrow(LockLostError);
    await fs.access(dir).then(
      () => {
        throw new Error('written after the key was lost');
      },
      () => undefined,
    );
    await release();
    // A mere purge (no snapshot there) is still written afresh.
    const again = await adapter.lock!('L');
    await adapter.write('L', { n: 1 });
    await fs.rm(dir, { recursive: true });
    await adapter.write('L', { n: 2 });
    expect(await fileAdapter({ dir }).read('L')).toEqual({ n: 2 });
    await again();
  });

  describe("special files at the key's paths are refused, never opened for reading (a FIFO would hang, a device read forever)", () => {
    const makeFifo = (file: string) => execFileSync('mkfifo', [file]);
    test.each([
      ['the snapshot', 'K.json', (adapter: StorageAdapter) => adapter.read('K')],
      ['the journal', 'K.json.journal', (adapter: StorageAdapter) => adapter.readJournal!('K')],
      ['the journal, appending', 'K.json.journal', (adapter: StorageAdapter) => adapter.append!('K', [{ seq: 1 }])],
      ['a lock file', 'K.json~lock.1', (adapter: StorageAdapter) => adapter.lock!('K')],
      ["an older version's lock file", 'K.json.lock', (adapter: StorageAdapter) => adapter.lock!('K')],
    ])(
      'a FIFO at %s: StoragePathError',
      async (_, name, call) => {
        makeFifo(path.join(tempDir(), name));
        const error = await call(fileAdapter({ dir: tempDir() })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoragePathError);
        expect((error as Error).message).toContain(`${name}: it is not a regular file (a FIFO, device, socket or folder)`);
      },
      10_000,
    );

    test('a character device (/dev/zero) at the journal and the snapshot: refused, nothing read; a folder at a lock file too', async () => {
      try {
        execFileSync('mknod', [path.join(tempDir(), 'K.json.journal'), 'c', '1', '5']);
        execFileSync('mknod', [path.join(tempDir(), 'K.json'), 'c', '1', '5']);
      } catch (error) {
        console.warn(`SKIPPED the device check: mknod needs root (${(error as Error).message.split('\n')[0]})`);
        return;
      }
      const adapter = fileAdapter({ dir: tempDir() });
      await expect(adapter.readJournal!('K')).rejects.toThrow(StoragePathError);
      await expect(adapter.read('K')).rejects.toThrow(StoragePathError);
      await fs.mkdir(path.join(tempDir(), 'L.json~lock.1'));
      await expect(adapter.lock!('L')).rejects.toThrow(/not a regular file/);
    }, 10_000);
  });

  test("a key named like another key's temp file keeps its files when that key opens", async () => {
    // Found by issue 14: opening A removed the snapshot, journal and live lock of the key "A.json.tmp-x".
    const dir = tempDir();
    const holder = startFixture('hold-store', [dir, 'A.json.tmp-x']);
    await waitForLine(holder, /^ready/);
    const other = fileAdapter({ dir });
    await other.write('A.json.tmp-x.copy', 1); // a snapshot and journal of a second key of that shape
    await other.append!('A.json.tmp-x.copy', [{ seq: 1 }]);
    const before = await list(dir);
    const release = await fileAdapter({ dir }).lock!('A');
    expect((await list(dir)).filter((name) => !name.startsWith('A.json~'))).toEqual(before);
    await release();
    const rival = startFixture('hold-store', [dir, 'A.json.tmp-x']);
    const [refusal] = await waitForLine(rival, /^error STORE_LOCKED.*/); // its lock still holds
    expect(refusal).toContain(`by process ${holder.pid}`);
    expect({ exitCode: holder.exitCode, signal: holder.signalCode }).toEqual({ exitCode: null, signal: null });
    expect(await kill(holder, 'SIGTERM')).toBe(143);
  });

  describe('symbolic links are refused, never followed', () => {
    const outsideFile = () => path.join(tempDir(), 'outside', 'precious.txt');
    const dir = () => path.join(tempDir(), 'kvs');
    beforeEach(async () => {
      await fs.mkdir(path.dirname(outsideFile()));
      await fs.mkdir(dir());
      await fs.writeFile(outsideFile(), '{"seq":1}\n');
    });
    const untouched = async () => expect(await fs.readFile(outsideFile(), 'utf8')).toBe('{"seq":1}\n');

    test('at the journal: append and readJournal throw StoragePathError; a whole snapshot removes the link itself; the file outside is untouched', async () => {
      // Found by issue 14: a symlink planted at <KEY>.json.journal made the store truncate a file outside the folder.
      await fs.symlink(outsideFile(), path.join(dir(), 'K.json.journal'));
      const adapter = fileAdapter({ dir: dir() });
      const error = await adapter.append!('K', [{ seq: 2 }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoragePathError);
      expect((error as Error).message).toMatch(/K\.json\.journal: it is a symbolic link, which the store never follows \(ELOOP\)/);
      await expect(adapter.readJournal!('K')).rejects.toThrow(StoragePathError);
      // The snapshot holds the whole state: the planted name goes (never what it points to), so no foreign record replays on it.
      await adapter.write('K', { v: 1 });
      await untouched();
      expect(await list(dir())).toEqual(['K.json']);
      expect(await adapter.read('K')).toEqual({ v: 1 });
    });

    test('swapped in under an open store: the store writes its whole state, every acknowledged update survives, the file outside is untouched', async () => {
      const store = await createPersistentStore({
        key: 'S',
        initial: { n: 0 },
        adapter: fileAdapter({ dir: dir() }),
        events: EMPTY,
        debounceMs: 0,
        maxWaitMs: 0,
      });
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        for (let i = 0; i < 3; i++) {
          store.update((s) => void s.n++);
          await store.flush();
        }
        const link = path.join(dir(), 'S.json.journal.link');
        await fs.symlink(outsideFile(), link);
        await fs.rename(link, path.join(dir(), 'S.json.journal')); // atomically over the live journal
        for (let i = 0; i < 3; i++) {
          store.update((s) => void s.n++);
          await store.flush();
        }
        await store.close();
      } finally {
        warn.mockRestore();
      }
      await untouched();
      const again = await createPersistentStore({ key: 'S', initial: { n: 0 }, adapter: fileAdapter({ dir: dir() }), events: EMPTY });
      expect(again.getState()).toEqual({ n: 6 });
      await again.close();
    });

    test('at the snapshot and at a lock file', async () => {
      await fs.symlink(outsideFile(), path.join(dir(), 'K.json'));
      await fs.symlink(outsideFile(), path.join(dir(), 'L.json~lock.1'));
      const adapter = fileAdapter({ dir: dir() });
      await expect(adapter.read('K')).rejects.toThrow(StoragePathError);
      await expect(adapter.lock!('L')).rejects.toThrow(StoragePathError);
      await untouched();
    });
  });

  test('a snapshot rename that fails leaves no temp file, nor does its retry; the holder removes its temp files on release', async () => {
    // Found by issue 14: each failed attempt left a full temp copy, still there after close().
    const dir = tempDir();
    const adapter = fileAdapter({ dir });
    const release = await adapter.lock!('K');
    await fs.mkdir(path.join(dir, 'K.json')); // rename onto a folder fails (EISDIR)
    const errors = [];
    for (let attempt = 0; attempt < 3; attempt++) errors.push(await adapter.write('K', { big: 'x'.repeat(10_000) }).catch((e: unknown) => e));
    expect((await list(dir)).filter((name) => !name.includes('lock'))).toEqual(['K.json']);
    for (const error of errors) expect(error).toBeInstanceOf(StoragePathError);
    await fs.rmdir(path.join(dir, 'K.json'));
    await adapter.write('K', { v: 1 });
    await fs.writeFile(path.join(dir, 'K.json~tmp-left-by-a-crash'), '{"half');
    await release();
    expect(await list(dir)).toEqual(['K.json']);
  });

  describe('the operating system refuses: typed errors (on a real small tmpfs)', () => {
    const mountPoint = () => path.join(tempDir(), 'mnt');
    let mounted = false;
    beforeEach(async () => {
      await fs.mkdir(mountPoint());
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint()], { stdio: 'pipe' });
        mounted = true;
      } catch (error) {
        mounted = false;
        console.warn(`SKIPPED disk-full and read-only checks: cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]}); they need root`);
      }
    });
    afterEach(() => {
      if (mounted) execFileSync('umount', ['-l', mountPoint()]);
    });

    test('a full disk: StorageFullError; the old snapshot stays, no temp file, and the journal gets no torn record', async () => {
      if (!mounted) return;
      const adapter = fileAdapter({ dir: mountPoint() });
      const release = await adapter.lock!('K');
      await adapter.write('K', { v: 1 });
      const full = await adapter.write('K', { v: 'x'.repeat(300_000) }).catch((e: unknown) => e);
      expect(full).toBeInstanceOf(StorageFullError);
      expect((full as Error).message).toMatch(/Cannot write the snapshot at .*K\.json: no space left \(ENOSPC\)/);
      expect(await adapter.read('K')).toEqual({ v: 1 });
      expect(await list(mountPoint())).toEqual(['K.json', 'K.json~lock.1']);
      await adapter.append!('K', [{ seq: 1 }]);
      await expect(adapter.append!('K', [{ seq: 2, pad: 'x'.repeat(300_000) }])).rejects.toThrow(StorageFullError);
      await adapter.append!('K', [{ seq: 3 }]);
      expect(await adapter.readJournal!('K')).toEqual([{ seq: 1 }, { seq: 3 }]);
      await release();
    });

    test('a disk that fills inside a small append (writeSync on the main thread takes part, then ENOSPC): its bytes are cut before the next append', async () => {
      if (!mounted) return;
      const adapter = fileAdapter({ dir: mountPoint() });
      const release = await adapter.lock!('K');
      await adapter.write('K', { v: 1 });
      await adapter.append!('K', [{ seq: 1 }]);
      // Every whole page taken: only the rest of the journal's last page is free, so the next write
      // takes that much of a 6 kB record and the one after it finds the disk full.
      const filler = await fs.open(path.join(mountPoint(), 'filler'), 'w');
      for (let full = false; !full;) {
        full = await filler.write(Buffer.alloc(4096)).then(
          () => false,
          (error: NodeJS.ErrnoException) => (error.code === 'ENOSPC' ? true : Promise.reject(error)),
        );
      }
      await filler.close();
      const journal = path.join(mountPoint(), 'K.json.journal');
      await expect(adapter.append!('K', [{ seq: 2, pad: 'x'.repeat(6000) }])).rejects.toThrow(StorageFullError);
      expect((await fs.readFile(journal, 'latin1')).startsWith('{"seq":1}\n{"seq":2,"pad":"xxx')).toBe(true); // part of the record is there: the case at hand
      await fs.rm(path.join(mountPoint(), 'filler'));
      await adapter.append!('K', [{ seq: 3 }]);
      expect(await journalText(journal)).toBe('{"seq":1}\n{"seq":3}\n'); // and nothing of it past the records
      await release();
    });

    test('a read-only file system: StorageAccessError from write, append and lock', async () => {
      if (!mounted) return;
      const adapter = fileAdapter({ dir: mountPoint() });
      await adapter.write('K', { v: 1 });
      execFileSync('mount', ['-o', 'remount,ro', mountPoint()]);
      await expect(adapter.write('K', { v: 2 })).rejects.toThrow(StorageAccessError);
      await expect(adapter.append!('K', [{ seq: 1 }])).rejects.toThrow(/Cannot open the journal at .*: permission denied \(EROFS/);
      await expect(fileAdapter({ dir: mountPoint() }).lock!('K')).rejects.toThrow(StorageAccessError);
      expect(await adapter.read('K')).toEqual({ v: 1 });
    });
  });
});
