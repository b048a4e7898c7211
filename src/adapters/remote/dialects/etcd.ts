import { ConflictError, InvalidOptionError } from '../../../errors.js';
import { base64ToBytes, bytesToBase64, fromBase64, toBase64 } from '../base64.js';
import { EndpointNotFoundError, RemoteStorageError, type HttpResponse } from '../http.js';
import type { KvDialect, Send, StoredValue } from '../kv-dialect.js';
import { requestSecrets } from '../redact.js';

/**
 * Options of `etcdDialect`.
 *
 * @example
 * const dialect = etcdDialect({ endpoint: 'http://127.0.0.1:2379', prefix: 'my-app/' });
 */
export interface EtcdDialectOptions {
  /**
   * The etcd client URL, e.g. `http://127.0.0.1:2379` (or a proxy's URL under which etcd's
   * `/v3/…` answers). One that answers 404 (a path too many, such as `/v3`) is refused with
   * `EndpointNotFoundError`, never read as "nothing stored".
   */
  readonly endpoint: string;
  /**
   * Prepended to every key. etcd answers an absent key like any other, so a mistyped prefix
   * cannot be told from a key never written: it reads as "nothing stored" (check with
   * `rx-persistent-store inspect <key> --etcd URL --prefix P`). @default 'rx-persistent-store/'
   */
  readonly prefix?: string;
  /**
   * etcd's `--max-request-bytes`. Texts that would make a request larger are refused before
   * sending (see `etcdMaxValueBytes`). @default 1.5 MiB, etcd's default
   */
  readonly maxRequestBytes?: number;
  /** @deprecated The same as `maxRequestBytes`, its old name (it always meant etcd's `--max-request-bytes`). */
  readonly maxValueBytes?: number;
}

/** etcd's default `--max-request-bytes`. */
const ETCD_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** The longest key the dialect is sized for: the key rule's 256 characters (ASCII). */
const MAX_KEY_BYTES = 256;
/** Protobuf tags and lengths, the raft header and the compare's fields, with room to spare (measured: about 70). */
const TXN_FRAMING_BYTES = 512;
/** What one listing answer may hold at most, in values: pages are sized so even values at the size limit stay under it. */
const LIST_ANSWER_BYTES = 64 * 1024 * 1024;
/** Keys per listing page, at most. */
const LIST_PAGE_KEYS = 200;

/**
 * The largest text one request can carry. etcd checks `--max-request-bytes` against the request
 * it decodes (base64 gone), so the limit is the text plus the envelope: the key three times (the
 * compare, the put, and the range of `createThenGet`, sized for a `then` key as long) and the
 * transaction's framing. Measured on etcd 3.4 with 1,572,864: a 276-byte key fits 1,571,961
 * bytes of text, this gives 1,571,524.
 */
export function etcdMaxValueBytes(maxRequestBytes: number, prefix: string): number {
  return maxRequestBytes - 3 * (new TextEncoder().encode(prefix).length + MAX_KEY_BYTES) - TXN_FRAMING_BYTES;
}

type Answer = Record<string, unknown>;

/** The smallest byte string after every key that starts with `bytes`: etcd's `range_end` for a prefix; `\0` (no end) when there is none. */
function prefixEnd(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0xff) end--;
  if (end === 0) return new Uint8Array([0]);
  const result = bytes.slice(0, end);
  result[end - 1]!++;
  return result;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const startsWith = (bytes: Uint8Array, prefix: Uint8Array): boolean => bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);

/**
 * etcd v3 through its JSON gateway (`/v3/kv/range`, `/v3/kv/txn`, `/v3/kv/deleterange`), keys
 * and values base64. Conditional writes compare the key's `mod_revision` (create-if-absent:
 * `version` 0) in a transaction. An answer that is not etcd's JSON (a proxy's page, garbage) is
 * a `RemoteStorageError`, never taken for an empty key.
 *
 * @example
 * const adapter = remoteKvAdapter({ dialect: etcdDialect({ endpoint: 'http://127.0.0.1:2379' }) });
 * const store = await createPersistentStore({ key: 'COUNTER', initial: { n: 0 }, adapter, onConflict: 'rebase' });
 */
export function etcdDialect(options: EtcdDialectOptions): KvDialect {
  const { endpoint, prefix = 'rx-persistent-store/' } = options;
  const maxRequestBytes = options.maxRequestBytes ?? options.maxValueBytes ?? ETCD_MAX_REQUEST_BYTES;
  const maxValueBytes = etcdMaxValueBytes(maxRequestBytes, prefix);
  if (!(maxValueBytes > 0))
    throw new InvalidOptionError(
      'maxRequestBytes',
      `etcd requests of ${maxRequestBytes} bytes leave no room for a value next to keys of up to ${MAX_KEY_BYTES} bytes under the prefix`,
    );
  // Pages of values: a listing answer holds up to a page of values at the size limit.
  const pageKeys = Math.max(1, Math.min(LIST_PAGE_KEYS, Math.floor(LIST_ANSWER_BYTES / maxRequestBytes)));
  const base = endpoint.replace(/\/+$/, '');
  const garbage = (what: string, response: HttpResponse, detail: string) =>
    new RemoteStorageError(`${what}: etcd answered ${response.status} with ${detail}, not etcd's answer: ${response.excerpt()}`, response.status, false);
  const call = async (send: Send, what: string, path: string, body: unknown): Promise<{ answer: Answer; response: HttpResponse }> => {
    const response = await send(what, `${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // etcd answers every key, present or not, with 200: a 404 is a URL where its gateway is not.
    if (response.status === 404) {
      throw new EndpointNotFoundError(
        `${base}${path}`,
        `${what}: ${base}${path} answered 404 (${response.excerpt()}): etcd's JSON gateway is not there. The endpoint must be etcd's client URL, such as http://127.0.0.1:2379, under which /v3/kv/range answers`,
      );
    }
    if (response.status !== 200) throw new RemoteStorageError(`${what}: etcd answered ${response.status} ${response.excerpt()}`, response.status, false);
    let answer: unknown;
    try {
      answer = JSON.parse(response.body);
    } catch {
      throw garbage(what, response, 'a body that is not JSON');
    }
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw garbage(what, response, 'JSON that is not an object');
    // Every etcd answer has its header; without it a stray `{}` would read as "no such key".
    const header = (answer as Answer).header;
    if (typeof header !== 'object' || header === null) throw garbage(what, response, 'JSON without etcd\'s "header"');
    return { answer: answer as Answer, response };
  };
  /** The one value of a range answer's `kvs`: etcd leaves `kvs` out when the key is absent, and `value` when it is empty. */
  const valueOf = (what: string, response: HttpResponse, kvs: unknown): StoredValue | undefined => {
    if (kvs === undefined) return undefined;
    const kv = Array.isArray(kvs) ? (kvs[0] as { value?: unknown; mod_revision?: unknown } | undefined) : undefined;
    if (typeof kv !== 'object' || kv === null || typeof kv.mod_revision !== 'string' || (kv.value !== undefined && typeof kv.value !== 'string')) {
      throw garbage(what, response, 'a malformed "kvs"');
    }
    try {
      return { text: fromBase64(kv.value ?? ''), version: kv.mod_revision };
    } catch {
      throw garbage(what, response, 'a value that is not base64');
    }
  };
  /** A transaction's outcome: etcd leaves `succeeded` out when the compare failed. */
  const succeeded = (what: string, response: HttpResponse, answer: Answer): boolean => {
    if (answer.succeeded !== true && answer.succeeded !== undefined && answer.succeeded !== false) throw garbage(what, response, 'a malformed "succeeded"');
    return answer.succeeded === true;
  };
  return {
    name: 'etcd',
    locate: (key) => `${base} key ${prefix}${key}`,
    conditionalWrites: true,
    maxValueBytes,
    writeTiming: { debounceMs: 250, maxWaitMs: 2_000 },
    // A compaction holds the old snapshot and the new one at once, and etcd keeps old revisions until it compacts its own history.
    stateLimit: { bytes: 2 ** 30, what: "half of etcd's default backend quota of 2 GiB (--quota-backend-bytes)" },
    secrets: requestSecrets(base),
    async get(send, key) {
      const what = `read ${prefix}${key}`;
      const { answer, response } = await call(send, what, '/v3/kv/range', { key: toBase64(prefix + key) });
      return valueOf(what, response, answer.kvs);
    },
    async put(send, key, text, expected) {
      const put = { request_put: { key: toBase64(prefix + key), value: toBase64(text) } };
      const compare =
        expected === undefined
          ? []
          : expected === null
            ? [{ key: toBase64(prefix + key), target: 'VERSION', result: 'EQUAL', version: '0' }]
            : [{ key: toBase64(prefix + key), target: 'MOD', result: 'EQUAL', mod_revision: expected }];
      const what = `write ${prefix}${key}`;
      const { answer, response } = await call(send, what, '/v3/kv/txn', { compare, success: [put] });
      if (!succeeded(what, response, answer)) throw new ConflictError(key, `${base} key ${prefix}${key}`);
      const revision = (answer.header as { revision?: unknown }).revision;
      return typeof revision === 'string' ? revision : undefined;
    },
    async delete(send, key) {
      await call(send, `delete ${prefix}${key}`, '/v3/kv/deleterange', { key: toBase64(prefix + key) });
    },
    async createThenGet(send, key, text, then) {
      const what = `create ${prefix}${key} then read ${prefix}${then}`;
      const range = { request_range: { key: toBase64(prefix + then) } };
      const { answer, response } = await call(send, what, '/v3/kv/txn', {
        compare: [{ key: toBase64(prefix + key), target: 'CREATE', result: 'EQUAL', create_revision: '0' }],
        success: [{ request_put: { key: toBase64(prefix + key), value: toBase64(text) } }, range],
        failure: [range],
      });
      const created = succeeded(what, response, answer);
      // One answer per operation of the branch taken: [put, range] or [range].
      const responses = answer.responses;
      const last =
        Array.isArray(responses) && responses.length === (created ? 2 : 1)
          ? (responses[responses.length - 1] as { response_range?: unknown } | null)
          : undefined;
      const ranged = typeof last === 'object' && last !== null ? (last.response_range as Answer | undefined) : undefined;
      if (typeof ranged !== 'object' || ranged === null || Array.isArray(ranged) || typeof ranged.header !== 'object' || ranged.header === null) {
        throw garbage(what, response, 'a malformed "responses"');
      }
      return { created, then: valueOf(what, response, ranged.kvs) };
    },
    async list(send, namePrefix, after) {
      const what = `list keys starting ${prefix}${namePrefix}`;
      const start = new TextEncoder().encode(prefix + namePrefix);
      const rangeEnd = bytesToBase64(prefixEnd(start));
      const found: Array<{ name: string; text: string }> = [];
      let previous: Uint8Array | undefined;
      for (let from = after === undefined ? start : Uint8Array.from([...new TextEncoder().encode(prefix + after), 0]); ;) {
        const { answer, response } = await call(send, what, '/v3/kv/range', { key: bytesToBase64(from), range_end: rangeEnd, limit: String(pageKeys) });
        const { kvs, more } = answer;
        if (more !== undefined && typeof more !== 'boolean') throw garbage(what, response, 'a malformed "more"');
        if (kvs === undefined && more !== true) return found;
        if (!Array.isArray(kvs) || kvs.length === 0) throw garbage(what, response, 'a malformed "kvs"');
        for (const kv of kvs as unknown[]) {
          const { key, value } = (typeof kv === 'object' && kv !== null ? kv : {}) as { key?: unknown; value?: unknown };
          let keyBytes: Uint8Array;
          let text: string;
          try {
            if (typeof key !== 'string' || (value !== undefined && typeof value !== 'string')) throw new TypeError();
            keyBytes = base64ToBytes(key);
            text = fromBase64(value ?? '');
          } catch {
            throw garbage(what, response, 'a malformed "kvs"');
          }
          // Only keys in the range asked for, in ascending order: anything else could loop for ever.
          if (!startsWith(keyBytes, start) || compareBytes(keyBytes, from) < 0 || (previous !== undefined && compareBytes(keyBytes, previous) <= 0)) {
            throw garbage(what, response, 'a key outside the range asked for');
          }
          found.push({ name: new TextDecoder().decode(keyBytes).slice(prefix.length), text });
          previous = keyBytes;
        }
        if (more !== true) return found;
        from = Uint8Array.from([...previous!, 0]); // the next key after the last one
      }
    },
  };
}
