import { InvalidOptionError } from '../../../errors.js';
import { RemoteStorageError } from '../http.js';
import type { KvDialect } from '../kv-dialect.js';
import { requestSecrets } from '../redact.js';

export interface ApifyDialectOptions {
  /** @default process.env.APIFY_TOKEN */
  readonly token?: string;
  /** @default process.env.APIFY_API_BASE_URL ?? 'https://api.apify.com' */
  readonly baseUrl?: string;
  /** @default process.env.ACTOR_DEFAULT_KEY_VALUE_STORE_ID ?? process.env.APIFY_DEFAULT_KEY_VALUE_STORE_ID */
  readonly storeId?: string;
}

/** The platform refuses records over 9 MB. */
export const APIFY_MAX_RECORD_BYTES = 9 * 1024 * 1024;

/**
 * The Apify platform's key-value store: `GET/PUT/DELETE {base}/v2/key-value-stores/{storeId}/records/{key}`
 * with `Authorization: Bearer <token>`. The API has no conditional writes: the last writer wins.
 */
export function apifyDialect(options: ApifyDialectOptions = {}): KvDialect {
  const env = typeof process === 'undefined' ? {} : process.env;
  const token = options.token ?? env.APIFY_TOKEN;
  const storeId = options.storeId ?? env.ACTOR_DEFAULT_KEY_VALUE_STORE_ID ?? env.APIFY_DEFAULT_KEY_VALUE_STORE_ID;
  const base = (options.baseUrl ?? env.APIFY_API_BASE_URL ?? 'https://api.apify.com').replace(/\/+$/, '');
  if (!token) throw new InvalidOptionError('token', 'the apify dialect needs a token (or APIFY_TOKEN)');
  if (!storeId) throw new InvalidOptionError('storeId', 'the apify dialect needs a store id (or ACTOR_DEFAULT_KEY_VALUE_STORE_ID)');
  const urlOf = (key: string) => `${base}/v2/key-value-stores/${encodeURIComponent(storeId)}/records/${encodeURIComponent(key)}`;
  const auth = { authorization: `Bearer ${token}` };
  const refuse = (what: string, status: number): never => {
    // 401/403 say the token is wrong or lacks rights; the body is not shown (it may echo the request).
    throw new RemoteStorageError(`${what}: the Apify API answered ${status}`, status, false);
  };
  return {
    name: 'apify',
    locate: urlOf,
    conditionalWrites: false,
    maxValueBytes: APIFY_MAX_RECORD_BYTES,
    secrets: [token, ...requestSecrets(base)],
    async get(send, key) {
      const response = await send(`read ${key}`, urlOf(key), { method: 'GET', headers: auth });
      if (response.status === 404) return undefined;
      if (response.status !== 200) refuse(`read ${key}`, response.status);
      return { text: response.body, version: undefined };
    },
    async put(send, key, text) {
      const response = await send(`write ${key}`, urlOf(key), { method: 'PUT', headers: { ...auth, 'content-type': 'application/json; charset=utf-8' }, body: text });
      if (response.status < 200 || response.status >= 300) refuse(`write ${key}`, response.status);
      return undefined;
    },
    async delete(send, key) {
      const response = await send(`delete ${key}`, urlOf(key), { method: 'DELETE', headers: auth });
      if (response.status !== 404 && (response.status < 200 || response.status >= 300)) refuse(`delete ${key}`, response.status);
    },
  };
}
