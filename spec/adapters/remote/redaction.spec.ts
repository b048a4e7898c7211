import { inspect } from 'node:util';
import { EMPTY } from 'rxjs';
import { RemoteStorageError } from '../../../src/adapters/remote/http.js';
import type { KvDialect } from '../../../src/adapters/remote/kv-dialect.js';
import { Redactor, requestSecrets } from '../../../src/adapters/remote/redact.js';
import { remoteKvAdapter, type RemoteKvAdapterOptions } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { FlushError } from '../../../src/errors.js';
import { createPersistentStore } from '../../../src/store/create-persistent-store.js';
import type { PersistenceStatus } from '../../../src/store/persistence-status.js';
import { freePort } from '../../support/free-port.js';
import { echo, startScriptedServer, type Answer, type ReceivedRequest } from '../../support/scripted-server.js';
import { apifyDialect } from '../../../src/adapters/remote/dialects/apify.js';
import { etcdDialect } from '../../../src/adapters/remote/dialects/etcd.js';
import { webDavDialect } from '../../../src/adapters/remote/dialects/webdav.js';

const TOKEN = 'apify_api_ECHOED-TOKEN-9931';
const DAV_PASSWORD = 'dav-PASSW0RD-ü/@';
const BASIC = `Basic ${Buffer.from(`dav-user:${DAV_PASSWORD}`).toString('base64')}`;
const API_KEY = 'HEADER-KEY-5521';
const ETCD_PASSWORD = 'etcd-P4SS:word';

/** Every form a secret could be shown in. */
const FORBIDDEN = [
  TOKEN,
  DAV_PASSWORD,
  encodeURIComponent(DAV_PASSWORD),
  BASIC.slice(6),
  API_KEY,
  ETCD_PASSWORD,
  encodeURIComponent(ETCD_PASSWORD),
  Buffer.from(`etcd-user:${ETCD_PASSWORD}`).toString('base64'),
];

/** All a user could see of an error: message, stack, fields and the whole cause chain. */
function shown(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: 20 })];
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 20; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(String(e), e instanceof Error ? `${e.message}\n${e.stack}` : '', JSON.stringify(Object.entries(e as object)));
  }
  return parts.join('\n');
}
const expectNoSecret = (text: string) => {
  for (const secret of FORBIDDEN) expect(text).not.toContain(secret);
};

let server: Awaited<ReturnType<typeof startScriptedServer>>;
let answer: (request: ReceivedRequest) => Answer;
beforeEach(async () => {
  server = await startScriptedServer((request) => answer(request));
});
afterEach(() => server.stop());

const userinfoUrl = (origin: string, user: string, password: string) => origin.replace('//', `//${user}:${encodeURIComponent(password)}@`);
const dialects = (origin: string): Array<[string, RemoteKvAdapterOptions['dialect']]> => [
  ['apify (Bearer token)', apifyDialect({ token: TOKEN, storeId: 's', baseUrl: origin })],
  ['webdav (Basic header, a header of its own)', webDavDialect({ baseUrl: `${origin}/dav`, headers: { authorization: BASIC, 'x-api-key': API_KEY } })],
  ['etcd (user:password@ in the URL)', etcdDialect({ endpoint: userinfoUrl(origin, 'etcd-user', ETCD_PASSWORD) })],
];

describe('credentials never appear in an error, its causes, or status$', () => {
  test.each([500, 400])('a server echoing the whole request (headers, body, URL) in a %i', async (status) => {
    answer = (request) => ({ status, body: `request refused: ${echo(request)}` });
    for (const [name, dialect] of dialects(server.origin)) {
      const adapter = remoteKvAdapter({ dialect, retries: 1, retryDelayMs: 1 });
      // Each operation's first request fails: the head's put, its read, the listing a delete starts with.
      for (const failing of [() => adapter.write('K', { n: 1 }), () => adapter.read('K'), () => adapter.delete('K')]) {
        const error = await failing().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect([name, error]).toEqual([name, expect.any(RemoteStorageError)]);
        expect((error as Error).message).toContain(`answered ${status}`);
        expectNoSecret(shown(error));
      }
    }
    const sent = JSON.stringify(server.requests);
    expect(sent).toContain(TOKEN); // the secrets were sent, and echoed, indeed
    expect(sent).toContain(BASIC);
    expect(sent).toContain(Buffer.from(`etcd-user:${ETCD_PASSWORD}`).toString('base64'));
  });

  test('an echoed body is shown redacted, cut to 200 characters, with its control characters escaped', async () => {
    answer = (request) => ({ status: 400, body: `\u001b[2J\u009b31m${'x'.repeat(150)}${request.headers.authorization}${'y'.repeat(500)}` });
    const webdav = remoteKvAdapter({ dialect: webDavDialect({ baseUrl: server.origin, headers: { authorization: BASIC } }), retries: 0 });
    const error = (await webdav.write('K', 1).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^write K: the WebDAV server answered 400 \\u001b\[2J\\u009b31mx{150}\[redacted\]y+…$/);
    expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(error.message.length).toBeLessThan(300);
    expectNoSecret(shown(error));
  });

  test.each([
    ['webdav', (origin: string) => webDavDialect({ baseUrl: `${userinfoUrl(origin, 'dav-user', DAV_PASSWORD)}/dav` })],
    ['etcd', (origin: string) => etcdDialect({ endpoint: userinfoUrl(origin, 'etcd-user', ETCD_PASSWORD) })],
  ])('%s: a URL with user:password@ to a closed port', async (_name, dialect) => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const adapter = remoteKvAdapter({ dialect: dialect(closed), retries: 0 });
    const error = await adapter.write('K', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect((error as Error).message).toMatch(/network error: .*ECONNREFUSED/);
    expectNoSecret(shown(error));
    expectNoSecret(adapter.locate('K'));
  });

  test("a store's status$ and its FlushError, for a write that fails for a while (500) and for good (400)", async () => {
    let status = 500;
    // Reads find nothing, as each service says it: the API's record-not-found; a WebDAV collection that is there but empty.
    const nothing = { status: 404, body: JSON.stringify({ error: { type: 'record-not-found', message: 'Record was not found.' } }) };
    const emptyCollection = {
      status: 207,
      body: '<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response><D:href>/dav/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop></D:propstat></D:response></D:multistatus>',
    };
    answer = (request) => (request.method === 'GET' ? nothing : request.method === 'PROPFIND' ? emptyCollection : { status, body: echo(request) });
    for (const [name, dialect] of dialects(server.origin).slice(0, 2)) {
      const statuses: PersistenceStatus[] = [];
      const store = await createPersistentStore({
        key: 'STATE',
        initial: { n: 0 },
        adapter: remoteKvAdapter({ dialect, retries: 0 }),
        events: EMPTY,
        flushTimeoutMs: 200,
      });
      store.status$.subscribe((s) => statuses.push(s));
      for (status of [500, 400]) {
        store.update((s) => void s.n++);
        const error = await store.flush().catch((e: unknown) => e);
        expect([name, error]).toEqual([name, expect.any(FlushError)]);
        expectNoSecret(shown(error));
      }
      const lastErrors = statuses.map((s) => s.lastError).filter((e) => e !== null);
      expect(lastErrors.length).toBeGreaterThan(0);
      for (const lastError of lastErrors) expectNoSecret(shown(lastError));
      await store.close().catch(() => undefined);
    }
  });
});

describe('the encodings a server echoes credentials in', () => {
  // A realistic password: its base64 (the Basic header) then has '/' and '+', its JSON a '\/'.
  const PASSWORD = 'p>?~p>?~s3cr3t wörd/&"';
  const USER_PASSWORD = `u:${PASSWORD}`;
  const KEY = 'k/ey+with=chars';
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const forms: Array<[string, (secret: string) => string]> = [
    [
      "PHP's json_encode (escaped slashes, \\u escapes)",
      (secret) =>
        JSON.stringify(secret)
          .replace(/\//g, '\\/')
          .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    ],
    ['lowercase percent-encoding', (secret) => encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ['form-urlencoding (+ for a space)', (secret) => new URLSearchParams({ v: secret }).toString().slice(2)],
    ['HTML decimal entities', (secret) => secret.replace(/[^a-z0-9]/gi, (c) => `&#${c.codePointAt(0)};`)],
    ['HTML hex entities', (secret) => secret.replace(/[^a-z0-9]/gi, (c) => `&#x${c.codePointAt(0)!.toString(16)};`)],
    ['htmlspecialchars', (secret) => secret.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')],
    ['base64', (secret) => b64(secret)],
  ];
  test.each(forms)('%s: none of the secrets, nor "Bearer <token>" or "user:password", survives', async (_name, encode) => {
    const cases: Array<[RemoteKvAdapterOptions['dialect'], string[]]> = [
      [
        webDavDialect({ baseUrl: `${server.origin}/dav`, headers: { authorization: `Basic ${b64(USER_PASSWORD)}`, 'x-api-key': KEY } }),
        [PASSWORD, USER_PASSWORD, KEY],
      ],
      [webDavDialect({ baseUrl: `${server.origin}/dav`, headers: { authorization: `Bearer ${TOKEN}` } }), [TOKEN, `Bearer ${TOKEN}`]],
    ];
    for (const [dialect, secrets] of cases) {
      answer = () => ({ status: 400, body: `bad request; echoed: ${secrets.map(encode).join(' | ')}` });
      const error = (await remoteKvAdapter({ dialect, retries: 0 })
        .read('K')
        .catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(RemoteStorageError);
      expect(error.message).toContain('echoed: ');
      const text = shown(error);
      for (const secret of secrets) expect([secret, text]).toEqual([secret, expect.not.stringContaining(encode(secret))]);
    }
  });

  test("a user name and short ordinary header values are no secrets: the server's message stays readable; a password, the token and credential-named headers count at any length", async () => {
    answer = () => ({ status: 400, body: 'bad request; authorization missing for tenant acme; key=K9 pw=Pw9' });
    const webdav = remoteKvAdapter({
      dialect: webDavDialect({ baseUrl: `${server.origin.replace('//', '//u:Pw9@')}/dav`, headers: { 'x-tenant': 'acme', 'x-api-key': 'K9' } }),
      retries: 0,
    });
    const error = (await webdav.read('K').catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('read K: the WebDAV server answered 400 bad request; authorization missing for tenant acme; key=[redacted] pw=[redacted]');
    expect(server.requests[0]!.headers.authorization).toBe(`Basic ${b64('u:Pw9')}`);
  });
});

describe('every failure is a typed error', () => {
  test.each([
    ['a body that is not JSON', '<html>gateway</html>', /etcd answered 200 with a body that is not JSON, not etcd's answer: <html>gateway<\/html>/],
    ["JSON without etcd's header", '{}', /etcd answered 200 with JSON without etcd's "header"/],
    ['a value that is not base64', '{"header":{},"kvs":[{"value":"!!!","mod_revision":"3"}]}', /with a value that is not base64/],
    ['malformed kvs', '{"header":{},"kvs":[7]}', /with a malformed "kvs"/],
  ])('etcd answering 200 with %s', async (_what, body, message) => {
    answer = () => ({ status: 200, body });
    const error = await remoteKvAdapter({ dialect: etcdDialect({ endpoint: server.origin }), retries: 0 })
      .read('K')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect((error as RemoteStorageError).retryable).toBe(false);
    expect((error as Error).message).toMatch(message);
  });

  test("a dialect of one's own that throws anything: a RemoteStorageError, redacted, its cause a redacted copy", async () => {
    const secret = 'custom-SECRET-4410';
    const thrown = Object.assign(new TypeError(`boom with ${secret}`), { code: 'E_CUSTOM', cause: new Error(`inner ${secret}`) });
    const dialect: KvDialect = {
      name: 'custom',
      locate: (key) => `custom://u:${secret}@host/${key}`,
      conditionalWrites: false,
      secrets: [secret],
      get: async () => Promise.reject(thrown),
      put: async () => undefined,
      delete: async () => undefined,
    };
    const adapter = remoteKvAdapter({ dialect });
    const error = (await adapter.read('K').catch((e: unknown) => e)) as RemoteStorageError;
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect(error.message).toBe('custom: cannot read "K": boom with [redacted]');
    expect(error.retryable).toBe(true);
    expect(error.cause).toMatchObject({ name: 'TypeError', code: 'E_CUSTOM', message: 'boom with [redacted]', cause: { message: 'inner [redacted]' } });
    expect(shown(error)).not.toContain(secret);
    expect(adapter.locate('K')).toBe('custom://host/K');
    expect(thrown.message).toContain(secret); // the original is left alone
  });
});

describe('Redactor', () => {
  test("knows a request's secrets: userinfo password and pair (decoded and encoded), secret-looking query values, credential-named headers, long other headers but a safe few, Bearer/Basic", () => {
    const secrets = requestSecrets('https://us%40er:p%2Fw@h/x?token=T1&api_key=K%2B1&X-Amz-Signature=S1&page=2&sig=S2', {
      authorization: 'Bearer B1',
      'x-session': 'X1',
      'x-custom': 'C1',
      'x-custom-long': 'LONG-VAL',
      'content-type': 'application/json',
      'if-match': '"etag-long-enough"',
    });
    expect(secrets).toEqual(
      expect.arrayContaining(['p/w', 'us@er:p/w', 'us%40er:p%2Fw', 'T1', 'K%2B1', 'K+1', 'S1', 'S2', 'Bearer B1', 'B1', 'X1', 'LONG-VAL']),
    );
    for (const safe of ['us@er', 'us%40er', 'C1', '2', 'application/json', '"etag-long-enough"']) expect(secrets).not.toContain(safe);
    expect(requestSecrets('http://h/', { authorization: `Basic ${Buffer.from('user:pw').toString('base64')}` })).toEqual([
      `Basic ${Buffer.from('user:pw').toString('base64')}`,
      Buffer.from('user:pw').toString('base64'),
      'pw',
      'user:pw',
    ]);
    expect(requestSecrets('http://u:p@ss@h/')).toContain('p@ss'); // userinfo runs to the last @, as URL reads it
    expect(new Redactor(secrets).text('to https://us%40er:p%2Fw@h/x with B1 and K+1, page 2')).toBe('to https://h/x with [redacted] and [redacted], page 2');
  });
});
