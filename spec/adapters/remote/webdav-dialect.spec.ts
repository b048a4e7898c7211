import { EMPTY } from 'rxjs';
import { webDavDialect } from '../../../src/adapters/remote/dialects/webdav.js';
import { RemoteStorageError } from '../../../src/adapters/remote/http.js';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { ConflictError } from '../../../src/errors.js';
import { createPersistentStore } from '../../../src/store/create-persistent-store.js';
import { APACHE_BINARY, startApacheDav } from '../../support/apache-server.js';
import { dialectSend } from '../../support/dialect-send.js';
import { startScriptedServer } from '../../support/scripted-server.js';
import { describeWithBinary } from '../../support/server-binaries.js';

describeWithBinary(APACHE_BINARY, 'apache2')('remote KV adapter, webdav dialect (real Apache mod_dav)', () => {
  let apache: Awaited<ReturnType<typeof startApacheDav>>;
  beforeAll(async () => {
    apache = await startApacheDav();
  }, 30_000);
  afterAll(() => apache?.stop());

  const adapter = () => remoteKvAdapter({ dialect: { dialect: 'webdav', baseUrl: apache.url }, retryDelayMs: 5 });

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

  test('If-None-Match: * and If-Match with strong ETags: a stale writer gets ConflictError', async () => {
    const one = adapter();
    const two = adapter();
    expect(await one.read('RACE')).toBeUndefined();
    expect(await two.read('RACE')).toBeUndefined();
    await one.write('RACE', { by: 'one' });
    await expect(two.write('RACE', { by: 'two' })).rejects.toBeInstanceOf(ConflictError);
    expect(await two.read('RACE')).toEqual({ by: 'one' });
    await two.write('RACE', { by: 'two' });
    await expect(one.write('RACE', { by: 'one' })).rejects.toBeInstanceOf(ConflictError);
    expect(await one.read('RACE')).toEqual({ by: 'two' });
    await one.write('RACE', { by: 'one, after reading' }); // the ETag computed for our own PUT matches Apache's
    await one.write('RACE', { by: 'one, again' });
    expect(await two.read('RACE')).toEqual({ by: 'one, again' });
  });

  test('rename never replaces; delete of a missing key is fine', async () => {
    const a = adapter();
    await a.read('FROM');
    await a.write('FROM', 1);
    await a.read('TO');
    await a.write('TO', 2);
    await expect(a.rename('FROM', 'TO')).rejects.toBeInstanceOf(ConflictError);
    await a.rename('FROM', 'MOVED');
    expect(await a.read('MOVED')).toBe(1);
    expect(await a.read('FROM')).toBeUndefined();
    await a.delete('FROM');
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

  test('PROPFIND Depth 1 lists the collection\'s <key>.json files, decoded, by prefix, and nothing deeper', async () => {
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

  test('a collection that does not exist lists as empty', async () => {
    expect(await webDavDialect({ baseUrl: `${apache.url}/never-made` }).list!(send, '')).toEqual([]);
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
    const hrefs = ['https://front.example/dav/st%61te', 'https://front.example/dav/state/A%26B.json', '/dav/state/C&amp;D.json', '/dav/state/E&#x28;1&#41;.json', '/dav/other/K.json', '/dav/state/sub/deep.json'];
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
