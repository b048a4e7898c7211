import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { defaultStorageDir, fileAdapter, localStorageRoot } from '../../src/adapters/file-adapter.js';
import { CorruptStateError, InvalidKeyError, InvalidOptionError, StoreLockedError, TargetExistsError } from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { kill, startFixture, waitForLine } from '../support/processes.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('file');

const list = async () => (await fs.readdir(tempDir())).sort();

describe('fileAdapter', () => {
  test('writes <dir>/<KEY>.json, creating the folder, and leaves no temp file', async () => {
    const nested = path.join(tempDir(), 'a', 'b');
    const adapter = fileAdapter({ dir: nested });
    await adapter.write('STATE', { x: 1 });
    expect(JSON.parse(await fs.readFile(path.join(nested, 'STATE.json'), 'utf8'))).toEqual({ x: 1 });
    expect(await fs.readdir(nested)).toEqual(['STATE.json']);
    expect(await adapter.read('STATE')).toEqual({ x: 1 });
    expect(adapter.locate('STATE')).toBe(path.join(nested, 'STATE.json'));
  });

  test('defaults to the Crawlee / Apify local layout', () => {
    expect(defaultStorageDir({ CRAWLEE_STORAGE_DIR: '/c', APIFY_LOCAL_STORAGE_DIR: '/a' })).toBe('/c/key_value_stores/default');
    expect(defaultStorageDir({ APIFY_LOCAL_STORAGE_DIR: '/a' })).toBe('/a/key_value_stores/default');
    expect(defaultStorageDir({})).toBe(path.resolve('storage', 'key_value_stores', 'default'));
    expect(localStorageRoot({ CRAWLEE_STORAGE_DIR: 'c' })).toBe(path.resolve('c')); // the simulator's storage folder
    expect(localStorageRoot({ CRAWLEE_STORAGE_DIR: '', APIFY_LOCAL_STORAGE_DIR: '/a' })).toBe('/a');
  });

  test('a dir that is no folder name is refused at once, naming the option', () => {
    for (const dir of [5, '', null]) {
      expect(() => fileAdapter({ dir: dir as unknown as string })).toThrow(InvalidOptionError);
      expect(() => fileAdapter({ dir: dir as unknown as string })).toThrow('"dir"');
    }
  });

  test('a missing key reads as undefined; empty or broken files are corrupt', async () => {
    const adapter = fileAdapter({ dir: tempDir() });
    expect(await adapter.read('NOPE')).toBeUndefined();
    await fs.writeFile(path.join(tempDir(), 'EMPTY.json'), '');
    await expect(adapter.read('EMPTY')).rejects.toThrow(/EMPTY.json is unreadable: the file is empty/);
    await fs.writeFile(path.join(tempDir(), 'TORN.json'), '{"state": {"a"');
    await expect(adapter.read('TORN')).rejects.toBeInstanceOf(CorruptStateError);
  });

  test('a write that fails leaves the old file intact and no temp file', async () => {
    const adapter = fileAdapter({ dir: tempDir() });
    await adapter.write('K', { v: 1 });
    await expect(adapter.write('K', { v: 10n })).rejects.toThrow(/BigInt/);
    expect(await adapter.read('K')).toEqual({ v: 1 });
    expect(await list()).toEqual(['K.json']);
  });

  test('refuses bad keys before touching the file system', async () => {
    const adapter = fileAdapter({ dir: path.join(tempDir(), 'sub') });
    await expect(adapter.write('../escape', 1)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(adapter.read('a/b')).rejects.toBeInstanceOf(InvalidKeyError);
    expect(await list()).toEqual([]);
  });

  test('rename moves a file but never replaces an existing one', async () => {
    const adapter = fileAdapter({ dir: tempDir() });
    await adapter.write('A', 'a');
    await adapter.write('B', 'b');
    await expect(adapter.rename('A', 'B')).rejects.toThrow(TargetExistsError);
    expect(await adapter.read('B')).toBe('b');
    await adapter.rename('A', 'C');
    expect(await list()).toEqual(['B.json', 'C.json']);
    await adapter.delete('C');
    await adapter.delete('C');
    expect(await list()).toEqual(['B.json']);
  });

  test("taking the lock removes temp files left by a crashed write (also an older version's)", async () => {
    await fs.writeFile(path.join(tempDir(), 'K.json~tmp-123'), '{"half');
    await fs.writeFile(path.join(tempDir(), 'K.json.tmp-0b4f6c1e-3a5d-4e1f-9c2b-7d8e9f0a1b2c'), '{"half');
    await fs.writeFile(path.join(tempDir(), 'OTHER.json~tmp-1'), 'not mine');
    const release = await fileAdapter({ dir: tempDir() }).lock!('K');
    expect(await list()).toEqual(['K.json~lock.1', 'OTHER.json~tmp-1']);
    await release();
    expect(await list()).toEqual(['OTHER.json~tmp-1']);
  });

  test('keys over 200 characters are refused up front (the lock and temp files would pass the 255-character name limit); 200 work throughout', async () => {
    // Found by the torture suite: 209 characters failed with a raw ENAMETOOLONG.
    const long = 'k'.repeat(201);
    await expect(createPersistentStore({ key: long, initial: {}, adapter: fileAdapter({ dir: tempDir() }) })).rejects.toThrow(
      /takes keys of at most 200 characters.*this one has 201/,
    );
    const key = 'k'.repeat(200);
    const store = await createPersistentStore({ key, initial: { n: 0 }, adapter: fileAdapter({ dir: tempDir() }) });
    store.update((s) => void s.n++);
    await store.flush();
    store.update((s) => void s.n++);
    await store.close();
    await fs.writeFile(path.join(tempDir(), `${key}.json`), '{broken');
    const fresh = await createPersistentStore({ key, initial: { n: 0 }, adapter: fileAdapter({ dir: tempDir() }), onInvalidStored: 'moveAside' });
    expect(fresh.getState()).toEqual({ n: 0 });
    await fresh.close();
    expect((await list()).some((name) => name.includes('.invalid-'))).toBe(true);
  });

  describe('lock', () => {
    test('a second store in the same process is refused; closing frees the key', async () => {
      const first = await createPersistentStore({ key: 'K', initial: {}, adapter: fileAdapter({ dir: tempDir() }) });
      await expect(createPersistentStore({ key: 'K', initial: {}, adapter: fileAdapter({ dir: tempDir() }) })).rejects.toThrow(/already open in this process/);
      await first.close();
      expect(await list()).toEqual([]);
      await (await createPersistentStore({ key: 'K', initial: {}, adapter: fileAdapter({ dir: tempDir() }) })).close();
    });

    test('a live process holding the key: a clear error naming it; the holder is not disturbed', async () => {
      const holder = startFixture('hold-store', [tempDir(), 'K']);
      const [, pid] = await waitForLine(holder, /^ready (\d+)/);
      const error = await createPersistentStore({ key: 'K', initial: {}, adapter: fileAdapter({ dir: tempDir() }) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreLockedError);
      expect((error as Error).message).toContain(`by process ${pid} on host ${hostname()}`);
      expect((error as Error).message).toContain(path.join(tempDir(), 'K.json~lock.1'));
      // a second process is refused too
      const rival = startFixture('hold-store', [tempDir(), 'K']);
      await waitForLine(rival, /^error STORE_LOCKED/);
      expect(await kill(holder, 'SIGTERM')).toBe(143); // the store closed on the way out
      expect(await list()).toEqual([]);
    });

    test('the lock of a process killed with SIGKILL is stale and taken over', async () => {
      const holder = startFixture('hold-store', [tempDir(), 'K']);
      await waitForLine(holder, /^ready/);
      await kill(holder, 'SIGKILL');
      expect(await list()).toContain('K.json~lock.1');
      const store = await createPersistentStore({ key: 'K', initial: {}, adapter: fileAdapter({ dir: tempDir() }) });
      expect(await list()).toEqual(['K.json~lock.2']); // a new generation; the dead one removed after
      const owner = JSON.parse(await fs.readFile(path.join(tempDir(), 'K.json~lock.2'), 'utf8'));
      expect(owner.pid).toBe(process.pid);
      await store.close();
    });

    test('the lock of a killed process left a zombie (its parent never reaps it, as under a container PID 1) is stale', async () => {
      // `exec sleep` replaces the shell: the holder's parent is then a process that never waits for it.
      const fixture = path.join(process.cwd(), 'spec', 'fixtures', 'hold-store.ts');
      const parent = spawn('sh', ['-c', `"${process.execPath}" --import tsx "${fixture}" "${tempDir()}" K & exec sleep 60`], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const [, pid] = await waitForLine(parent, /^ready (\d+)/);
        process.kill(Number(pid), 'SIGKILL');
        const state = async () => (await fs.readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.[0];
        while ((await state()) !== 'Z') await new Promise((resolve) => setTimeout(resolve, 10));
        const store = await createPersistentStore({ key: 'K', initial: {}, adapter: fileAdapter({ dir: tempDir() }) });
        await store.close();
      } finally {
        await kill(parent);
      }
    });

    test('six processes taking over one stale lock at the same moment: exactly one gets it, the others are refused', async () => {
      // Found by the torture suite: moving the stale lock aside could move a racer's fresh one, and a third took the key meanwhile.
      for (let round = 0; round < 3; round++) {
        const dir = path.join(tempDir(), `round-${round}`);
        await fs.mkdir(dir);
        const stale = JSON.stringify({ pid: 2 ** 22 + 1, host: hostname(), since: 'then', token: 'stale' });
        await fs.writeFile(path.join(dir, round === 0 ? 'K.json.lock' : `K.json~lock.${round}`), stale); // an older version's, or ours
        const [go, done] = [path.join(tempDir(), `go-${round}`), path.join(tempDir(), `done-${round}`)];
        const racers = Array.from({ length: 6 }, () => startFixture('lock-racer', [dir, go, done]));
        await Promise.all(racers.map((racer) => waitForLine(racer, /^ready$/, 120_000))); // six tsx start-ups on a loaded machine
        await fs.writeFile(go, '');
        // Every winner holds the key until all have answered: two "got" would be two holders at once.
        const lines = await Promise.all(racers.map((racer) => waitForLine(racer, /^(got|refused .*)$/, 60_000).then(([line]) => line)));
        await fs.writeFile(done, '');
        expect({ round, lines: lines.sort() }).toEqual({ round, lines: ['got', ...Array<string>(5).fill('refused STORE_LOCKED')] });
      }
    }, 600_000);

    test('a lock from another host cannot be checked: refused, with how to clear it', async () => {
      await fs.writeFile(path.join(tempDir(), 'K.json.lock'), JSON.stringify({ pid: 1, host: 'elsewhere', since: 'then', token: 't' }));
      await expect(fileAdapter({ dir: tempDir() }).lock!('K')).rejects.toThrow(/by process 1 on host elsewhere since then .* delete the lock file/);
    });

    test('a lock file that is not ours (garbage, or our own pid after a container restart) is stale', async () => {
      await fs.writeFile(path.join(tempDir(), 'A.json.lock'), 'garbage');
      await fs.writeFile(path.join(tempDir(), 'B.json.lock'), JSON.stringify({ pid: process.pid, host: hostname(), since: 'x', token: 'old' }));
      const adapter = fileAdapter({ dir: tempDir() });
      const releases = [await adapter.lock!('A'), await adapter.lock!('B')];
      for (const release of releases) await release();
      expect(await list()).toEqual([]);
    });
  });
});
