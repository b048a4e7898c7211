import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { remoteKvAdapter } from '../../src/adapters/remote/remote-kv-adapter.js';
import type { StorageAdapter } from '../../src/adapters/storage-adapter.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';
import { startFakeApify, type FakeApify } from '../support/fake-apify-server.js';
import { outputOf, startFixture } from '../support/processes.js';
import { useTempDir } from '../support/temp-dir.js';
import { apifyDialect } from '../../src/adapters/remote/dialects/apify.js';

// What a user sees of a closed store with the tools they already have: the real `apify` package
// reading the key (spec/fixtures/read-with-apify-sdk.ts), locally and through the platform's API.

const storage = useTempDir('apify-sdk-read');
const URLS = 300;
const TOKEN = 'sdk-read-token';

/** Opens a store, fills its map over several writes (a snapshot, then journal records), changes it once more and closes. */
async function crawlThenClose(adapter: StorageAdapter): Promise<void> {
  const store = await createPersistentStore({ key: 'CRAWL', initial: { done: 0, seen: new KeyedMap<number>() }, adapter, events: EMPTY });
  for (let batch = 0; batch < 3; batch++) {
    store.update((s) => {
      for (let i = 0; i < URLS / 3; i++) s.seen.set(`https://example.com/${batch * 100 + i}`, batch);
      s.done += URLS / 3;
    });
    await store.flush();
  }
  store.update((s) => {
    s.seen.set('__proto__', -1);
    s.seen.delete('https://example.com/0');
    s.done = -1;
  });
  await store.close();
}

/** What the SDK printed on its `value` line. */
async function readWithSdk(args: string[], env: NodeJS.ProcessEnv): Promise<unknown> {
  const { code, stdout, stderr } = await outputOf(startFixture('read-with-apify-sdk', args, env));
  expect({ code, stderr: stderr.replace(/.*WARN.*\n?/g, '') }).toEqual({ code: 0, stderr: '' });
  const line = stdout.split('\n').find((l) => l.startsWith('value '));
  return JSON.parse(line!.slice('value '.length));
}

/** The envelope's state as the SDK got it: the current one, the map's entries readable as they are. */
function expectCurrent(envelope: { state: { done: number; seen: { $rxpsMap: number; entries: [string, number][] } } }): void {
  expect(envelope.state.done).toBe(-1);
  expect(envelope.state.seen.$rxpsMap).toBe(1);
  const seen = new Map(envelope.state.seen.entries);
  expect(seen.size).toBe(URLS);
  expect(seen.get('https://example.com/250')).toBe(2);
  expect(seen.has('https://example.com/0')).toBe(false);
  expect(Object.getOwnPropertyNames(Object.fromEntries(envelope.state.seen.entries))).toContain('__proto__');
}

describe('a closed store, read with the Apify SDK', () => {
  test('locally: Actor.getValue on the default store gives the state as closed, the map as its entries', async () => {
    const dir = path.join(storage(), 'key_value_stores', 'default');
    await crawlThenClose(fileAdapter({ dir }));
    const value = await readWithSdk(['local', 'CRAWL'], { CRAWLEE_STORAGE_DIR: storage(), CRAWLEE_PURGE_ON_START: '0', APIFY_IS_AT_HOME: '', APIFY_TOKEN: '' });
    expect(value).toMatchObject({ $rxps: 1, seq: 3 });
    expectCurrent(value as never);
  });

  describe('on the platform (the API the SDK and the console call)', () => {
    let api: FakeApify;
    beforeEach(async () => {
      api = await startFakeApify(TOKEN, 'store-1');
    });
    afterEach(() => api.stop());

    test('the key holds the head, whose inline snapshot is the state as closed, the map as its entries', async () => {
      await crawlThenClose(remoteKvAdapter({ dialect: apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: api.url }) }));
      const head = (await readWithSdk(['platform', 'CRAWL', 'store-1'], { APIFY_TOKEN: TOKEN, APIFY_API_BASE_URL: api.url })) as {
        seq: number;
        snapshot: { inline: { seq: number } };
      };
      expect(head).toMatchObject({ $rxps: 2, seq: 3, snapshot: { inline: { $rxps: 1, seq: 3 } } });
      expectCurrent(head.snapshot.inline as never);
      expect([...api.records.keys()].filter((name) => name.includes('(rxps)s.'))).toEqual([]); // no segment left to replay
    });
  });
});
