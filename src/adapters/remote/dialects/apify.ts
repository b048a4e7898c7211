import { InvalidOptionError } from '../../../errors.js';
import { EndpointNotFoundError, RemoteStorageError, type HttpResponse } from '../http.js';
import type { KvDialect } from '../kv-dialect.js';
import { requestSecrets } from '../redact.js';

/**
 * Options of `apifyDialect`; each defaults to the variable the platform sets for a run.
 *
 * @example
 * const dialect = apifyDialect({ storeId: 'my-user~crawl-state' }); // token and API from the environment
 */
export interface ApifyDialectOptions {
  /** @default process.env.APIFY_TOKEN */
  readonly token?: string;
  /**
   * The API's root, as `APIFY_API_BASE_URL` and apify-client take it: `https://api.apify.com`, or
   * a proxy's URL that serves the API's `/v2/…` paths under it. A trailing `/v2` (or `/v2/`) is
   * removed, since the dialect adds it itself (the API answers `/v2/v2/…` with `page-not-found`).
   * A URL under which the records answer any 404 but the API's `record-not-found` (a path too
   * many, a proxy's own page) is refused at the first request with `EndpointNotFoundError`, never
   * read as "nothing stored".
   * @default process.env.APIFY_API_BASE_URL || 'https://api.apify.com'
   */
  readonly baseUrl?: string;
  /**
   * The store's id, or `username~store-name` (`username/store-name` is sent that way, as
   * apify-client does).
   * @default process.env.ACTOR_DEFAULT_KEY_VALUE_STORE_ID || process.env.APIFY_DEFAULT_KEY_VALUE_STORE_ID
   */
  readonly storeId?: string;
}

/**
 * The API's root for a base URL: without trailing slashes and without a trailing `/v2`, which
 * the dialect adds to every path itself.
 *
 * @example apifyApiRoot('https://api.apify.com/v2/'); // 'https://api.apify.com'
 */
export function apifyApiRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v2$/, '');
}

/** The `type` of the API's error body, `{ "error": { "type", "message" } }`; undefined for any other body. */
function apiErrorType(body: string): string | undefined {
  try {
    const type = (JSON.parse(body) as { error?: { type?: unknown } } | null)?.error?.type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The API allows about 200 record requests per second per store and answers 429 beyond; sent at
 * 180, since the server's window and ours never start at the same instant (at 200 a compaction
 * still met a 429 for every dozen deletes).
 */
export const APIFY_MAX_REQUESTS_PER_SECOND = 180;

/**
 * The platform answers 413 to a request body over 9 MiB (9,437,184 bytes); a record is sent as it
 * is, so this is its text's limit. The simulator refuses bodies over it too (cli/simulate/api).
 */
export const APIFY_MAX_RECORD_BYTES = 9 * 1024 * 1024;

/** Keys per page of the keys listing: the API's maximum. */
const LIST_PAGE_KEYS = 1000;

/**
 * One page of `GET …/keys`: `{ data: { items: [{ key, size, … }], isTruncated, nextExclusiveStartKey, … } }`.
 * Undefined when the answer has another shape.
 */
function keysPage(body: string): { keys: string[]; next: string | undefined } | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    return undefined;
  }
  const data = (answer as { data?: unknown } | null)?.data as { items?: unknown; isTruncated?: unknown; nextExclusiveStartKey?: unknown } | null | undefined;
  if (typeof data !== 'object' || data === null || !Array.isArray(data.items) || typeof data.isTruncated !== 'boolean') return undefined;
  const keys: string[] = [];
  for (const item of data.items as unknown[]) {
    const key = (item as { key?: unknown } | null)?.key;
    if (typeof key !== 'string' || key === '') return undefined;
    keys.push(key);
  }
  if (!data.isTruncated) return { keys, next: undefined };
  return typeof data.nextExclusiveStartKey === 'string' && data.nextExclusiveStartKey !== '' ? { keys, next: data.nextExclusiveStartKey } : undefined;
}

/**
 * The Apify platform's key-value store: `GET/PUT/DELETE {base}/v2/key-value-stores/{storeId}/records/{key}`
 * with `Authorization: Bearer <token>`; `list` pages through `GET …/keys?prefix=&limit=1000&exclusiveStartKey=`.
 * The API has no conditional writes: the last writer wins. It takes about 200 record requests
 * per second per store and answers 429 beyond (which `send` retries).
 *
 * @example
 * // On the platform the variables are set: this is the default adapter there.
 * const adapter = remoteKvAdapter({ dialect: apifyDialect() });
 * // Elsewhere, a named store:
 * const shared = remoteKvAdapter({ dialect: apifyDialect({ token: process.env.MY_TOKEN, storeId: 'my-user~crawl-state' }) });
 */
export function apifyDialect(options: ApifyDialectOptions = {}): KvDialect {
  const env = typeof process === 'undefined' ? {} : process.env;
  // An empty variable counts as unset, as the Apify SDK reads them.
  const token = options.token ?? (env.APIFY_TOKEN || undefined);
  const storeId = options.storeId ?? (env.ACTOR_DEFAULT_KEY_VALUE_STORE_ID || env.APIFY_DEFAULT_KEY_VALUE_STORE_ID || undefined);
  const base = apifyApiRoot(options.baseUrl ?? (env.APIFY_API_BASE_URL || 'https://api.apify.com'));
  if (!token) throw new InvalidOptionError('token', 'the apify dialect needs a token (or APIFY_TOKEN)');
  if (!storeId) throw new InvalidOptionError('storeId', 'the apify dialect needs a store id (or ACTOR_DEFAULT_KEY_VALUE_STORE_ID)');
  const storeUrl = `${base}/v2/key-value-stores/${encodeURIComponent(storeId.replace('/', '~'))}`;
  const urlOf = (key: string) => `${storeUrl}/records/${encodeURIComponent(key)}`;
  const auth = { authorization: `Bearer ${token}` };
  const refuse = (what: string, status: number): never => {
    // 401/403 say the token is wrong or lacks rights; the body is not shown (it may echo the request).
    throw new RemoteStorageError(`${what}: the Apify API answered ${status}`, status, false);
  };
  /**
   * Returns for the API's own `record-not-found` or `record-or-token-not-found` (the record, or the store, is not there); throws
   * for any other 404: `page-not-found` says no endpoint of the API is at that URL, and a 404
   * without the API's error body comes from something else (a proxy). Taken for "nothing stored",
   * either would start the job afresh, then overwrite the real state once the URL is corrected.
   */
  const recordNotFound = (what: string, url: string, response: HttpResponse): void => {
    const type = apiErrorType(response.body);
    // The API says `record-or-token-not-found` where it will not tell a missing record from a token without access to it; apify-client takes both as absent.
    if (type === 'record-not-found' || type === 'record-or-token-not-found') return;
    const answer =
      type !== undefined ? `404 "${type}"` : response.body.trim() === '' ? 'a 404 without a body' : `a 404 that is not the API's (${response.excerpt()})`;
    throw new EndpointNotFoundError(
      url,
      `${what}: ${url} answered ${answer}, not "record-not-found", so no record of the Apify API is there; not taken for "nothing stored". ` +
        `The base URL (baseUrl or APIFY_API_BASE_URL, here ${base}) must be the API's root, such as https://api.apify.com, under which /v2/key-value-stores/… answers`,
    );
  };
  const garbage = (what: string, response: HttpResponse): never => {
    throw new RemoteStorageError(
      `${what}: the Apify API answered ${response.status} with something that is not its key listing: ${response.excerpt()}`,
      response.status,
      false,
    );
  };
  return {
    name: 'apify',
    locate: urlOf,
    conditionalWrites: false,
    maxValueBytes: APIFY_MAX_RECORD_BYTES,
    maxRequestsPerSecond: APIFY_MAX_REQUESTS_PER_SECOND,
    // Each segment is one GET on open and one DELETE at compaction, at 200 requests a second.
    compactAfterRecords: 250,
    // Billed per request: at most one write each 10 s under steady updates (8,640 a day). A
    // migration or abort is written at once (its events), so the 10 s are lost only to a crash.
    writeTiming: { debounceMs: 2_000, maxWaitMs: 10_000 },
    secrets: [token, ...requestSecrets(base)],
    async get(send, key) {
      const response = await send(`read ${key}`, urlOf(key), { method: 'GET', headers: auth });
      if (response.status === 404) {
        recordNotFound(`read ${key}`, urlOf(key), response);
        return undefined;
      }
      if (response.status !== 200) refuse(`read ${key}`, response.status);
      return { text: response.body, version: undefined };
    },
    async put(send, key, text) {
      const response = await send(`write ${key}`, urlOf(key), {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json; charset=utf-8' },
        body: text,
      });
      if (response.status === 404) recordNotFound(`write ${key}`, urlOf(key), response); // else no such store
      if (response.status < 200 || response.status >= 300) refuse(`write ${key}`, response.status);
      return undefined;
    },
    async delete(send, key) {
      const response = await send(`delete ${key}`, urlOf(key), { method: 'DELETE', headers: auth });
      if (response.status === 404) return recordNotFound(`delete ${key}`, urlOf(key), response);
      if (response.status < 200 || response.status >= 300) refuse(`delete ${key}`, response.status);
    },
    async list(send, prefix, after) {
      const what = `list keys starting ${JSON.stringify(prefix)}`;
      const names: Array<{ name: string }> = [];
      const cursors = new Set<string>();
      for (let cursor: string | undefined = after; ;) {
        const query = new URLSearchParams({ limit: String(LIST_PAGE_KEYS) });
        if (prefix !== '') query.set('prefix', prefix);
        if (cursor !== undefined) query.set('exclusiveStartKey', cursor);
        const url = `${storeUrl}/keys?${query}`;
        const response = await send(what, url, { method: 'GET', headers: auth });
        if (response.status === 404) recordNotFound(what, url, response); // else no such store
        if (response.status !== 200) refuse(what, response.status);
        const page = keysPage(response.body) ?? garbage(what, response);
        // Filtered here too: an API without `prefix` (older, or a look-alike) sends every key.
        for (const key of page.keys) if (key.startsWith(prefix)) names.push({ name: key });
        if (page.next === undefined) return names;
        // A cursor seen before would loop for ever.
        if (cursors.has(page.next)) garbage(what, response);
        cursors.add(page.next);
        cursor = page.next;
      }
    },
  };
}
