import type { HttpResponse } from './http.js';

/** What identifies one stored version of a value: an ETag, an etcd mod_revision. */
export type ValueVersion = string;

/** The request the dialect wants sent; the adapter adds timeouts, retries and redaction. */
export type Send = (what: string, url: string, init: { method: string; headers?: Record<string, string>; body?: string }) => Promise<HttpResponse>;

/**
 * How to speak to one key-value service. Add one to reach a new service (S3-style, Cloudflare KV,
 * Upstash) without touching the core: four functions over `send`, which already handles timeouts,
 * retries with backoff, Retry-After and redaction.
 */
export interface KvDialect {
  /** For messages, e.g. `"etcd"`. */
  readonly name: string;
  /** Where a key lives, for messages; no credentials. */
  locate(key: string): string;
  /** Whether `put` can make a write conditional on the version last seen. */
  readonly conditionalWrites: boolean;
  /** Values larger than this many bytes are refused before sending. */
  readonly maxValueBytes?: number;
  /**
   * Credentials of the dialect (a token, a password) that must never be shown. The adapter
   * removes them, and every request's own credentials, from each error and from `locate`.
   * Show a body in a message through `response.excerpt()`, never `response.body`.
   */
  readonly secrets?: readonly string[];
  /** The value and its version, or undefined when the key is absent. */
  get(send: Send, key: string): Promise<{ text: string; version: ValueVersion | undefined } | undefined>;
  /**
   * Stores `text`. With `expected` a version, only if the stored one still is that version; with
   * `expected` null, only if the key is absent; with undefined, unconditionally. A lost condition
   * throws `ConflictError`. Resolves to the new version, if known.
   */
  put(send: Send, key: string, text: string, expected: ValueVersion | null | undefined): Promise<ValueVersion | undefined>;
  /** Removes the key; an absent key is not an error. */
  delete(send: Send, key: string): Promise<void>;
  /** Optional: every key starting with `prefix`, with its text where the service sends it along. */
  list?(send: Send, prefix: string): Promise<Array<{ name: string; text?: string }>>;
  /** Optional: creates `key` if absent, then reads `then`, atomically. */
  createThenGet?(send: Send, key: string, text: string, then: string): Promise<{ created: boolean; then: { text: string; version: ValueVersion | undefined } | undefined }>;
}
