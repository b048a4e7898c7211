import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { remoteKvAdapter, type RemoteKvAdapterOptions } from '../../src/adapters/remote/remote-kv-adapter.js';
import type { StorageAdapter } from '../../src/adapters/storage-adapter.js';
import { KeyedMap } from '../../src/store/keyed-map.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { startEtcd } from '../support/etcd-server.js';
import { startFakeApify, type FakeApify } from '../support/fake-apify-server.js';
import { runCli } from '../support/processes.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { useTempDir } from '../support/temp-dir.js';
import { apifyDialect } from '../../src/adapters/remote/dialects/apify.js';
import { etcdDialect } from '../../src/adapters/remote/dialects/etcd.js';

const storage = useTempDir('inspect');
const dir = () => path.join(storage(), 'key_value_stores', 'default');

/** A store with a snapshot, then journal records on top of it, left open or closed (closing leaves the journal). */
async function makeStore(key: string, adapter: StorageAdapter = fileAdapter({ dir: dir() }), seen = new KeyedMap<number>()) {
  const store = await createPersistentStore({
    key,
    initial: { label: 'crawl', seen },
    adapter,
    events: EMPTY,
    version: 2,
    migrate: (s) => s as never,
    compactOnClose: false,
  });
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
    const rawControls = (text: string) =>
      [...text.matchAll(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g)].map((m) => m[0].charCodeAt(0).toString(16));

    test('in the state (values and map keys), pretty and --json', async () => {
      const store = await createPersistentStore({
        key: 'HOSTILE',
        initial: { label: HOSTILE, seen: new KeyedMap<string>() },
        adapter: fileAdapter({ dir: dir() }),
        events: EMPTY,
      });
      store.update((s) => void s.seen.set(HOSTILE, HOSTILE));
      await store.close();
      for (const args of [
        ['inspect', 'HOSTILE', '--dir', dir()],
        ['inspect', 'HOSTILE', '--dir', dir(), '--json'],
      ]) {
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

  describe('a key on a remote backend: read through the log, never written', () => {
    const TOKEN = 'apify_api_S3CRETtok3nValue';
    let etcd: Awaited<ReturnType<typeof startEtcd>>;
    let api: FakeApify;
    beforeAll(async () => {
      etcd = await startEtcd();
    });
    afterAll(() => etcd?.stop());
    beforeEach(async () => {
      api = await startFakeApify(TOKEN, 'store-1');
    });
    afterEach(() => api.stop());

    const onEtcd = (): RemoteKvAdapterOptions['dialect'] => etcdDialect({ endpoint: etcd.url, prefix: 'inspect-spec/' });
    const apifyEnv = () => ({ APIFY_TOKEN: TOKEN, APIFY_API_BASE_URL: api.url, ACTOR_DEFAULT_KEY_VALUE_STORE_ID: 'store-1' });
    /** etcd's revision: any write moves it. */
    const etcdRevision = async () => {
      const answer = (await (
        await fetch(`${etcd.url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==', range_end: 'AA==', count_only: true }) })
      ).json()) as { header: { revision: string } };
      return answer.header.revision;
    };

    test('etcd: the head (generation, snapshot, inline), the journal records and the state, as for a file; nothing written', async () => {
      const store = await makeStore('CRAWL', remoteKvAdapter({ dialect: onEtcd() }));
      const revision = await etcdRevision();
      const { code, stdout, stderr } = await runCli(['inspect', 'CRAWL', '--etcd', etcd.url, '--prefix', 'inspect-spec/']);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(/^store\s+CRAWL$/m);
      expect(stdout).toMatch(/^at\s+http:\/\/127\.0\.0\.1:\d+ key inspect-spec\/CRAWL \(etcd\)$/m);
      expect(stdout).toMatch(/^log\s+generation [a-z0-9]+; snapshot up to record 0, inline in the head$/m);
      expect(stdout).toMatch(/^version\s+2$/m);
      expect(stdout).toMatch(/^saved at\s+\d{4}-\d\d-\d\dT/m);
      // A shared key is created with the state as read: the first change is a record too.
      expect(stdout).toMatch(/^journal\s+3 records; 3 newer than the snapshot, replayed below$/m);
      expect(stdout).toContain('"…": "290 more entries"');
      const json = JSON.parse((await runCli(['inspect', 'CRAWL', '--etcd', etcd.url, '--prefix', 'inspect-spec/', '--json'])).stdout);
      expect(json).toMatchObject({
        key: 'CRAWL',
        backend: 'etcd',
        version: 2,
        log: { snapshotSeq: 0, snapshot: 'inline', closedRanges: 0 },
        journal: { records: 3, replayed: 3 },
      });
      expect(json.state.seen['https://example.com/250']).toBe(2);
      expect(await etcdRevision()).toBe(revision);
      await store.close();
    });

    test('etcd: a snapshot too big for the head is counted in chunks', async () => {
      const seen = new KeyedMap<number>();
      for (let i = 0; i < 6000; i++) seen.set(`https://example.com/a/rather/long/path/to/page/${i}`, i); // ~400 kB: over the 256 KiB kept inline
      await (await makeStore('BIG', remoteKvAdapter({ dialect: onEtcd() }), seen)).close();
      const { code, stdout } = await runCli(['inspect', 'BIG', '--etcd', etcd.url, '--prefix', 'inspect-spec/', '--json']);
      expect(code).toBe(0);
      const json = JSON.parse(stdout);
      expect(json.log.snapshot).toEqual({ chunks: 1 });
      expect(Object.keys(json.state.seen)).toHaveLength(6300);
    });

    test('Apify: token and store from the environment, only GETs sent, the token never printed', async () => {
      await (await makeStore('CRAWL', remoteKvAdapter({ dialect: apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: api.url }) }))).close();
      const sent = api.requests.length;
      const { code, stdout, stderr } = await runCli(['inspect', 'CRAWL', '--apify'], apifyEnv());
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(/^at\s+http:\/\/127\.0\.0\.1:\d+\/v2\/key-value-stores\/store-1\/records\/CRAWL \(apify\)$/m);
      expect(stdout).toMatch(/^log\s+generation [a-z0-9]+; snapshot up to record 0, inline in the head$/m);
      expect(stdout).toMatch(/^journal\s+2 records; 2 newer than the snapshot, replayed below$/m);
      expect(stdout).not.toContain(TOKEN);
      expect(new Set(api.requests.slice(sent).map((r) => r.method))).toEqual(new Set(['GET']));
      const other = await runCli(['inspect', 'CRAWL', '--apify', '--store-id', 'store-2'], apifyEnv());
      expect(other.code).toBe(1);
      expect(other.stderr).toMatch(
        /^rx-persistent-store: no store "CRAWL" on apify \(nothing at http:\/\/127\.0\.0\.1:\d+\/v2\/key-value-stores\/store-2\/records\/CRAWL\)\n$/,
      );
    });

    test('Apify: --json names where it read, never the token; APIFY_API_BASE_URL ending in /v2/ reads the same key', async () => {
      await (await makeStore('CRAWL', remoteKvAdapter({ dialect: apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: api.url }) }))).close();
      const json = await runCli(['inspect', 'CRAWL', '--apify', '--json'], apifyEnv());
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        backend: 'apify',
        location: `${api.url}/v2/key-value-stores/store-1/records/CRAWL`,
        journal: { records: 2 },
      });
      const v2 = await runCli(['inspect', 'CRAWL', '--apify'], { ...apifyEnv(), APIFY_API_BASE_URL: `${api.url}/v2/` });
      expect({ code: v2.code, stderr: v2.stderr }).toEqual({ code: 0, stderr: '' });
      expect(v2.stdout).toContain(`at       ${api.url}/v2/key-value-stores/store-1/records/CRAWL (apify)`);
      expect(json.stdout + v2.stdout).not.toContain(TOKEN);
    });

    test('Apify: a base URL that is not the API root is said to be one, not "no store"; the token stays out even when the server echoes it', async () => {
      const wrongPath = await runCli(['inspect', 'CRAWL', '--apify'], { ...apifyEnv(), APIFY_API_BASE_URL: `${api.url}/api` });
      expect({ code: wrongPath.code, stdout: wrongPath.stdout }).toEqual({ code: 1, stdout: '' });
      expect(wrongPath.stderr).toBe(
        `rx-persistent-store: CRAWL: read CRAWL: ${api.url}/api/v2/key-value-stores/store-1/records/CRAWL answered 404 "page-not-found", not "record-not-found", so no record of the Apify API is there; not taken for "nothing stored". ` +
          `The base URL (baseUrl or APIFY_API_BASE_URL, here ${api.url}/api) must be the API's root, such as https://api.apify.com, under which /v2/key-value-stores/… answers\n`,
      );
      const echo = await startScriptedServer((request) => ({
        status: 404,
        headers: { 'content-type': 'text/plain' },
        body: `no such page; you sent ${request.headers.authorization}`,
      }));
      try {
        const echoed = await runCli(['inspect', 'CRAWL', '--apify'], { ...apifyEnv(), APIFY_API_BASE_URL: echo.origin });
        expect(echo.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
        expect(echoed.code).toBe(1);
        expect(echoed.stderr).toContain('answered a 404 that is not the API\'s (no such page; you sent [redacted]), not "record-not-found"');
        expect(echoed.stderr).not.toContain(TOKEN);
        expect(echoed.stderr).not.toContain('S3CRET');
      } finally {
        await echo.stop();
      }
    });

    test('a value stored whole (Actor.setValue) is shown as not yet a log', async () => {
      api.records.set('INPUT_STATE', JSON.stringify({ done: 4 }));
      const { code, stdout } = await runCli(['inspect', 'INPUT_STATE', '--apify'], apifyEnv());
      expect(code).toBe(0);
      expect(stdout).toMatch(/^log\s+a value stored whole, not yet a log \(moved into one on the next write\)$/m);
      expect(stdout).toMatch(/^version\s+none: a bare value/m);
      expect(stdout).toContain('"done": 4');
    });

    test('a missing key names the backend and where it looked', async () => {
      const { code, stdout, stderr } = await runCli(['inspect', 'NOPE', '--etcd', etcd.url]);
      expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
      expect(stderr).toMatch(/^rx-persistent-store: no store "NOPE" on etcd \(nothing at http:\/\/127\.0\.0\.1:\d+ key rx-persistent-store\/NOPE\)\n$/);
    });

    test('a hostile head is refused with the typed error, nothing else fetched, nothing written', async () => {
      const head = { $rxps: 2, gen: 'k1', seq: 0, from: 1, closed: [], snapshot: { id: '../../INPUT', count: 1e9, length: 1 }, savedAt: 'x' };
      api.records.set('EVIL', JSON.stringify(head));
      const { code, stderr } = await runCli(['inspect', 'EVIL', '--apify'], apifyEnv());
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /^rx-persistent-store: EVIL: Stored state for key "EVIL" at http:\/\/127\.0\.0\.1:\d+\/v2\/key-value-stores\/store-1\/records\/EVIL is unreadable: its head is malformed: its snapshot id is not an id\. It was not modified\.\n$/,
      );
      expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v2/key-value-stores/store-1/records/EVIL']);
      api.records.set('EVIL', JSON.stringify({ ...head, snapshot: { id: 'k2', count: 1e9, length: 1 } }));
      const count = await runCli(['inspect', 'EVIL', '--apify'], apifyEnv());
      expect(count.stderr).toContain('its head is malformed: its snapshot chunk count 1000000000 is not from 1 to 100000.');
    });

    test("a wrong token: the service's refusal, without the token", async () => {
      const { code, stderr } = await runCli(['inspect', 'CRAWL', '--apify'], { ...apifyEnv(), APIFY_TOKEN: 'apify_api_WRONGtok3nValue' });
      expect(code).toBe(1);
      expect(stderr).toMatch(/^rx-persistent-store: CRAWL: .*401/);
      expect(stderr).not.toContain('WRONGtok3n');
      expect(stderr.split('\n')).toHaveLength(2);
    });

    test.each([
      [['--etcd', 'http://127.0.0.1:1', '--apify'], /inspect: --etcd and --apify cannot be used together: one store at a time/],
      [['--dir', '/tmp', '--webdav', 'http://127.0.0.1:1/state'], /inspect: --dir and --webdav cannot be used together/],
      [['--prefix', 'p/'], /inspect: --prefix goes with --etcd/],
      [['--webdav', 'http://127.0.0.1:1/state', '--store-id', 's'], /inspect: --store-id goes with --apify/],
      [['--apify'], /inspect: --apify reads the token from APIFY_TOKEN, which is not set/],
      [
        ['--etcd', 'ftp://user:hunter2secret@127.0.0.1:1'],
        /inspect: --etcd: expected an http\(s\) URL such as http:\/\/127\.0\.0\.1:2379 \(--help for usage\)$/,
      ],
      [['--webdav', 'not a url hunter2secret'], /inspect: --webdav: expected an http\(s\) URL/],
      [['--etcd'], /inspect: Option '--etcd <value>' argument missing/],
    ])('K %j → exit 2, one line, no credential', async (args, message) => {
      const { code, stderr } = await runCli(['inspect', 'K', ...args], { APIFY_TOKEN: '', ACTOR_DEFAULT_KEY_VALUE_STORE_ID: 's' });
      expect(code).toBe(2);
      expect(stderr.trim()).toMatch(message);
      expect(stderr).not.toContain('hunter2');
      expect(stderr.trim().split('\n')).toHaveLength(1);
    });

    test('--apify without a store id, and a remote target that is no key, are usage errors', async () => {
      const noStore = await runCli(['inspect', 'K', '--apify'], {
        APIFY_TOKEN: TOKEN,
        ACTOR_DEFAULT_KEY_VALUE_STORE_ID: '',
        APIFY_DEFAULT_KEY_VALUE_STORE_ID: '',
      });
      expect(noStore.code).toBe(2);
      expect(noStore.stderr).toContain('inspect: --apify needs a key-value store id: --store-id ID, or ACTOR_DEFAULT_KEY_VALUE_STORE_ID');
      expect(noStore.stderr).not.toContain(TOKEN);
      const badKey = await runCli(['inspect', '../etc/passwd', '--etcd', etcd.url]);
      expect(badKey.code).toBe(2);
      expect(badKey.stderr).toMatch(/inspect: .*key/i);
    });
  });
});
