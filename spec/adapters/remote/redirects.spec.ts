import type { FetchLike } from '../../../src/adapters/remote/http.js';
import { RemoteStorageError } from '../../../src/adapters/remote/http.js';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { startScriptedServer, type Answer, type ReceivedRequest } from '../../support/scripted-server.js';
import { apifyDialect } from '../../../src/adapters/remote/dialects/apify.js';
import { webDavDialect } from '../../../src/adapters/remote/dialects/webdav.js';

const TOKEN = 'apify_api_REDIRECT-SECRET-77';
const RECORD = '/v2/key-value-stores/store-1/records/K';
/** A page of the keys listing with no keys. */
const NO_KEYS = JSON.stringify({ data: { items: [], count: 0, limit: 1000, exclusiveStartKey: null, isTruncated: false, nextExclusiveStartKey: null } });

// Two loopback servers on two ports: two origins. Each answers through a handler a test sets.
let here: Awaited<ReturnType<typeof startScriptedServer>>;
let elsewhere: Awaited<ReturnType<typeof startScriptedServer>>;
let answerHere: (request: ReceivedRequest) => Answer;
let answerElsewhere: (request: ReceivedRequest) => Answer;
beforeEach(async () => {
  answerHere = () => ({ status: 500 });
  answerElsewhere = () => ({ status: 200, body: '{"from":"elsewhere"}' });
  here = await startScriptedServer((request) => answerHere(request));
  elsewhere = await startScriptedServer((request) => answerElsewhere(request));
});
afterEach(async () => {
  await here.stop();
  await elsewhere.stop();
});

const redirect = (status: number, location: string): Answer => ({ status, headers: { location }, body: 'moved' });
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as RemoteStorageError,
  );

describe.each([
  ["the default (the runtime's own fetch)", undefined],
  ['a fetch passed in', ((url, init) => globalThis.fetch(url, init)) as FetchLike],
])('redirects, with %s', (_name, fetch) => {
  const apify = () =>
    remoteKvAdapter({ dialect: apifyDialect({ token: TOKEN, storeId: 'store-1', baseUrl: here.origin }), fetch, retries: 2, retryDelayMs: 1 });

  test("a GET redirected to another origin (the record API's 302 to storage) is followed, sent bare: no Authorization, none of our headers, no userinfo", async () => {
    answerHere = () => redirect(302, `${elsewhere.origin}/blob/K?X-Amz-Signature=sig123`);
    expect(await apify().read('K')).toEqual({ from: 'elsewhere' });
    const webdav = remoteKvAdapter({
      dialect: webDavDialect({ baseUrl: `http://dav-user:dav-PASSWORD@${here.origin.slice(7)}/dav`, headers: { 'x-api-key': 'HEADER-SECRET' } }),
      fetch,
      retries: 0,
    });
    expect(await webdav.read('K')).toEqual({ from: 'elsewhere' });
    expect(here.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Basic ${Buffer.from('dav-user:dav-PASSWORD').toString('base64')}`]);
    expect(elsewhere.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /blob/K?X-Amz-Signature=sig123', 'GET /blob/K?X-Amz-Signature=sig123']);
    const sent = JSON.stringify(elsewhere.requests);
    for (const secret of [
      TOKEN,
      'authorization',
      'x-api-key',
      'HEADER-SECRET',
      'dav-user',
      'dav-PASSWORD',
      Buffer.from('dav-user:dav-PASSWORD').toString('base64'),
    ])
      expect(sent).not.toContain(secret);
  });

  test('a GET redirected to plain http elsewhere than loopback (a cloud metadata service) is refused for good, naming the target; nothing is read there', async () => {
    answerHere = () => redirect(302, 'http://169.254.169.254/latest/meta-data/?X-Amz-Signature=SIG-SECRET');
    const error = await failureOf(apify().read('K'));
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error!.retryable).toBe(false);
    expect(error!.message).toBe(
      'apify: read K: the server redirected the GET to http://169.254.169.254/latest/meta-data/?X-Amz-Signature=[redacted], another origin over plain http (only https is followed there, or loopback to loopback); not followed, nothing was sent there',
    );
    expect(here.requests).toHaveLength(1); // not retried
  });

  test.each([301, 302, 303, 307, 308])(
    'a write redirected (%i) to another origin is refused for good, naming the origin; nothing reaches it',
    async (status) => {
      answerHere = (r) => (r.method === 'PUT' ? redirect(status, `${elsewhere.origin}/steal`) : { status: 404 });
      const error = await failureOf(apify().write('K', { n: 1 }));
      expect(error).toBeInstanceOf(RemoteStorageError);
      expect(error!.retryable).toBe(false);
      expect(error!.message).toContain(
        `apify: write K: the server redirected the PUT to ${elsewhere.origin}, another origin; not followed, nothing was sent there`,
      );
      expect(here.requests).toHaveLength(1); // not retried
      expect(elsewhere.requests).toHaveLength(0);
    },
  );

  test('a DELETE redirected to another origin is refused too', async () => {
    // Only the DELETE: a delete first lists the key's records (GET …/keys), answered here with none.
    answerHere = (r) => (r.method === 'DELETE' ? redirect(307, `${elsewhere.origin}/steal`) : { status: 200, body: NO_KEYS });
    const error = await failureOf(apify().delete('K'));
    expect(error?.message).toMatch(/redirected the DELETE to http:\/\/127\.0\.0\.1:\d+, another origin; not followed, nothing was sent there/);
    expect(error?.retryable).toBe(false);
    expect(here.requests.filter((r) => r.method === 'DELETE').map((r) => r.url)).toEqual([RECORD]); // not retried
    expect(elsewhere.requests).toHaveLength(0);
  });

  test('within the origin: 307/308 keep method, body and headers; 301/302/303 are followed for a GET, refused for a PUT', async () => {
    for (const status of [307, 308]) {
      here.requests.length = 0;
      answerHere = (r) => (r.url === RECORD ? redirect(status, '/moved/K') : { status: 201 });
      await apify().write('K', { n: status });
      // The head, with the snapshot inside (see logAdapter); then the listing that looks for orphans.
      const puts = here.requests.filter((r) => r.method === 'PUT');
      expect(puts.map((r) => [r.url, (JSON.parse(r.body) as { snapshot: { inline: unknown } }).snapshot.inline, r.headers.authorization])).toEqual([
        [RECORD, { n: status }, `Bearer ${TOKEN}`],
        ['/moved/K', { n: status }, `Bearer ${TOKEN}`],
      ]);
    }
    for (const status of [301, 302, 303]) {
      answerHere = (r) =>
        r.url === RECORD ? redirect(status, `${here.origin}/moved/K`) : r.url === '/moved/K' ? { status: 200, body: `{"n":${status}}` } : { status: 404 };
      expect(await apify().read('K')).toEqual({ n: status });
      here.requests.length = 0;
      const error = await failureOf(apify().write('K', { n: 1 }));
      expect(error?.message).toContain(
        `redirected the PUT to ${here.origin} with ${status}, which would turn it into a GET; not followed, nothing was sent there`,
      );
      expect(here.requests).toHaveLength(1);
    }
    expect(elsewhere.requests).toHaveLength(0);
  });

  test.each([
    ['no Location', {}, /answered 302 without a Location/],
    ['a garbled Location', { location: 'http://[oops' }, /answered 302 with an unusable Location "http:\/\/\[oops"/],
    ['a Location that is not http', { location: 'file:///etc/passwd' }, /answered 302 with an unusable Location "file:\/\/\/etc\/passwd"/],
  ])('%s is refused for good', async (_what, headers, message) => {
    answerHere = () => ({ status: 302, headers });
    const error = await failureOf(apify().read('K'));
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error!.retryable).toBe(false);
    expect(error!.message).toMatch(message);
    expect(here.requests).toHaveLength(1);
  });

  test('at most 5 redirects are followed', async () => {
    let hops = 0;
    answerHere = () => redirect(302, `/hop/${++hops}`);
    const error = await failureOf(apify().read('K'));
    expect(error?.message).toMatch(/redirected the GET to http:\/\/127\.0\.0\.1:\d+, after 5 redirects already; not followed/);
    expect(here.requests).toHaveLength(6);
  });
});

describe('redirects a loopback server cannot show', () => {
  const fake = (answers: Record<string, { status: number; type?: string; location?: string }>) => {
    const asked: string[] = [];
    const fetch: FetchLike = async (url, init) => {
      expect(init.redirect).toBe('manual');
      asked.push(`${init.method} ${url} ${JSON.stringify(init.headers)}`);
      const { status, type, location } = answers[url] ?? { status: 404 };
      return { status, type, headers: { get: (name: string) => (name === 'location' ? (location ?? null) : null) }, text: async () => '' };
    };
    return { fetch, asked };
  };
  const adapter = (fetch: FetchLike, baseUrl = 'https://api.example') =>
    remoteKvAdapter({ dialect: apifyDialect({ token: TOKEN, storeId: 's', baseUrl }), fetch, retries: 2, retryDelayMs: 1 });
  const RECORD_PATH = '/v2/key-value-stores/s/records/K';

  test('another origin is followed over https, or from loopback to loopback (127.0.0.0/8, ::1, localhost), sent bare', async () => {
    for (const [from, to] of [
      ['https://api.example', 'https://storage.example/blob?sig=S'],
      ['http://api.example', 'https://storage.example/blob'],
      ['http://127.0.0.1:8000', 'http://127.0.0.2:9000/blob'],
      ['http://localhost:8000', 'http://[::1]:9000/blob'],
      ['http://[::1]:8000', 'http://localhost:9000/blob'],
    ]) {
      const { fetch, asked } = fake({ [`${from}${RECORD_PATH}`]: { status: 302, location: to }, [to!]: { status: 200 } });
      expect(
        await adapter(fetch, from)
          .read('K')
          .catch((e: unknown) => e),
      ).toBeInstanceOf(Error); // the fake's empty body is no JSON: read, though
      expect(asked).toEqual([expect.stringContaining(`GET ${from}${RECORD_PATH}`), `GET ${to} {}`]);
    }
  });

  test.each([
    ['a plain-http origin', 'http://api.example', 'http://169.254.169.254/latest/meta-data/'],
    ['a plain-http origin, to loopback', 'http://api.example', 'http://127.0.0.1:2379/v3/kv/range'],
    ['a loopback origin', 'http://127.0.0.1:8000', 'http://10.0.0.7/internal'],
    ['a loopback origin, to a name', 'http://localhost:8000', 'http://metadata.google.internal/computeMetadata/v1/'],
  ])('from %s, a GET redirected to plain http elsewhere is refused for good, nothing sent there', async (_what, from, to) => {
    const { fetch, asked } = fake({ [`${from}${RECORD_PATH}`]: { status: 302, location: to } });
    const error = await failureOf(adapter(fetch, from).read('K'));
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error?.retryable).toBe(false);
    expect(error?.message).toContain(
      `redirected the GET to ${to}, another origin over plain http (only https is followed there, or loopback to loopback); not followed, nothing was sent there`,
    );
    expect(asked).toHaveLength(1);
  });

  test('never from https to plain http, not even a GET', async () => {
    const { fetch, asked } = fake({
      'https://api.example/v2/key-value-stores/s/records/K': { status: 302, location: 'http://api.example/v2/key-value-stores/s/records/K' },
    });
    const error = await failureOf(adapter(fetch).read('K'));
    expect(error?.message).toContain('redirected the GET to http://api.example: from https to plain http; not followed, nothing was sent there');
    expect(error?.retryable).toBe(false);
    expect(asked).toHaveLength(1);
  });

  test("a browser's opaque redirect (status 0) is refused: where it leads cannot be checked", async () => {
    const { fetch, asked } = fake({ 'https://api.example/v2/key-value-stores/s/records/K': { status: 0, type: 'opaqueredirect' } });
    const error = await failureOf(adapter(fetch).write('K', 1));
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error?.message).toMatch(/redirected the request to a place the browser does not reveal; not followed, nothing was sent there/);
    expect(error?.retryable).toBe(false);
    expect(asked).toHaveLength(1);
  });
});
