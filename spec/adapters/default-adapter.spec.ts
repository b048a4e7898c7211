import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { defaultAdapter } from '../../src/adapters/default-adapter.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { startFakeApify } from '../support/fake-apify-server.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('default-adapter');
const ENV = ['APIFY_IS_AT_HOME', 'APIFY_TOKEN', 'APIFY_API_BASE_URL', 'ACTOR_DEFAULT_KEY_VALUE_STORE_ID', 'CRAWLEE_STORAGE_DIR'] as const;
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('defaultAdapter', () => {
  test('in Node off the platform: files in the Crawlee layout under CRAWLEE_STORAGE_DIR', async () => {
    delete process.env.APIFY_IS_AT_HOME;
    process.env.CRAWLEE_STORAGE_DIR = tempDir();
    const adapter = await defaultAdapter();
    expect(adapter.name).toBe('file');
    expect(adapter.locate('K')).toBe(path.join(tempDir(), 'key_value_stores', 'default', 'K.json'));
  });

  test('on the Apify platform: the run\'s default key-value store, since the container\'s disk does not survive a migration', async () => {
    const api = await startFakeApify('run-token', 'run-store');
    try {
      Object.assign(process.env, { APIFY_IS_AT_HOME: '1', APIFY_TOKEN: 'run-token', APIFY_API_BASE_URL: api.url, ACTOR_DEFAULT_KEY_VALUE_STORE_ID: 'run-store', CRAWLEE_STORAGE_DIR: tempDir() });
      const store = await createPersistentStore({ key: 'STATE', initial: { n: 0 }, events: EMPTY });
      store.update((s) => void (s.n = 3));
      await store.close();
      // The key's head, its small snapshot inline (see logAdapter).
      expect(JSON.parse(api.records.get('STATE')!).snapshot.inline.state).toEqual({ n: 3 });
      expect(await fs.readdir(tempDir())).toEqual([]); // nothing on the local disk
    } finally {
      await api.stop();
    }
  });
});
