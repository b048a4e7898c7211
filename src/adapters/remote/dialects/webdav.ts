import { ConflictError } from '../../../errors.js';
import { RemoteStorageError, type HttpResponse } from '../http.js';
import type { KvDialect } from '../kv-dialect.js';
import { requestSecrets } from '../redact.js';

export interface WebDavDialectOptions {
  /** The collection URL, e.g. `http://127.0.0.1:8080/state`; keys become `<base>/<key>.json`. */
  readonly baseUrl: string;
  /** Extra headers on every request, e.g. `{ authorization: 'Basic …' }`; never shown in messages. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Plain `GET`/`PUT`/`DELETE` with strong ETags: `If-Match` on an update, `If-None-Match: *` on a
 * create, `412` meaning someone else wrote first. Apache mod_dav with `FileETag Digest` honours
 * these; nginx's dav module ignores them (every write then wins: do not share a key there).
 * A PUT answer without an ETag is taken to have the digest ETag Apache computes: the SHA-1 of the
 * body, base64; a server with another scheme costs one conflict and re-read, never a lost write.
 */
export function webDavDialect({ baseUrl, headers = {} }: WebDavDialectOptions): KvDialect {
  const base = baseUrl.replace(/\/+$/, '');
  const urlOf = (key: string) => `${base}/${encodeURIComponent(key)}.json`;
  const refuse = (what: string, response: HttpResponse): never => {
    throw new RemoteStorageError(`${what}: the WebDAV server answered ${response.status} ${response.excerpt()}`, response.status, false);
  };
  return {
    name: 'webdav',
    locate: urlOf,
    conditionalWrites: true,
    secrets: requestSecrets(base, headers),
    async get(send, key) {
      const response = await send(`read ${key}`, urlOf(key), { method: 'GET', headers: { ...headers } });
      if (response.status === 404) return undefined;
      if (response.status !== 200) refuse(`read ${key}`, response);
      return { text: response.body, version: response.headers.get('etag') ?? undefined };
    },
    async put(send, key, text, expected) {
      const condition: Record<string, string> = expected === null ? { 'if-none-match': '*' } : expected === undefined ? {} : { 'if-match': expected };
      const response = await send(`write ${key}`, urlOf(key), { method: 'PUT', headers: { ...headers, ...condition, 'content-type': 'application/json' }, body: text });
      if (response.status === 412) throw new ConflictError(key, urlOf(key));
      if (response.status < 200 || response.status >= 300) refuse(`write ${key}`, response);
      return response.headers.get('etag') ?? (await digestETag(text));
    },
    async delete(send, key) {
      const response = await send(`delete ${key}`, urlOf(key), { method: 'DELETE', headers: { ...headers } });
      if (response.status !== 404 && (response.status < 200 || response.status >= 300)) refuse(`delete ${key}`, response);
    },
  };
}

/** Apache's `FileETag Digest`: the SHA-1 of the body, base64, quoted. */
async function digestETag(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text)));
  return `"${btoa(String.fromCharCode(...digest))}"`;
}
