import { EMPTY } from 'rxjs';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { FlushError, InvalidOptionError, PersistentStoreError } from '../../../src/errors.js';
import { createPersistentStore } from '../../../src/store/create-persistent-store.js';
import type { PersistenceStatus } from '../../../src/store/persistence-status.js';
import { startFakeApify } from '../../support/fake-apify-server.js';

const TOKEN = 'apify_api_SECRET-do-not-leak-1234';
let api: Awaited<ReturnType<typeof startFakeApify>>;
beforeEach(async () => {
  api = await startFakeApify(TOKEN, 'store-1');
});
afterEach(() => api.stop());

const adapter = (extra: object = {}) => remoteKvAdapter({ dialect: { dialect: 'apify', token: TOKEN, storeId: 'store-1', baseUrl: api.url }, retryDelayMs: 5, ...extra });

describe('remote KV adapter, apify dialect (documented API, fake server)', () => {
  test('a store round-trips through the records API with a bearer token; 404 means nothing stored', async () => {
    const first = await createPersistentStore({ key: 'STATE', initial: { n: 0 }, adapter: adapter(), events: EMPTY });
    expect(first.restored).toBe(false);
    first.update((s) => void (s.n = 7));
    await first.close();
    expect(JSON.parse(api.records.get('STATE')!).state).toEqual({ n: 7 });
    const second = await createPersistentStore({ key: 'STATE', initial: { n: 0 }, adapter: adapter(), events: EMPTY });
    expect(second.getState()).toEqual({ n: 7 });
    await second.close();
    expect(api.requests.every((r) => r.authorized)).toBe(true);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toContain('PUT /v2/key-value-stores/store-1/records/STATE');
  });

  test('defaults come from APIFY_TOKEN, APIFY_API_BASE_URL and ACTOR_DEFAULT_KEY_VALUE_STORE_ID', async () => {
    Object.assign(process.env, { APIFY_TOKEN: TOKEN, APIFY_API_BASE_URL: api.url, ACTOR_DEFAULT_KEY_VALUE_STORE_ID: 'store-1' });
    try {
      await remoteKvAdapter({ dialect: { dialect: 'apify' } }).write('K', { ok: true });
      expect(api.records.has('K')).toBe(true);
    } finally {
      for (const name of ['APIFY_TOKEN', 'APIFY_API_BASE_URL', 'ACTOR_DEFAULT_KEY_VALUE_STORE_ID']) delete process.env[name];
    }
    expect(() => remoteKvAdapter({ dialect: { dialect: 'apify', storeId: 's' } })).toThrow(InvalidOptionError);
  });

  test('429 is retried after its Retry-After, 5xx with backoff; other 4xx never', async () => {
    api.script({ status: 429, headers: { 'retry-after': '1' } }, { status: 503 });
    const started = Date.now();
    await adapter().write('K', 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // waited as told
    expect(api.requests.filter((r) => r.method === 'PUT')).toHaveLength(3);

    const wrongToken = remoteKvAdapter({ dialect: { dialect: 'apify', token: 'wrong', storeId: 'store-1', baseUrl: api.url }, retryDelayMs: 5 });
    api.requests.length = 0;
    await expect(wrongToken.write('K', 1)).rejects.toThrow(/answered 401/);
    expect(api.requests).toHaveLength(1);
  });

  test('a state over 9 MB is refused before sending, naming the key and the size', async () => {
    const big = 'x'.repeat(9 * 1024 * 1024);
    const error = await adapter().write('HUGE', big).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PersistentStoreError);
    expect((error as Error).message).toMatch(/"HUGE" is 943718\d bytes; apify takes at most 9437184 in one request\. Nothing was sent/);
    expect((error as { retryable?: boolean }).retryable).toBe(false);
    expect(api.requests).toHaveLength(0);
  });

  test('the token never appears in an error, a message on status$, or a flush rejection', async () => {
    const statuses: PersistenceStatus[] = [];
    const store = await createPersistentStore({ key: 'STATE', initial: { n: 0 }, adapter: adapter({ retries: 0 }), events: EMPTY, flushTimeoutMs: 300 });
    store.status$.subscribe((s) => statuses.push(s));
    api.script(...Array.from({ length: 20 }, () => ({ status: 500 })));
    store.update((s) => void s.n++);
    const error = await store.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlushError);
    const everything = JSON.stringify([String(error), (error as Error).cause && String((error as Error).cause), statuses.map((s) => s.lastError?.message)]);
    expect(everything).toMatch(/answered 500/);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain('SECRET');
    await store.close().catch(() => undefined);
  });
});
