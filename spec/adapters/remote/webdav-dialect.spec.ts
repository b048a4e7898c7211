import { EMPTY } from 'rxjs';
import { webDavDialect } from '../../../src/adapters/remote/dialects/webdav.js';
import { EndpointNotFoundError, RemoteStorageError, type FetchLike } from '../../../src/adapters/remote/http.js';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { ConflictError, TargetExistsError } from '../../../src/errors.js';
import { createPersistentStore } from '../../../src/store/create-persistent-store.js';
import { APACHE_BINARY, startApacheDav } from '../../support/apache-server.js';
import { dialectSend } from '../../support/dialect-send.js';
import { startScriptedServer } from '../../support/scripted-server.js';
import { describeWithBinary } from '../../support/server-binaries.js';

/** A snapshot as the store writes it, and a journal record that sets `v` (see logAdapter). */
const envelope = (seq: number, state: unknown) => ({ $rxps: 1, version: 0, savedAt: '', seq, state });
const set = (seq: number, value: unknown) => ({ seq, ops: [{ op: 'replace', path: ['v'], value }] });

describeWithBinary(APACHE_BINARY, 'apache2')('remote KV adapter, webdav dialect (real Apache mod_dav)', () => {
  let apache: Awaited<ReturnType<typeof startApacheDav>>;
  beforeAll(async () => {
    apache = await startApacheDav();
  }, 30_000);
  afterAll(() => apache?.stop());

  const adapter = (extra: object = {}) => remoteKvAdapter({ dialect: webDavDialect({ baseUrl: apache.url }), retryDelayMs: 5, ...extra });

  test('a store round-trips through PUT and GET', async () => {
    const first = await createPersistentStore({ key: 'DAV', initial: { list: [] as string[] }, adapter: adapter(), events: EMPTY });
    first.update((s) => void s.list.push('a', 'ü'));
    await first.flush();
    first.update((s) => void s.list.push('b'));
    await first.close();
    const second = await createPersistentStore({ key: 'DAV', initial: { list: [] as string[] }, adapter: adapter(), events: EMPTY });
    expect(second.getState()).toEqual({ list: ['a', 'ü', 'b'] });
    await second.close();
  });

  test('If-None-Match: * and If-Match with strong ETags: a stale writer gets ConflictError, or its compaction is dropped; it overwrites nothing', async () => {
    /** The head's PUTs: their condition and Apache's answer. */
    const headPuts: string[] = [];
    const recording: FetchLike = async (url, init) => {
      const response = await (globalThis.fetch as unknown as FetchLike)(url, init);
      if (init.method === 'PUT' && url.endsWith('/RACE.json'))
        headPuts.push(`${init.headers['if-match'] ? 'If-Match' : init.headers['if-none-match'] ? 'If-None-Match' : 'unconditional'} ${response.status}`);
      return response;
    };
    const one = adapter({ fetch: recording });
    const two = adapter({ fetch: recording });
    expect(await one.read('RACE')).toBeUndefined();
    expect(await two.read('RACE')).toBeUndefined();
    await one.write('RACE', envelope(0, 'one'));
    await expect(two.write('RACE', envelope(0, 'two'))).rejects.toBeInstanceOf(ConflictError); // the head exists
    expect(headPuts).toEqual(['If-None-Match 201', 'If-None-Match 412']);
    expect(await two.read('RACE')).toEqual(envelope(0, 'one'));
    expect(await two.readJournal!('RACE')).toEqual([]);
    // Both append record 1: each segment is put with If-None-Match: *, so the second one loses.
    await one.append!('RACE', [set(1, 'one')]);
    await expect(two.append!('RACE', [set(1, 'two')])).rejects.toBeInstanceOf(ConflictError);
    expect(await two.readJournal!('RACE', 0)).toEqual([set(1, 'one')]);
    // one compacts twice: each head swap is If-Match the ETag of its own last PUT, which matches Apache's.
    headPuts.length = 0;
    await one.write('RACE', envelope(1, 'one, compacted'));
    await one.write('RACE', envelope(1, 'one, again'));
    expect(headPuts.map((put) => put.replace(/20[14]$/, '2xx'))).toEqual(['If-Match 2xx', 'If-Match 2xx']);
    // two still holds the first head's ETag: its compaction is refused, and dropped, since the head holds as much.
    headPuts.length = 0;
    await two.write('RACE', envelope(1, 'two, stale'));
    expect(headPuts).toEqual(['If-Match 412']);
    const reader = adapter();
    expect(await reader.read('RACE')).toEqual(envelope(1, 'one, again'));
    expect(await reader.readJournal!('RACE')).toEqual([]);
  });

  test('rename moves the head and its journal, and never replaces; delete of a missing key is fine', async () => {
    const a = adapter();
    await a.read('FROM');
    await a.write('FROM', envelope(0, 1));
    await a.append!('FROM', [set(1, 'journalled')]);
    await a.read('TO');
    await a.write('TO', envelope(0, 2));
    await expect(a.rename('FROM', 'TO')).rejects.toBeInstanceOf(TargetExistsError);
    expect(await adapter().read('TO')).toEqual(envelope(0, 2));
    await a.rename('FROM', 'MOVED');
    const reader = adapter();
    expect(await reader.read('MOVED')).toEqual(envelope(0, 1));
    expect(await reader.readJournal!('MOVED')).toEqual([set(1, 'journalled')]);
    expect(await reader.read('FROM')).toBeUndefined();
    expect(await webDavDialect({ baseUrl: apache.url }).list!(dialectSend(), 'FROM')).toEqual([]); // nothing of it left behind
    await a.delete('FROM');
  });
});

describeWithBinary(APACHE_BINARY, 'apache2')('webdav dialect: a 404 means "nothing stored" only inside a collection that exists (real Apache mod_dav)', () => {
  let apache: Awaited<ReturnType<typeof startApacheDav>>;
  beforeAll(async () => {
    apache = await startApacheDav();
  }, 30_000);
  afterAll(() => apache?.stop());

  /** An adapter on `path` whose requests are recorded as `METHOD path`, a PROPFIND as `PROPFIND(depth) path`. */
  const recorded = (path: string, baseUrl = `${apache.url}/${path}`) => {
    const sent: string[] = [];
    const fetch: FetchLike = async (url, init) => {
      sent.push(`${init.method}${init.headers.depth === undefined ? '' : `(${init.headers.depth})`} ${new URL(url).pathname}`);
      return (globalThis.fetch as unknown as FetchLike)(url, init);
    };
    return { sent, adapter: remoteKvAdapter({ dialect: webDavDialect({ baseUrl }), fetch, retryDelayMs: 5 }) };
  };

  test('a mistyped collection: the open is refused with EndpointNotFoundError naming it and MKCOL; nothing is created, no password shown', async () => {
    const { sent, adapter } = recorded('typo', apache.url.replace('http://', 'http://dav-user:dav-Pa55word@') + '/typo');
    const error = await createPersistentStore({ key: 'JOB', initial: { n: 0 }, adapter, events: EMPTY }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointNotFoundError);
    expect(error).toBeInstanceOf(RemoteStorageError);
    const { code, status, retryable, url, message } = error as EndpointNotFoundError;
    expect({ code, status, retryable, url }).toEqual({ code: 'ENDPOINT_NOT_FOUND', status: 404, retryable: false, url: `${apache.url}/typo/` });
    expect(message).toContain(`the collection ${apache.url}/typo/ does not exist (404)`);
    expect(message).toContain(`MKCOL ${apache.url}/typo/`);
    expect(message).not.toContain('Pa55word');
    expect(sent).toEqual(['GET /typo/JOB.json', 'PROPFIND(0) /typo/']); // refused before any write
    expect((await fetch(`${apache.url}/typo/`, { method: 'PROPFIND', headers: { depth: '0' } })).status).toBe(404);
  });

  test('once the collection exists: the same open starts afresh; the collection is looked for once per adapter', async () => {
    expect((await fetch(`${apache.url}/made/`, { method: 'MKCOL' })).status).toBe(201);
    const { sent, adapter } = recorded('made');
    const store = await createPersistentStore({ key: 'JOB', initial: { n: 0 }, adapter, events: EMPTY });
    expect(store.restored).toBe(false);
    store.update((s) => void (s.n = 1));
    await store.close();
    expect(await adapter.read('OTHER')).toBeUndefined(); // a second absent key: no second look
    expect(sent.slice(0, 2)).toEqual(['GET /made/JOB.json', 'PROPFIND(0) /made/']);
    expect(sent.filter((request) => request.startsWith('PROPFIND(0)'))).toHaveLength(1);
    expect(sent).toContain('GET /made/OTHER.json');
  });

  test('a base URL that names a file, not a collection, is refused too', async () => {
    const error = await recorded('health')
      .adapter.read('JOB')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteStorageError);
    expect((error as RemoteStorageError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/^read JOB: look for the collection http:\/\/127\.0\.0\.1:\d+\/health\/: the WebDAV server answered 400/);
  });
});

describeWithBinary(APACHE_BINARY, 'apache2')('webdav dialect: listing a collection (real Apache mod_dav)', () => {
  let apache: Awaited<ReturnType<typeof startApacheDav>>;
  beforeAll(async () => {
    apache = await startApacheDav();
  }, 30_000);
  afterAll(() => apache?.stop());

  const send = dialectSend();
  const mkcol = async (path: string) => expect((await fetch(`${apache.url}/${path}`, { method: 'MKCOL' })).status).toBe(201);

  test("PROPFIND Depth 1 lists the collection's <key>.json files, decoded, by prefix, and nothing deeper", async () => {
    await mkcol('listed');
    const d = webDavDialect({ baseUrl: `${apache.url}/listed` });
    const keys = [...Array.from({ length: 300 }, (_, i) => `S.seg.${String(i).padStart(4, '0')}`), 'A(rxps)', "A(rxps)!'_-.x", 'AB(rxps)x', 'A(rxps', 'B'];
    for (let i = 0; i < keys.length; i += 20) await Promise.all(keys.slice(i, i + 20).map((key) => d.put(send, key, '{}', undefined)));
    // Not records: a file of another kind, a sub-collection named like one, and a record inside it.
    expect((await fetch(`${apache.url}/listed/notes.txt`, { method: 'PUT', body: 'x' })).status).toBe(201);
    await mkcol('listed/A(rxps).deep.json');
    expect((await fetch(`${apache.url}/listed/A(rxps).deep.json/A(rxps).inner.json`, { method: 'PUT', body: '{}' })).status).toBe(201);

    expect((await d.list!(send, 'A(rxps)')).map((r) => r.name).sort()).toEqual(['A(rxps)', "A(rxps)!'_-.x"]);
    const segments = await d.list!(send, 'S.seg.');
    expect(segments.map((r) => r.name).sort()).toEqual(keys.slice(0, 300));
    expect(segments.every((r) => r.text === undefined)).toBe(true);
    expect((await d.list!(send, '')).length).toBe(keys.length);
    expect(await d.list!(send, 'none')).toEqual([]);
  });

  test('a collection that does not exist is refused, never listed as empty', async () => {
    const error = await webDavDialect({ baseUrl: `${apache.url}/never-made` }).list!(send, '').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointNotFoundError);
    expect((error as EndpointNotFoundError).url).toBe(`${apache.url}/never-made/`);
  });

  test('a collection at the server root works too (its own href is "/")', async () => {
    const d = webDavDialect({ baseUrl: apache.url });
    await d.put(send, 'ROOT.rec', '{}', undefined);
    expect(await d.list!(send, 'ROOT.')).toEqual([{ name: 'ROOT.rec' }]);
  });
});

describe('webdav dialect: multistatus answers as servers write them, and hostile ones (scripted server)', () => {
  const multistatus = (hrefs: string[], ns = 'D') => {
    const p = ns === '' ? '' : `${ns}:`;
    const xmlns = ns === '' ? 'xmlns="DAV:"' : `xmlns:${ns}="DAV:"`;
    return `<?xml version="1.0" encoding="utf-8"?>\n<${p}multistatus ${xmlns}>${hrefs.map((h) => `<${p}response><${p}href>${h}</${p}href><${p}propstat><${p}status>HTTP/1.1 200 OK</${p}status></${p}propstat></${p}response>`).join('\n')}</${p}multistatus>`;
  };
  const listWith = async (status: number, body: string, prefix = '', baseUrl = (origin: string) => `${origin}/dav/state`) => {
    const server = await startScriptedServer(() => ({ status, headers: { 'content-type': 'application/xml' }, body }));
    try {
      const d = webDavDialect({ baseUrl: baseUrl(server.origin), headers: { authorization: 'Basic c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3M=' } });
      const result = await d.list!(dialectSend(), prefix).then(
        (names) => names.map((n) => n.name).sort(),
        (error: unknown) => error,
      );
      return { result, request: server.requests[0]! };
    } finally {
      await server.stop();
    }
  };
  const state = ['/dav/state/', '/dav/state/K1.json', '/dav/state/K%282%29.json', '/dav/state/other.txt', '/dav/state/sub/'];

  test.each(['D', 'd', 'lp1', 'ns0', ''])('the DAV: namespace under the prefix "%s"', async (ns) => {
    const { result, request } = await listWith(207, multistatus(state, ns));
    expect(result).toEqual(['K(2)', 'K1']);
    expect(request.method).toBe('PROPFIND');
    expect(request.url).toBe('/dav/state/');
    expect(request.headers.depth).toBe('1');
    expect(request.headers.authorization).toBe('Basic c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3M='); // the dialect's headers go along
  });

  test('whole-URL hrefs (another host, as behind a proxy), entities, and another encoding of the collection', async () => {
    const hrefs = [
      'https://front.example/dav/st%61te',
      'https://front.example/dav/state/A%26B.json',
      '/dav/state/C&amp;D.json',
      '/dav/state/E&#x28;1&#41;.json',
      '/dav/other/K.json',
      '/dav/state/sub/deep.json',
    ];
    expect((await listWith(207, multistatus(hrefs))).result).toEqual(['A&B', 'C&D', 'E(1)']);
  });

  test('the prefix is a prefix: AB(rxps)x is not under A(rxps)', async () => {
    const hrefs = ['/dav/state/', '/dav/state/A(rxps).json', '/dav/state/A(rxps).1.json', '/dav/state/AB(rxps)x.json', '/dav/state/a(rxps).json'];
    expect((await listWith(207, multistatus(hrefs), 'A(rxps)')).result).toEqual(['A(rxps)', 'A(rxps).1']);
  });

  const hostile: Array<[string, number, string, RegExp]> = [
    ['a gateway page with status 207', 207, '<html><body>Welcome</body></html>', /answered 207 with a body that is not a WebDAV multistatus: <html>/],
    ['a multistatus of another collection', 207, multistatus(['/elsewhere/', '/elsewhere/K.json']), /a multistatus that does not list the collection/],
    ['an empty multistatus', 207, multistatus([]), /a multistatus that does not list the collection/],
    ['a malformed escape in an href', 207, multistatus(['/dav/state/', '/dav/state/%E0%A4%A.json']), /answered 207 with an href that is no URL path: <\?xml/],
    ['a plain 200 page', 200, '<html>ok</html>', /list .*\/dav\/state\/: the WebDAV server answered 200 <html>ok/],
    ['PROPFIND not allowed', 405, 'Method Not Allowed', /answered 405 Method Not Allowed/],
  ];
  test.each(hostile)('refused, never an empty listing: %s', async (_name, status, body, message) => {
    const { result } = await listWith(status, body);
    expect(result).toBeInstanceOf(RemoteStorageError);
    expect((result as Error).message).toMatch(message);
    expect((result as Error).message).not.toMatch(/secret/);
    expect((result as RemoteStorageError).retryable).toBe(false);
  });
});
