import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { KeyedMap } from '../../src/store/keyed-map.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { runCli } from '../support/processes.js';
import { useTempDir } from '../support/temp-dir.js';

const storage = useTempDir('inspect');
const dir = () => path.join(storage(), 'key_value_stores', 'default');

/** A store with a snapshot, then journal records on top of it, left open or closed. */
async function makeStore(key: string) {
  const store = await createPersistentStore({ key, initial: { label: 'crawl', seen: new KeyedMap<number>() }, adapter: fileAdapter({ dir: dir() }), events: EMPTY, version: 2, migrate: (s) => s as never });
  for (let i = 0; i < 3; i++) {
    store.update((s) => {
      for (let j = 0; j < 100; j++) s.seen.set(`https://example.com/${i * 100 + j}`, i);
    });
    await store.flush(); // a snapshot first, then journal records
  }
  return store;
}

const snapshotFiles = async () => Promise.all((await fs.readdir(dir())).sort().map(async (name) => [name, await fs.readFile(path.join(dir(), name), 'utf8')]));

describe('rx-persistent-store inspect', () => {
  test('a key: version, save time, size, journal, and the state with big collections cut short; reads only, even while the store is open', async () => {
    const store = await makeStore('CRAWL');
    const before = await snapshotFiles();
    const { code, stdout, stderr } = await runCli(['inspect', 'CRAWL', '--dir', dir()]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^store\s+CRAWL$/m);
    expect(stdout).toContain(`file     ${path.join(dir(), 'CRAWL.json')} (`);
    expect(stdout).toMatch(/^version\s+2$/m);
    expect(stdout).toMatch(/^saved at\s+\d{4}-\d\d-\d\dT/m);
    expect(stdout).toMatch(/^journal\s+2 records, [\d.]+ kB; 2 newer than the snapshot, replayed below$/m);
    expect(stdout).toContain('"label": "crawl"');
    expect(stdout).toContain('"…": "290 more entries"');
    expect(stdout.split('\n').length).toBeLessThan(40);
    expect(await snapshotFiles()).toEqual(before);
    await store.close();
  });

  test('--json: everything, the whole state with maps as plain objects; a file path works as well as a key', async () => {
    await (await makeStore('CRAWL')).close();
    const { code, stdout } = await runCli(['inspect', path.join(dir(), 'CRAWL.json'), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ key: 'CRAWL', version: 2, journal: { records: 2, replayed: 2 } });
    expect(Object.keys(report.state.seen)).toHaveLength(300);
    expect(report.state.seen['https://example.com/250']).toBe(2);
  });

  test('the default folder is the Crawlee layout under CRAWLEE_STORAGE_DIR; a bare value (Crawlee useState) is shown as such', async () => {
    await fs.mkdir(dir(), { recursive: true });
    await fs.writeFile(path.join(dir(), 'CRAWLEE_STATE.json'), JSON.stringify({ done: 4 }));
    const { code, stdout } = await runCli(['inspect', 'CRAWLEE_STATE'], { CRAWLEE_STORAGE_DIR: storage() });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^version\s+none: a bare value, not written by this library \(read as version 0\)$/m);
    expect(stdout).toMatch(/^journal\s+empty$/m);
    expect(stdout).toContain('"done": 4');
  });

  describe('stored text holding terminal escapes is shown escaped, never obeyed', () => {
    // ESC sequences (clear screen, retitle), CSI as one C1 byte, BEL, backspace, bidi overrides.
    const NAME = '\u001b[2J\u001b]0;pwned\u0007\u009b31m\b\u202eevil\u2066x\u2069'; // file names and arguments hold no NUL
    const HOSTILE = `${NAME}\u0000`;
    /** Every control character printed, other than the newline that ends each line. */
    const rawControls = (text: string) => [...text.matchAll(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g)].map((m) => m[0].charCodeAt(0).toString(16));

    test('in the state (values and map keys), pretty and --json', async () => {
      const store = await createPersistentStore({ key: 'HOSTILE', initial: { label: HOSTILE, seen: new KeyedMap<string>() }, adapter: fileAdapter({ dir: dir() }), events: EMPTY });
      store.update((s) => void s.seen.set(HOSTILE, HOSTILE));
      await store.close();
      for (const args of [['inspect', 'HOSTILE', '--dir', dir()], ['inspect', 'HOSTILE', '--dir', dir(), '--json']]) {
        const { code, stdout, stderr } = await runCli(args);
        expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
        expect(rawControls(stdout)).toEqual([]);
        expect(stdout).toContain('\\u009b31m');
        expect(stdout).toContain('\\u202eevil');
      }
      const { stdout } = await runCli(['inspect', 'HOSTILE', '--dir', dir(), '--json']);
      expect(JSON.parse(stdout).state.label).toBe(HOSTILE); // the escapes are JSON's own: nothing lost
    });

    test('in file names and arguments, on the error line', async () => {
      await (await makeStore('CRAWL')).close();
      await fs.writeFile(path.join(dir(), `${NAME}.json`), '{}');
      const missing = await runCli(['inspect', 'NOPE', '--dir', dir()]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('\\u001b]0;pwned\\u0007');
      const file = await runCli(['inspect', path.join(dir(), `${NAME}.json`)]);
      const flag = await runCli(['inspect', 'K', `--${NAME}`]);
      expect(flag.code).toBe(2);
      for (const { stdout, stderr } of [missing, file, flag]) {
        expect(rawControls(stdout + stderr)).toEqual([]);
        expect(stderr.split('\n')).toHaveLength(2); // one line, then the end
      }
    });
  });

  describe('bad input: one line on stderr, a non-zero exit, nothing changed', () => {
    test('a key that does not exist names the folder and the stores that are there', async () => {
      await (await makeStore('CRAWL')).close();
      const { code, stderr } = await runCli(['inspect', 'NOPE', '--dir', dir()]);
      expect(code).toBe(1);
      expect(stderr).toBe(`rx-persistent-store: no store "NOPE" in ${dir()} (no NOPE.json); stores there: CRAWL\n`);
    });

    test('a corrupt snapshot is reported, not repaired', async () => {
      await fs.mkdir(dir(), { recursive: true });
      await fs.writeFile(path.join(dir(), 'BROKEN.json'), '{"$rxps":1,"vers');
      const { code, stderr } = await runCli(['inspect', 'BROKEN', '--dir', dir()]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^rx-persistent-store: BROKEN: .*not valid JSON.*\n$/);
      expect(await fs.readFile(path.join(dir(), 'BROKEN.json'), 'utf8')).toBe('{"$rxps":1,"vers');
    });

    test.each([
      [['inspect'], /inspect: expected one key or file, got none/],
      [['inspect', 'A', 'B'], /inspect: expected one key or file, got A B/],
      [['inspect', '../etc/passwd'], /inspect: .*key/i],
      [['inspect', 'K', '--colour'], /inspect: Unknown option '--colour'/],
    ])('%j → exit 2', async (args, message) => {
      const { code, stderr } = await runCli(args, { CRAWLEE_STORAGE_DIR: storage() });
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});
