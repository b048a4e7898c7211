import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { defaultAdapter } from '../../src/adapters/default-adapter.js';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { PersistentStoreError, PlatformConfigError } from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { startFakeApify } from '../support/fake-apify-server.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('default-adapter');
const ENV = [
  'APIFY_IS_AT_HOME',
  'APIFY_TOKEN',
  'APIFY_API_BASE_URL',
  'ACTOR_DEFAULT_KEY_VALUE_STORE_ID',
  'APIFY_DEFAULT_KEY_VALUE_STORE_ID',
  'CRAWLEE_STORAGE_DIR',
] as const;
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

  test("on the Apify platform: the run's default key-value store, since the container's disk does not survive a migration", async () => {
    const api = await startFakeApify('run-token', 'run-store');
    try {
      Object.assign(process.env, {
        APIFY_IS_AT_HOME: '1',
        APIFY_TOKEN: 'run-token',
        APIFY_API_BASE_URL: api.url,
        ACTOR_DEFAULT_KEY_VALUE_STORE_ID: 'run-store',
        CRAWLEE_STORAGE_DIR: tempDir(),
      });
      const store = await createPersistentStore({ key: 'STATE', initial: { n: 0 }, events: EMPTY });
      expect(store.location).toBe(`${api.url}/v2/key-value-stores/run-store/records/STATE`); // where it went, without the token
      store.update((s) => void (s.n = 3));
      await store.close();
      // The key's head, its small snapshot inline (see logAdapter).
      expect(JSON.parse(api.records.get('STATE')!).snapshot.inline.state).toEqual({ n: 3 });
      expect(await fs.readdir(tempDir())).toEqual([]); // nothing on the local disk
    } finally {
      await api.stop();
    }
  });

  describe("on the Apify platform without what the run's store needs: refused at open, never the disk a migration leaves behind", () => {
    const open = () => createPersistentStore({ key: 'STATE', initial: { n: 0 }, events: EMPTY });

    test.each([
      ['APIFY_TOKEN', { ACTOR_DEFAULT_KEY_VALUE_STORE_ID: 'run-store' }, 'the API token, which the platform gives every run'],
      ['APIFY_TOKEN', { APIFY_TOKEN: '', ACTOR_DEFAULT_KEY_VALUE_STORE_ID: 'run-store' }, 'the API token, which the platform gives every run'],
      ['ACTOR_DEFAULT_KEY_VALUE_STORE_ID', { APIFY_TOKEN: 'run-token' }, "the id of the run's default key-value store"],
    ] as const)('without %s (%j): PlatformConfigError naming it and the way out; nothing read or written', async (variable, env, what) => {
      for (const name of ['APIFY_TOKEN', 'ACTOR_DEFAULT_KEY_VALUE_STORE_ID', 'APIFY_DEFAULT_KEY_VALUE_STORE_ID']) delete process.env[name];
      Object.assign(process.env, { APIFY_IS_AT_HOME: '1', CRAWLEE_STORAGE_DIR: tempDir(), ...env });
      const error = await open().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlatformConfigError);
      expect(error).toBeInstanceOf(PersistentStoreError);
      expect(error).toMatchObject({ code: 'PLATFORM_CONFIG', variable });
      expect((error as Error).message).toBe(
        `APIFY_IS_AT_HOME is set, so the state belongs in the run's key-value store (a migration leaves the container's disk behind), but ${variable} (${what}) is not set. ` +
          'Set it, or pass `adapter: fileAdapter()` to keep the state on this disk on purpose. Nothing was read or written.',
      );
      expect(await fs.readdir(tempDir())).toEqual([]);
    });

    test('the way out the message names: adapter: fileAdapter() keeps the state on the disk on purpose', async () => {
      delete process.env.APIFY_TOKEN;
      Object.assign(process.env, { APIFY_IS_AT_HOME: '1', CRAWLEE_STORAGE_DIR: tempDir() });
      const store = await createPersistentStore({ key: 'STATE', initial: { n: 0 }, adapter: fileAdapter(), events: EMPTY });
      expect(store.location).toBe(path.join(tempDir(), 'key_value_stores', 'default', 'STATE.json'));
      store.update((s) => void (s.n = 1));
      await store.close();
      expect(await fs.readdir(path.join(tempDir(), 'key_value_stores', 'default'))).toContain('STATE.json');
    });
  });
});
