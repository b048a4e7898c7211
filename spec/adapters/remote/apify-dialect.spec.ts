import { EMPTY } from 'rxjs';
import { apifyDialect } from '../../../src/adapters/remote/dialects/apify.js';
import { EndpointNotFoundError, RemoteStorageError, type FetchLike } from '../../../src/adapters/remote/http.js';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { FlushError, InvalidOptionError } from '../../../src/errors.js';
import { createPersistentStore } from '../../../src/store/create-persistent-store.js';
import type { PersistenceStatus } from '../../../src/store/persistence-status.js';
import { dialectSend } from '../../support/dialect-send.js';
import { APIFY_BODY_LIMIT, startFakeApify } from '../../support/fake-apify-server.js';
import { startScriptedServer } from '../../support/scripted-server.js';

const TOKEN = 'apify_api_SECRET-do-not-leak-1234';
let api: Awaited<ReturnType<typeof startFakeApify>>;
beforeEach(async () => {
  api = await startFakeApify(TOKEN, 'store-1');
});
afterEach(() => api.stop());

const adapter = (extra: object = {}) =>
  remoteKvAdapter({ dialect: apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: api.url }), retryDelayMs: 5, ...extra });

describe('remote KV adapter, apify dialect (documented API, fake server)', () => {
  test('a store round-trips through the records API with a bearer token; 404 means nothing stored', async () => {
    const first = await createPersistentStore({ key: 'STATE', initial: { n: 0 }, adapter: adapter(), events: EMPTY });
    expect(first.restored).toBe(false);
    first.update((s) => void (s.n = 7));
    await first.close();
    // The head, named like the key, holds a small snapshot inline (see logAdapter).
    expect(JSON.parse(api.records.get('STATE')!).snapshot.inline.state).toEqual({ n: 7 });
    const second = await createPersistentStore({ key: 'STATE', initial: { n: 0 }, adapter: adapter(), events: EMPTY });
    expect(second.getState()).toEqual({ n: 7 });
    await second.close();
    expect(api.requests.every((r) => r.authorized)).toBe(true);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toContain('PUT /v2/key-value-stores/store-1/records/STATE');
  });

  test('defaults come from APIFY_TOKEN, APIFY_API_BASE_URL and ACTOR_DEFAULT_KEY_VALUE_STORE_ID', async () => {
    Object.assign(process.env, { APIFY_TOKEN: TOKEN, APIFY_API_BASE_URL: api.url, ACTOR_DEFAULT_KEY_VALUE_STORE_ID: 'store-1' });
    try {
      await remoteKvAdapter({ dialect: apifyDialect() }).write('K', { ok: true });
      expect(api.records.has('K')).toBe(true);
    } finally {
      for (const name of ['APIFY_TOKEN', 'APIFY_API_BASE_URL', 'ACTOR_DEFAULT_KEY_VALUE_STORE_ID']) delete process.env[name];
    }
    expect(() => remoteKvAdapter({ dialect: apifyDialect({ storeId: 's' }) })).toThrow(InvalidOptionError);
  });

  test('429 is retried after its Retry-After, 5xx with backoff; other 4xx never', async () => {
    api.script({ status: 429, headers: { 'retry-after': '1' } }, { status: 503 });
    const started = Date.now();
    await adapter().write('K', 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // waited as told
    expect(api.requests.filter((r) => r.method === 'PUT')).toHaveLength(3);

    const wrongToken = remoteKvAdapter({ dialect: apifyDialect({ token: 'wrong', storeId: 'store-1', baseUrl: api.url }), retryDelayMs: 5 });
    api.requests.length = 0;
    await expect(wrongToken.write('K', 1)).rejects.toThrow(/answered 401/);
    expect(api.requests).toHaveLength(1);
  });

  test('a state over 9 MB is stored in chunks of at most 9,437,184 bytes each, and read back whole', async () => {
    const big = { $rxps: 1, version: 0, savedAt: '', seq: 0, state: `${'x'.repeat(9 * 1024 * 1024)}${'ž🐎'.repeat(1000)}` }; // bytes, not characters, count
    const writer = adapter();
    await writer.read('HUGE');
    await writer.write('HUGE', big);
    const chunks = [...api.records.keys()].filter((key) => key.startsWith('HUGE(rxps)c.'));
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    for (const chunk of chunks) expect(Buffer.byteLength(api.records.get(chunk)!)).toBeLessThanOrEqual(APIFY_BODY_LIMIT);
    const head = JSON.parse(api.records.get('HUGE')!);
    expect(head.snapshot).toEqual({ id: expect.any(String), count: chunks.length, length: JSON.stringify(big).length });
    expect(api.requests.some((r) => r.status === 413)).toBe(false); // nothing the API refused was sent
    expect(await adapter().read('HUGE')).toEqual(big);
  });

  test('a change over 9 MB goes in a segment of pieces, each within the limit, and is read back', async () => {
    const store = await createPersistentStore({ key: 'BIG_CHANGE', initial: { v: '' }, adapter: adapter(), events: EMPTY });
    store.update((s) => void (s.v = 'small'));
    await store.flush();
    store.update((s) => void (s.v = 'y'.repeat(9 * 1024 * 1024)));
    await store.flush(); // too large for one request: the segment's text in pieces
    await store.close();
    // Two pieces were sent (a compaction has taken them in and removed them since); none refused with 413.
    expect(api.requests.filter((r) => r.method === 'PUT' && decodeURIComponent(r.path).includes('/records/BIG_CHANGE(rxps)p.'))).toHaveLength(2);
    expect(api.requests.some((r) => r.status === 413)).toBe(false);
    const check = await createPersistentStore({ key: 'BIG_CHANGE', initial: { v: '' }, adapter: adapter(), events: EMPTY });
    expect(check.getState().v).toHaveLength(9 * 1024 * 1024);
    await check.close();
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

describe('apify dialect: key listing (documented API, fake server)', () => {
  const dialect = (baseUrl = api.url) => apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl });
  const keyRequests = () => api.requests.filter((r) => r.path.startsWith('/v2/key-value-stores/store-1/keys'));

  test('follows every page: 2,500 keys are three pages of at most 1000', async () => {
    for (let i = 0; i < 2_500; i++) api.records.set(`S.seg.${String(i).padStart(5, '0')}`, `{"n":${i}}`);
    api.records.set('OTHER', '{}');
    const listed = await dialect().list!(dialectSend(), 'S.seg.');
    expect(listed.map((r) => r.name).sort()).toEqual([...api.records.keys()].filter((k) => k !== 'OTHER').sort());
    expect(listed.every((r) => r.text === undefined)).toBe(true); // the listing carries sizes, not values
    expect(keyRequests().map((r) => new URL(r.path, api.url).searchParams.get('exclusiveStartKey'))).toEqual([null, 'S.seg.00999', 'S.seg.01999']);
    expect(keyRequests().every((r) => new URL(r.path, api.url).searchParams.get('limit') === '1000' && r.authorized)).toBe(true);
  });

  test('a prefix is a prefix of the key, not a part of it: AB(rxps)x is not under A(rxps)', async () => {
    for (const key of ['A(rxps)', 'A(rxps).1', "A(rxps)!'_-", 'AB(rxps)x', 'B', 'a(rxps)']) api.records.set(key, '1');
    expect((await dialect().list!(dialectSend(), 'A(rxps)')).map((r) => r.name).sort()).toEqual(['A(rxps)', "A(rxps)!'_-", 'A(rxps).1']);
    expect(await dialect().list!(dialectSend(), 'none')).toEqual([]);
    expect((await dialect().list!(dialectSend(), '')).length).toBe(6);
  });

  test('hostile or broken listings are RemoteStorageErrors with an excerpt, never an empty listing', async () => {
    const page = (data: unknown) => JSON.stringify({ data });
    const cases: Array<[string, string, RegExp]> = [
      ['a gateway page', '<html><body>Bad gateway</body></html>', /answered 200 with something that is not its key listing: <html><body>Bad gateway/],
      ['JSON that is no listing', '{}', /not its key listing: \{\}/],
      ['items not an array', page({ items: 'x', isTruncated: false }), /not its key listing/],
      ['an item without a key', page({ items: [{ size: 3 }], isTruncated: false }), /not its key listing/],
      ['a key that is not a string', page({ items: [{ key: 7 }], isTruncated: false }), /not its key listing/],
      ['no isTruncated', page({ items: [{ key: 'K' }] }), /not its key listing/],
      ['truncated without a cursor', page({ items: [{ key: 'K' }], isTruncated: true }), /not its key listing/],
      ['a cursor that never moves', page({ items: [{ key: 'K' }], isTruncated: true, nextExclusiveStartKey: 'K' }), /not its key listing/],
      ['an echo of the request', `{"echo":"Bearer ${TOKEN}"}`, /not its key listing/],
    ];
    for (const [name, body, message] of cases) {
      const server = await startScriptedServer(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body }));
      try {
        const error = await dialect(server.origin).list!(dialectSend(), 'K').catch((e: unknown) => e);
        expect([name, error]).toEqual([name, expect.any(RemoteStorageError)]);
        expect([name, (error as Error).message]).toEqual([name, expect.stringMatching(message)]);
        expect((error as RemoteStorageError).retryable).toBe(false);
        expect((error as Error).message).not.toContain(TOKEN);
        expect(server.requests.length).toBeLessThanOrEqual(2); // a looping cursor is caught at its first repeat
      } finally {
        await server.stop();
      }
    }
  });

  test('a server that ignores `prefix` sends every key: only those under the prefix are taken', async () => {
    const body = JSON.stringify({ data: { items: [{ key: 'A(rxps).1' }, { key: 'AB(rxps)x' }, { key: 'Z' }], count: 3, limit: 1000, isTruncated: false } });
    const server = await startScriptedServer(() => ({ status: 200, body }));
    try {
      expect(await dialect(server.origin).list!(dialectSend(), 'A(rxps)')).toEqual([{ name: 'A(rxps).1' }]);
      expect(new URL(server.requests[0]!.url, server.origin).searchParams.get('prefix')).toBe('A(rxps)');
      expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    } finally {
      await server.stop();
    }
  });

  test('a missing store or a refused token is an error, not an empty listing', async () => {
    await expect(apifyDialect({ token: TOKEN, storeId: 'nope', baseUrl: api.url }).list!(dialectSend(), '')).rejects.toThrow(
      /list keys starting "": the Apify API answered 404/,
    );
    await expect(apifyDialect({ token: 'wrong', storeId: 'store-1', baseUrl: api.url }).list!(dialectSend(), '')).rejects.toThrow(/answered 401/);
  });
});

describe('apify dialect: only the API\'s record-not-found means "nothing stored" (documented API, fake server)', () => {
  const open = (baseUrl: string) =>
    createPersistentStore({
      key: 'STATE',
      initial: { n: 0 },
      adapter: remoteKvAdapter({ dialect: apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl }), retryDelayMs: 5 }),
      events: EMPTY,
    });

  test('the fake answers a path that is no endpoint as the API does: 404 page-not-found', async () => {
    const response = await fetch(`${api.url}/v2/v2/key-value-stores/store-1/records/STATE`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { type: 'page-not-found', message: 'We have bad news: there is no API endpoint at this URL. Did you specify it correctly?' },
    });
  });

  test.each(['/v2', '/v2/', '/v2//'])(
    'a base URL ending in %s is the API root with its version: taken off, the state is read and written where it is',
    async (tail) => {
      api.records.set('STATE', JSON.stringify({ n: 41 })); // a value stored whole (Actor.setValue), adopted as version 0
      const store = await open(`${api.url}${tail}`);
      expect(store.restored).toBe(true);
      expect(store.location).toBe(`${api.url}/v2/key-value-stores/store-1/records/STATE`);
      store.update((s) => void s.n++);
      await store.close();
      expect(JSON.parse(api.records.get('STATE')!).snapshot.inline.state).toEqual({ n: 42 });
      expect(api.requests.every((r) => r.path.startsWith('/v2/key-value-stores/store-1/'))).toBe(true);
    },
  );

  test('any other base URL the API does not serve: EndpointNotFoundError at open naming the URL, nothing written, not retried, no credential', async () => {
    api.records.set('STATE', JSON.stringify({ n: 41 }));
    const base = api.url.replace('http://', 'http://proxy-user:proxy-Pa55word@') + '/api';
    const error = await open(base).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointNotFoundError);
    expect(error).toBeInstanceOf(RemoteStorageError);
    const { code, status, retryable, url, message } = error as EndpointNotFoundError;
    expect({ code, status, retryable }).toEqual({ code: 'ENDPOINT_NOT_FOUND', status: 404, retryable: false });
    expect(url).toBe(`${api.url}/api/v2/key-value-stores/store-1/records/STATE`);
    expect(message).toBe(
      `read STATE: ${url} answered 404 "page-not-found", not "record-not-found", so no record of the Apify API is there; not taken for "nothing stored". ` +
        `The base URL (baseUrl or APIFY_API_BASE_URL, here ${api.url}/api) must be the API's root, such as https://api.apify.com, under which /v2/key-value-stores/… answers`,
    );
    expect(JSON.stringify([message, String((error as Error).stack)])).not.toMatch(/Pa55word|proxy-user|SECRET/);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v2/key-value-stores/store-1/records/STATE']);
    expect(JSON.parse(api.records.get('STATE')!)).toEqual({ n: 41 }); // left as it was
  });

  test('a 404 without the API\'s error body (a proxy\'s page) is refused too; record-not-found, also for delete, is "absent"', async () => {
    const server = await startScriptedServer(() => ({ status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>Not Found</body></html>' }));
    try {
      const wrong = apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: server.origin });
      for (const call of [
        () => wrong.get(dialectSend(), 'K'),
        () => wrong.delete(dialectSend(), 'K'),
        () => wrong.put(dialectSend(), 'K', '{}', undefined),
        () => wrong.list!(dialectSend(), 'K'),
      ]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EndpointNotFoundError);
        expect((error as Error).message).toMatch(/answered a 404 that is not the API's \(<html><body>Not Found<\/body><\/html>\), not "record-not-found"/);
      }
    } finally {
      await server.stop();
    }
    const bare = await startScriptedServer(() => ({ status: 404 }));
    try {
      const error = await apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: bare.origin })
        .get(dialectSend(), 'K')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EndpointNotFoundError);
      expect((error as Error).message).toContain('answered a 404 without a body, not "record-not-found"');
    } finally {
      await bare.stop();
    }
    const right = apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: api.url });
    expect(await right.get(dialectSend(), 'NONE')).toBeUndefined();
    await expect(right.delete(dialectSend(), 'NONE')).resolves.toBeUndefined();
    expect(api.requests.map((r) => r.status)).toEqual([404, 404]);
  });

  test('record-or-token-not-found is "absent" too, as apify-client takes it', async () => {
    const server = await startScriptedServer(() => ({
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: { type: 'record-or-token-not-found', message: 'Record or token not found' } }),
    }));
    try {
      expect(await apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: server.origin }).get(dialectSend(), 'K')).toBeUndefined();
    } finally {
      await server.stop();
    }
  });

  test('a store named username/store-name is sent as username~store-name, as apify-client sends it', async () => {
    const named = await startFakeApify(TOKEN, 'someone~crawl-state');
    try {
      await apifyDialect({ token: TOKEN, storeId: 'someone/crawl-state', baseUrl: named.url }).put(dialectSend(), 'K', '{}', undefined);
      expect(named.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['PUT /v2/key-value-stores/someone~crawl-state/records/K 201']);
    } finally {
      await named.stop();
    }
  });
});

describe('the fake Apify API keeps the documented limits', () => {
  const put = (body: string, key = 'BIG') =>
    fetch(`${api.url}/v2/key-value-stores/store-1/records/${key}`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` }, body });

  test('a body of 9,437,184 bytes is stored; one byte more is 413 request-too-large', async () => {
    expect((await put('x'.repeat(APIFY_BODY_LIMIT))).status).toBe(201);
    expect(api.records.get('BIG')).toHaveLength(APIFY_BODY_LIMIT);
    const refused = await put('x'.repeat(APIFY_BODY_LIMIT + 1), 'BIGGER');
    expect(refused.status).toBe(413);
    expect(await refused.json()).toEqual({
      error: { type: 'request-too-large', message: `The PUT payload is too large (limit: 9437184 bytes, actual length: 9437185 bytes).` },
    });
    expect(api.records.has('BIGGER')).toBe(false);
    // The dialect's limit is the same number: the adapter refuses before sending what the API would.
    expect(apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: api.url }).maxValueBytes).toBe(APIFY_BODY_LIMIT);
    const error = await apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: api.url })
      .put(dialectSend(), 'BIGGER', 'x'.repeat(APIFY_BODY_LIMIT + 1), undefined)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 413, retryable: false });
  });

  describe('rate limit (a clock the spec moves)', () => {
    let clock = 0;
    let limited: Awaited<ReturnType<typeof startFakeApify>>;
    const get = (key: string) => fetch(`${limited.url}/v2/key-value-stores/store-1/records/${key}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const keys = () => fetch(`${limited.url}/v2/key-value-stores/store-1/keys`, { headers: { authorization: `Bearer ${TOKEN}` } });
    afterEach(() => limited.stop());

    test('200 record and key requests per store in any second; the 201st is 429 rate-limit-exceeded', async () => {
      clock = 0;
      limited = await startFakeApify(TOKEN, 'store-1', { now: () => clock });
      for (let i = 0; i < 100; i++) expect((await get('K')).status).toBe(404);
      for (let i = 0; i < 100; i++) expect((await keys()).status).toBe(200);
      const refused = await get('K');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBeNull();
      expect(await refused.json()).toEqual({ error: { type: 'rate-limit-exceeded', message: 'You have exceeded the rate limit. Please try again later.' } });
      expect((await keys()).status).toBe(429);
      clock = 999.9;
      expect((await get('K')).status).toBe(429); // the window slides: all 200 are less than 1 s old
      clock = 1000;
      expect((await get('K')).status).toBe(404);
    });

    test('the window slides: a request counts for exactly 1 s; refused ones do not count', async () => {
      clock = 0;
      limited = await startFakeApify(TOKEN, 'store-1', { requestsPerSecond: 3, now: () => clock });
      expect((await get('K')).status).toBe(404); // t = 0
      clock = 500;
      expect((await get('K')).status).toBe(404);
      expect((await get('K')).status).toBe(404);
      expect((await get('K')).status).toBe(429);
      clock = 1000; // the first has left the window, the two at 500 are still in it
      expect((await get('K')).status).toBe(404);
      expect((await get('K')).status).toBe(429);
      clock = 1500;
      expect((await get('K')).status).toBe(404);
      expect((await get('K')).status).toBe(404);
      expect(limited.requests.map((r) => r.status)).toEqual([404, 404, 404, 429, 404, 429, 404, 404]);
    });

    test('the dialect, through send, waits out a 429 (Retry-After) and the listing completes', async () => {
      clock = 0;
      limited = await startFakeApify(TOKEN, 'store-1', { requestsPerSecond: 2, retryAfter: '0', now: () => clock });
      for (let i = 0; i < 2_500; i++) limited.records.set(`K${String(i).padStart(4, '0')}`, '1');
      // Time moves when the server says "too many": the retry finds a fresh window.
      const fetchMovingTime: FetchLike = async (url, init) => {
        const response = await (globalThis.fetch as unknown as FetchLike)(url, init);
        if (response.status === 429) clock += 1000;
        return response;
      };
      const listed = await apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: limited.url }).list!(
        dialectSend({ fetch: fetchMovingTime, retries: 3 }),
        'K',
      );
      expect(listed).toHaveLength(2_500);
      expect(limited.requests.map((r) => r.status)).toEqual([200, 200, 429, 200]);
    });
  });
});
