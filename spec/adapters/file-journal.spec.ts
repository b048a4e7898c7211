import { jest } from '@jest/globals';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Subject } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { parseJournal } from '../../src/adapters/journal-text.js';
import { StorageReplacedError } from '../../src/errors.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { inspectStore } from '../../src/cli/inspect-command.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';
import { journalText } from '../support/journal-file.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('journal');

const file = (name: string) => path.join(tempDir(), name);
const list = async () => (await fs.readdir(tempDir())).sort();

describe('file adapter journal', () => {
  test('appends fdatasynced lines; a snapshot write empties the journal; delete removes both', async () => {
    const adapter = fileAdapter({ dir: tempDir() });
    await adapter.write('K', { v: 0 });
    await adapter.append!('K', [{ seq: 1 }, { seq: 2 }]);
    await adapter.append!('K', [{ seq: 3 }]);
    expect(await journalText(file('K.json.journal'))).toBe('{"seq":1}\n{"seq":2}\n{"seq":3}\n');
    expect(await adapter.readJournal!('K')).toEqual([{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
    await adapter.write('K', { v: 3 });
    expect(await journalText(file('K.json.journal'))).toBe('');
    await adapter.delete('K');
    expect(await list()).toEqual([]);
    expect(await adapter.readJournal!('K')).toEqual([]);
  });

  test('a torn tail is left out, and cut off before the next append', async () => {
    await fs.writeFile(file('K.json'), '{}');
    await fs.writeFile(file('K.json.journal'), '{"seq":1}\n{"seq":2}\n{"se');
    const adapter = fileAdapter({ dir: tempDir() });
    expect(await adapter.readJournal!('K')).toEqual([{ seq: 1 }, { seq: 2 }]);
    await adapter.append!('K', [{ seq: 3 }]);
    expect(await journalText(file('K.json.journal'))).toBe('{"seq":1}\n{"seq":2}\n{"seq":3}\n');
  });

  test('also when the journal was not read first', async () => {
    await fs.writeFile(file('K.json.journal'), '{"seq":1}\n{"seq":2,"ops":[{"o');
    await fileAdapter({ dir: tempDir() }).append!('K', [{ seq: 2 }]);
    expect(await journalText(file('K.json.journal'))).toBe('{"seq":1}\n{"seq":2}\n');
  });

  test("the journal's reads (each append checks two of its bytes) leave its access time alone: set, it made each next O_DSYNC write slower", async () => {
    if (process.platform !== 'linux') return;
    // An access time older than the file's last change: relatime (or strictatime) sets it at the next read without O_NOATIME.
    const long_ago = new Date(1_000_000_000_000);
    const probe = file('probe');
    await fs.writeFile(probe, 'x');
    await fs.utimes(probe, long_ago, new Date());
    await fs.readFile(probe);
    if ((await fs.stat(probe)).atimeMs === long_ago.getTime()) {
      console.warn(`SKIPPED: ${tempDir()} is on a file system that does not set access times (noatime)`);
      return;
    }
    const adapter = fileAdapter({ dir: tempDir() });
    await adapter.write('K', { v: 0 });
    await adapter.append!('K', [{ seq: 1 }]);
    const journal = file('K.json.journal');
    await fs.utimes(journal, long_ago, (await fs.stat(journal)).mtime);
    await adapter.append!('K', [{ seq: 2 }]);
    await adapter.append!('K', [{ seq: 3 }]);
    expect((await fs.stat(journal)).atimeMs).toBe(long_ago.getTime());
    expect(await journalText(journal)).toBe('{"seq":1}\n{"seq":2}\n{"seq":3}\n');
  });

  test("a journal of another user's, which O_NOATIME is refused on (EPERM), is opened without it and appended to", async () => {
    await fs.chmod(tempDir(), 0o777);
    await fileAdapter({ dir: tempDir() }).append!('K', [{ seq: 1 }]);
    await fs.chmod(file('K.json.journal'), 0o666);
    const skip = (why: string) => console.warn(`SKIPPED: ${why}, so no other user's journal can be appended to here`);
    if (process.platform !== 'linux' || process.getuid?.() !== 0) return skip('only root can act as another user (seteuid)');
    try {
      process.seteuid?.(65534);
    } catch (error) {
      return skip(`seteuid(65534) failed (${(error as Error).message}: no such user in this namespace?)`);
    }
    let reachable = true;
    try {
      await fs.access(file('K.json.journal'), constants.R_OK | constants.W_OK).catch(() => (reachable = false));
      if (reachable) await fileAdapter({ dir: tempDir() }).append!('K', [{ seq: 2 }]);
    } finally {
      process.seteuid?.(0);
    }
    if (!reachable) return skip(`user 65534 cannot reach ${tempDir()}`);
    expect(await journalText(file('K.json.journal'))).toBe('{"seq":1}\n{"seq":2}\n');
  });

  test('where O_NOATIME is refused even on a file just made (its owner shown as another user: vfat or CIFS mounted with uid=), the fresh copy of the journal is made without it', async () => {
    if (process.platform !== 'linux') return;
    const holder = fileAdapter({ dir: tempDir() });
    let release = await holder.lock!('K');
    await holder.write('K', { v: 0 });
    await holder.append!('K', [{ seq: 1 }]);
    await release();
    // Such a file system cannot be mounted here: its open() as open(2) documents it there, the refusal after the creation.
    const open = fs.open;
    const refusing = jest.spyOn(fs, 'open').mockImplementation(async (at, flags, mode) => {
      if (typeof flags !== 'number' || !(flags & constants.O_NOATIME)) return open(at, flags, mode);
      if (flags & constants.O_CREAT) await (await open(at, flags & ~constants.O_NOATIME, mode)).close();
      throw Object.assign(new Error(`EPERM: operation not permitted, open '${String(at)}'`), { code: 'EPERM' });
    });
    try {
      const taker = fileAdapter({ dir: tempDir() });
      release = await taker.lock!('K');
      expect(await taker.readJournal!('K')).toEqual([{ seq: 1 }]);
      await taker.append!('K', [{ seq: 2 }]);
      await release();
    } finally {
      refusing.mockRestore();
    }
    expect(await journalText(file('K.json.journal'))).toBe('{"seq":1}\n{"seq":2}\n');
    expect(await list()).toEqual(['K.json', 'K.json.journal']); // no temp file left behind
  });

  test("outside Linux each append is followed by a datasync: on macOS an O_DSYNC write may stay in the drive's cache, which libuv's datasync (F_FULLFSYNC) flushes", async () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
    let adapter: ReturnType<typeof fileAdapter>;
    try {
      adapter = fileAdapter({ dir: tempDir() });
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
    const probe = await fs.open(file('probe'), 'w');
    const datasync = jest.spyOn(Object.getPrototypeOf(probe) as { datasync: () => Promise<void> }, 'datasync');
    await probe.close();
    try {
      const release = await adapter.lock!('K');
      await adapter.write('K', { v: 0 });
      datasync.mockClear();
      await adapter.append!('K', [{ seq: 1 }]);
      await adapter.append!('K', [{ seq: 2 }]);
      expect(datasync).toHaveBeenCalledTimes(2);
      await release();
    } finally {
      datasync.mockRestore();
    }
  });

  describe('the journal changed behind the holder after it was read', () => {
    /** A holder that has read the key (as a store does on opening): the snapshot and three records. */
    async function loaded(dir: string) {
      const first = fileAdapter({ dir });
      const releaseFirst = await first.lock!('K');
      await first.write('K', { n: 0 });
      await first.append!('K', [{ n: 1 }, { n: 2 }, { n: 3 }]);
      await releaseFirst();
      const adapter = fileAdapter({ dir });
      const release = await adapter.lock!('K');
      expect(await adapter.read('K')).toEqual({ n: 0 });
      expect(await adapter.readJournal!('K')).toHaveLength(3);
      return { adapter, release };
    }
    /** What the next run finds: the snapshot's n, then each record's. */
    async function nextRun(dir: string) {
      const adapter = fileAdapter({ dir });
      const release = await adapter.lock!('K');
      let { n } = (await adapter.read('K')) as { n: number };
      for (const record of (await adapter.readJournal!('K')) as Array<{ n: number }>) n = record.n;
      await release();
      return n;
    }

    test('the folder purged: the size read applies to that journal only; a fresh journal is not padded, the next run reads it', async () => {
      // Found in review: the size read stayed on after a purge and cut a NEW empty journal to it (NUL bytes): unreadable next run.
      const dir = path.join(tempDir(), 'kv');
      const { adapter, release } = await loaded(dir);
      await fs.rm(dir, { recursive: true });
      await adapter.write('K', { n: 4 }); // the store writes its whole state after the purge
      await adapter.append!('K', [{ n: 5 }]);
      await release();
      expect(await journalText(path.join(dir, 'K.json.journal'))).toBe('{"n":5}\n');
      expect(await nextRun(dir)).toBe(5);
    });

    test('the journal deleted before the first append: refused as replaced, not appended to a new journal beside the old snapshot', async () => {
      const dir = path.join(tempDir(), 'kv');
      const { adapter, release } = await loaded(dir);
      await fs.rm(path.join(dir, 'K.json.journal'));
      await expect(adapter.append!('K', [{ n: 4 }])).rejects.toThrow(StorageReplacedError);
      await adapter.write('K', { n: 4 });
      await adapter.append!('K', [{ n: 5 }]);
      await release();
      expect(await nextRun(dir)).toBe(5);
    });

    test('emptied in place by another program (same file): the next append is refused as changed, and a whole write recovers', async () => {
      // Found in review: appends went on being acknowledged into the emptied journal; the next open said "records are missing".
      const dir = path.join(tempDir(), 'kv');
      const { adapter, release } = await loaded(dir);
      await adapter.append!('K', [{ n: 4 }]);
      const journal = path.join(dir, 'K.json.journal');
      await fs.truncate(journal, 0);
      const error = await adapter.append!('K', [{ n: 5 }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageReplacedError);
      // Found once written: the record went where the journal's records had ended, past zeros, never read.
      const size = (await fs.stat(journal)).size;
      expect((error as Error).message).toMatch(new RegExp(`changed in place \\(its journal is ${size} bytes long where this store left it \\d+`));
      expect(parseJournal(await fs.readFile(journal), 'K', journal)).toEqual([]);
      await adapter.write('K', { n: 5 });
      await adapter.append!('K', [{ n: 6 }]);
      await release();
      expect(await nextRun(dir)).toBe(6);
    });

    test("another writer's bytes after our records are not cut as if they were our torn tail: refused as changed", async () => {
      const dir = path.join(tempDir(), 'kv');
      const { adapter, release } = await loaded(dir);
      const journal = path.join(dir, 'K.json.journal');
      await fs.appendFile(journal, '{"n":99,"op');
      const before = await fs.readFile(journal, 'utf8');
      await expect(adapter.append!('K', [{ n: 4 }])).rejects.toThrow(StorageReplacedError);
      expect(await fs.readFile(journal, 'utf8')).toBe(before);
      await adapter.write('K', { n: 4 });
      await release();
      expect(await nextRun(dir)).toBe(4);
    });
  });

  test('rename moves the journal too, and refuses to replace anything', async () => {
    const adapter = fileAdapter({ dir: tempDir() });
    await adapter.write('A', 1);
    await adapter.append!('A', [{ seq: 1 }]);
    await adapter.rename('A', 'B');
    expect(await list()).toEqual(['B.json', 'B.json.journal']);
    await adapter.write('C', 1);
    await adapter.append!('C', [{ seq: 1 }]);
    await expect(adapter.rename('C', 'B')).rejects.toThrow(/B\.json: something is stored there already/);
    expect(await list()).toEqual(['B.json', 'B.json.journal', 'C.json', 'C.json.journal']);
  });

  test('a journal larger than the longest string an engine holds (over 512 MB) reads line by line, through the adapter and in inspect', async () => {
    // Found by issue 14: a 619 MB journal failed with ERR_STRING_TOO_LONG: it was decoded whole before being split.
    const store = await createPersistentStore({ key: 'K', initial: { n: 0 }, adapter: fileAdapter({ dir: tempDir() }), compactOnClose: false });
    store.update((s) => void s.n++);
    await store.flush(); // the first snapshot
    store.update((s) => void s.n++);
    await store.close(); // one real record, seq 1
    const real = await journalText(file('K.json.journal'));
    expect(real).toMatch(/^\{"seq":1,.*\n$/);
    // Then 530 records of 1 MiB each (whitespace before the JSON, which it allows): 556 MB, after the real one (not after its room).
    await fs.writeFile(file('K.json.journal'), real);
    const handle = await fs.open(file('K.json.journal'), 'a');
    const padding = Buffer.alloc(2 ** 20, 0x20);
    const lines = 530;
    for (let seq = 2; seq < lines + 2; seq++) await handle.write(Buffer.concat([padding, Buffer.from(`${JSON.stringify({ seq, ops: [] })}\n`)]));
    await handle.close();
    expect((await fs.stat(file('K.json.journal'))).size).toBeGreaterThan(2 ** 29);

    expect(await fileAdapter({ dir: tempDir() }).readJournal!('K')).toHaveLength(lines + 1);
    const found = await inspectStore('K', tempDir());
    expect({ records: found.journal.records, replayed: found.journal.replayed, state: found.state }).toEqual({
      records: lines + 1,
      replayed: lines + 1,
      state: { n: 2 },
    });
    await fs.rm(file('K.json.journal'));
  }, 120_000);

  describe('a crash at any moment restores a state the process really had', () => {
    type S = { n: number; seen: KeyedMap<number> };
    const initial = (): S => ({ n: 0, seen: new KeyedMap<number>() });
    const plain = (s: S) => ({ n: s.n, seen: s.seen.toObject() });
    // compactOnClose: false: what is on disk after each close, journal and all, is what is looked at.
    const open = (events?: Subject<PlatformEvent>) =>
      createPersistentStore<S>({ key: 'K', initial: initial(), adapter: fileAdapter({ dir: tempDir() }), events, compactOnClose: false });
    const restore = async () => {
      const store = await open();
      const state = plain(store.getState());
      await store.close();
      return state;
    };

    /** Runs a store through a snapshot and five appended records; returns the live state after each write. */
    async function journalled() {
      const store = await open();
      const states: Array<ReturnType<typeof plain>> = [];
      for (let i = 0; i < 6; i++) {
        store.update((s) => {
          s.n++;
          s.seen.set(`url-${i}`, i);
        });
        await store.flush();
        states.push(plain(store.getState()));
      }
      await store.close();
      return states;
    }

    test('torn at every byte of the journal: the state after the last whole record', async () => {
      const states = await journalled();
      const journal = Buffer.from(await journalText(file('K.json.journal')));
      expect(journal.toString().split('\n')).toHaveLength(6); // five records and the final newline
      for (let length = 0; length <= journal.length; length++) {
        await fs.writeFile(file('K.json.journal'), journal.subarray(0, length));
        const whole = journal.subarray(0, length).toString().split('\n').length - 1;
        expect({ length, state: await restore() }).toEqual({ length, state: states[whole] });
      }
    });

    test("torn by a power loss inside the room of zeros (zeros where a write's first bytes should be, its last bytes there): the state before that write, whatever follows", async () => {
      const states = await journalled();
      const journalFile = file('K.json.journal');
      const journal = await fs.readFile(journalFile);
      const text = await journalText(journalFile);
      const starts = [0, ...[...text.matchAll(/\n/g)].map((m) => m.index + 1)].slice(0, 5); // where each of the five records starts
      for (const [record, start] of starts.entries()) {
        for (const lost of [1, 7, 40]) {
          const torn = Buffer.from(journal);
          torn.fill(0, start, start + lost); // its first bytes never reached the disk; those after them and the records after it did
          await fs.writeFile(journalFile, torn);
          expect({ record, lost, state: await restore() }).toEqual({ record, lost, state: states[record] });
        }
      }
    });

    test('at each step of a compaction: before the rename, after it, and after the journal is emptied', async () => {
      const states = await journalled();
      const last = states.at(-1);
      const oldSnapshot = await fs.readFile(file('K.json'));
      const oldJournal = await fs.readFile(file('K.json.journal'));

      const events = new Subject<PlatformEvent>();
      const store = await open(events);
      events.next({ name: 'migrating', data: {} }); // compacts
      await store.close();
      const newSnapshot = await fs.readFile(file('K.json'));
      expect(await journalText(file('K.json.journal'))).toBe('');
      expect(newSnapshot.equals(oldSnapshot)).toBe(false);

      // 1. the temp file was being written: old snapshot, whole journal, half a temp file
      await fs.writeFile(file('K.json'), oldSnapshot);
      await fs.writeFile(file('K.json.journal'), oldJournal);
      await fs.writeFile(file('K.json~tmp-crashed'), newSnapshot.subarray(0, newSnapshot.length >> 1));
      await fs.writeFile(file('K.json.journal~tmp-crashed'), oldJournal.subarray(0, oldJournal.length >> 1)); // an opening's fresh journal, half copied
      expect(await restore()).toEqual(last);
      expect(await list()).not.toContain('K.json~tmp-crashed');
      expect(await list()).not.toContain('K.json.journal~tmp-crashed');
      // 2. renamed, journal not yet emptied: its records are in the snapshot and are skipped
      await fs.writeFile(file('K.json'), newSnapshot);
      await fs.writeFile(file('K.json.journal'), oldJournal);
      expect(await restore()).toEqual(last);
      // 3. done
      await fs.writeFile(file('K.json.journal'), '');
      expect(await restore()).toEqual(last);
    });
  });
});
