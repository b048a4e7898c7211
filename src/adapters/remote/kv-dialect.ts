import type { HttpResponse } from './http.js';

/** What identifies one stored version of a value: an ETag, an etcd mod_revision. */
export type ValueVersion = string;

/** The request the dialect wants sent; the adapter adds timeouts, retries and redaction. */
export type Send = (what: string, url: string, init: { method: string; headers?: Record<string, string>; body?: string }) => Promise<HttpResponse>;

/** A stored value and what makes a later `put` conditional on it. */
export interface StoredValue {
  text: string;
  version: ValueVersion | undefined;
}

/**
 * How to speak to one key-value service. Add one to reach a new service (S3-style, Cloudflare KV,
 * Upstash) without touching the core: four functions over `send`, which already handles timeouts,
 * retries with backoff, Retry-After and redaction. `list` and `createThenGet` are optional extras
 * the log adapter uses where a service offers them.
 *
 * An answer that is not the service's (a proxy's page, garbage, a malformed listing) is a
 * `RemoteStorageError`, never taken for an absent key or an empty listing.
 *
 * @example
 * // A service with GET/PUT/DELETE per key and no conditions: one writer per key, as on the Apify store.
 * const myKv = (base: string): KvDialect => {
 *   const urlOf = (key: string) => `${base}/${encodeURIComponent(key)}`;
 *   const answered = (response: { status: number; excerpt(): string }, ok: number[]) => {
 *     if (!ok.includes(response.status)) throw new RemoteStorageError(`my-kv answered ${response.status}: ${response.excerpt()}`, response.status, false);
 *   };
 *   return {
 *     name: 'my-kv',
 *     locate: urlOf,
 *     conditionalWrites: false,
 *     get: async (send, key) => {
 *       const response = await send(`read ${key}`, urlOf(key), { method: 'GET' });
 *       if (response.status === 404) return undefined;
 *       answered(response, [200]);
 *       return { text: response.body, version: undefined };
 *     },
 *     put: async (send, key, text) => void answered(await send(`write ${key}`, urlOf(key), { method: 'PUT', body: text }), [200, 201, 204]),
 *     delete: async (send, key) => answered(await send(`delete ${key}`, urlOf(key), { method: 'DELETE' }), [200, 204, 404]),
 *   };
 * };
 * const adapter = remoteKvAdapter({ dialect: myKv('https://kv.example') });
 */
export interface KvDialect {
  /** For messages, e.g. `"etcd"`. */
  readonly name: string;
  /** Where a key lives, for messages; no credentials. */
  locate(key: string): string;
  /** Whether `put` can make a write conditional on the version last seen. */
  readonly conditionalWrites: boolean;
  /**
   * The largest text, in UTF-8 bytes, that one `put` (or `createThenGet`) can carry for a key of
   * up to 256 characters: the service's request limit less what the dialect wraps around the text
   * (etcd: the key, twice or three times, and the transaction; base64 does not count, etcd limits
   * the decoded request). The adapter refuses larger texts before sending (`ValueTooLargeError`).
   */
  readonly maxValueBytes?: number;
  /** Requests the service takes per second before it answers 429; the adapter never sends faster. */
  readonly maxRequestsPerSecond?: number;
  /**
   * Journal records after which the journal is folded into a snapshot (see `logAdapter`): where
   * each segment costs a request to read on open and to delete at compaction, fewer. @default 1000
   */
  readonly compactAfterRecords?: number;
  /** The store's default debounce and max wait here (see StorageAdapter.writeTiming). @default the store's own default */
  readonly writeTiming?: { readonly debounceMs: number; readonly maxWaitMs: number };
  /** What the service can hold of one state (see StorageAdapter.stateLimit). @default no limit */
  readonly stateLimit?: { readonly bytes: number; readonly what: string };
  /**
   * Credentials of the dialect (a token, a password) that must never be shown. The adapter
   * removes them, and every request's own credentials, from each error and from `locate`.
   * Show a body in a message through `response.excerpt()`, never `response.body`.
   */
  readonly secrets?: readonly string[];
  /** The value and its version, or undefined when the key is absent. */
  get(send: Send, key: string): Promise<StoredValue | undefined>;
  /**
   * Stores `text`. With `expected` a version, only if the stored one still is that version; with
   * `expected` null, only if the key is absent; with undefined, unconditionally. A lost condition
   * throws `ConflictError`. Resolves to the new version, if known.
   */
  put(send: Send, key: string, text: string, expected: ValueVersion | null | undefined): Promise<ValueVersion | undefined>;
  /** Removes the key; an absent key is not an error. */
  delete(send: Send, key: string): Promise<void>;
  /**
   * Every key that starts with `prefix`, named as `get` and `put` take keys (without the
   * dialect's own prefix or suffix), in any order, every page of the service's listing followed.
   * `text` is the value where the listing carries it at no extra request (etcd). Pages are read
   * one after the other: a key written or removed meanwhile may or may not be in the result.
   * With `after`, keys up to it (in code-unit order) may be left out: where the service lists
   * from a given key (etcd, Apify), a writer catching up reads only what it lacks.
   * Optional: without it the log adapter probes keys one by one.
   */
  list?(send: Send, prefix: string, after?: string): Promise<Array<{ name: string; text?: string }>>;
  /**
   * Creates `key` with `text` if it is absent, then reads `then`, as one atomic step (etcd: one
   * transaction). `created: false` when `key` existed: nothing was written, and `then` is still
   * read in the same step. `then` is undefined when that key is absent. Optional: without it the
   * log adapter sends `put(key, text, null)`, then `get(then)`.
   */
  createThenGet?(send: Send, key: string, text: string, then: string): Promise<{ created: boolean; then: StoredValue | undefined }>;
}
