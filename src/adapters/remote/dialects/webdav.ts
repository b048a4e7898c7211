import { ConflictError } from '../../../errors.js';
import { EndpointNotFoundError, RemoteStorageError, type HttpResponse } from '../http.js';
import type { KvDialect, Send } from '../kv-dialect.js';
import { requestSecrets } from '../redact.js';

/**
 * Options of `webDavDialect`.
 *
 * @example
 * const dialect = webDavDialect({ baseUrl: 'https://dav.example/state', headers: { authorization: `Basic ${btoa('user:password')}` } });
 */
export interface WebDavDialectOptions {
  /**
   * The collection URL, e.g. `http://127.0.0.1:8080/state`; keys become `<base>/<key>.json`. The
   * collection must exist (create it once with `MKCOL`): a record's 404 means "nothing stored"
   * only once a `PROPFIND` has found the collection, and a missing one is refused with
   * `EndpointNotFoundError`, since a mistyped URL would otherwise start the job afresh.
   */
  readonly baseUrl: string;
  /** Extra headers on every request, e.g. `{ authorization: 'Basic …' }`; never shown in messages. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Asks for one cheap property only: with `allprop`, Apache would compute every file's digest ETag. */
const PROPFIND_BODY = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML text with its entities and character references replaced. */
function xmlText(text: string): string {
  return text.replace(/&(?:#x([0-9a-f]+)|#([0-9]+)|([a-z]+));/gi, (whole, hex: string | undefined, decimal: string | undefined, name: string | undefined) => {
    if (name !== undefined) return ENTITIES[name] ?? whole;
    const code = parseInt(hex ?? decimal!, hex === undefined ? 10 : 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * The `href`s of a multistatus body, whatever prefix the server binds `DAV:` to (`D:`, `d:`,
 * `lp1:`, none); undefined when the body is no multistatus.
 */
function multistatusHrefs(body: string): string[] | undefined {
  if (!/<(?:[A-Za-z_][\w.-]*:)?multistatus[\s/>]/.test(body)) return undefined;
  const hrefs: string[] = [];
  for (const match of body.matchAll(/<((?:[A-Za-z_][\w.-]*:)?)href(?:\s[^>]*)?>([^<]*)<\/\1href\s*>/g)) hrefs.push(xmlText(match[2]!).trim());
  return hrefs;
}

/** A multistatus whose (only) resource is a collection: `<D:resourcetype><D:collection/>`, whatever the prefix. */
const COLLECTION = /<(?:[A-Za-z_][\w.-]*:)?collection\s*\/>/;

/** A URL path's segments, each percent-decoded, without the empty one a trailing `/` leaves; throws on a malformed escape. */
const segmentsOf = (pathname: string): string[] =>
  pathname
    .split('/')
    .filter((segment, i, all) => i > 0 && !(segment === '' && i === all.length - 1))
    .map(decodeURIComponent);

/**
 * Plain `GET`/`PUT`/`DELETE` with strong ETags: `If-Match` on an update, `If-None-Match: *` on a
 * create, `412` meaning someone else wrote first. Apache mod_dav with `FileETag Digest` honours
 * these; nginx's dav module ignores them (every write then wins: do not share a key there).
 * A PUT answer without an ETag is taken to have the digest ETag Apache computes: the SHA-1 of the
 * body, base64; a server with another scheme costs one conflict and re-read, never a lost write.
 * `list` is a `PROPFIND` with `Depth: 1` on the collection: its `<key>.json` files, not deeper.
 *
 * A 404 on a record says nothing of where it is: Apache answers the same page for a record never
 * written and for a collection that does not exist (a mistyped `baseUrl`). So the first record
 * found absent costs one `PROPFIND` (`Depth: 0`) of the collection, once per dialect: only a
 * collection that is there makes the 404 "nothing stored"; a missing one is an
 * `EndpointNotFoundError`.
 *
 * @example
 * const adapter = remoteKvAdapter({ dialect: webDavDialect({ baseUrl: 'https://user:password@dav.example/state' }) });
 */
export function webDavDialect({ baseUrl, headers = {} }: WebDavDialectOptions): KvDialect {
  const base = baseUrl.replace(/\/+$/, '');
  const collection = `${base}/`;
  const urlOf = (key: string) => `${base}/${encodeURIComponent(key)}.json`;
  const refuse = (what: string, response: HttpResponse): never => {
    throw new RemoteStorageError(`${what}: the WebDAV server answered ${response.status} ${response.excerpt()}`, response.status, false);
  };
  const missingCollection = (what: string): never => {
    throw new EndpointNotFoundError(
      collection,
      `${what}: the collection ${collection} does not exist (404), so nothing under it is taken for "nothing stored". Create it once (MKCOL ${collection}), or correct baseUrl`,
    );
  };
  /** The collection's multistatus: itself (`depth` 0) or with its members (1); a missing collection or any answer but 207 is refused. */
  const propfind = async (send: Send, what: string, depth: '0' | '1'): Promise<HttpResponse> => {
    const response = await send(what, collection, {
      method: 'PROPFIND',
      headers: { ...headers, depth, 'content-type': 'application/xml; charset=utf-8' },
      body: PROPFIND_BODY,
    });
    if (response.status === 404) missingCollection(what);
    if (response.status !== 207) refuse(what, response);
    return response;
  };
  /** Settles once the collection is known to be there; a failure is asked again next time. */
  let found: Promise<void> | undefined;
  const collectionExists = (send: Send, key: string): Promise<void> =>
    (found ??= (async () => {
      const what = `read ${key}: look for the collection ${collection}`;
      const response = await propfind(send, what, '0');
      if (multistatusHrefs(response.body) === undefined || !COLLECTION.test(response.body)) {
        throw new RemoteStorageError(`${what}: the WebDAV server answered 207 without a collection there: ${response.excerpt()}`, response.status, false);
      }
    })().catch((error: unknown) => {
      found = undefined;
      throw error;
    }));
  return {
    name: 'webdav',
    locate: urlOf,
    conditionalWrites: true,
    writeTiming: { debounceMs: 500, maxWaitMs: 2_000 },
    secrets: requestSecrets(base, headers),
    async get(send, key) {
      const response = await send(`read ${key}`, urlOf(key), { method: 'GET', headers: { ...headers } });
      if (response.status === 404) {
        await collectionExists(send, key);
        return undefined;
      }
      if (response.status !== 200) refuse(`read ${key}`, response);
      return { text: response.body, version: response.headers.get('etag') ?? undefined };
    },
    async put(send, key, text, expected) {
      const condition: Record<string, string> = expected === null ? { 'if-none-match': '*' } : expected === undefined ? {} : { 'if-match': expected };
      const response = await send(`write ${key}`, urlOf(key), {
        method: 'PUT',
        headers: { ...headers, ...condition, 'content-type': 'application/json' },
        body: text,
      });
      if (response.status === 412) throw new ConflictError(key, urlOf(key));
      if (response.status < 200 || response.status >= 300) refuse(`write ${key}`, response);
      return response.headers.get('etag') ?? (await digestETag(text));
    },
    async delete(send, key) {
      const response = await send(`delete ${key}`, urlOf(key), { method: 'DELETE', headers: { ...headers } });
      if (response.status !== 404 && (response.status < 200 || response.status >= 300)) refuse(`delete ${key}`, response);
    },
    async list(send, prefix) {
      const what = `list ${collection}`;
      const response = await propfind(send, what, '1');
      const garbage = (detail: string) =>
        new RemoteStorageError(`${what}: the WebDAV server answered 207 with ${detail}: ${response.excerpt()}`, response.status, false);
      const hrefs = multistatusHrefs(response.body);
      if (hrefs === undefined) throw garbage('a body that is not a WebDAV multistatus');
      const home = segmentsOf(new URL(collection).pathname);
      const names: Array<{ name: string }> = [];
      let sawCollection = false;
      for (const href of hrefs) {
        let segments: string[];
        let file: boolean;
        try {
          const url = new URL(href, collection); // a path, or a whole URL (a proxy's host, not ours: only the path counts)
          segments = segmentsOf(url.pathname);
          file = !url.pathname.endsWith('/');
        } catch {
          throw garbage('an href that is no URL path'); // which one only through the excerpt: an href is the server's text
        }
        if (!home.every((segment, i) => segments[i] === segment)) continue;
        if (segments.length === home.length) sawCollection = true;
        const name = segments.length === home.length + 1 && file ? segments[home.length]! : '';
        const key = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
        if (key !== '' && key.startsWith(prefix)) names.push({ name: key });
      }
      // Depth 1 always lists the collection itself: a multistatus without it answers something else.
      if (!sawCollection) throw garbage('a multistatus that does not list the collection');
      return names;
    },
  };
}

/** Apache's `FileETag Digest`: the SHA-1 of the body, base64, quoted. */
async function digestETag(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text)));
  return `"${btoa(String.fromCharCode(...digest))}"`;
}
