import { ConflictError } from '../../../errors.js';
import { fromBase64, toBase64 } from '../base64.js';
import { RemoteStorageError, type HttpResponse } from '../http.js';
import type { KvDialect, Send } from '../kv-dialect.js';
import { requestSecrets } from '../redact.js';

export interface EtcdDialectOptions {
  /** The etcd client URL, e.g. `http://127.0.0.1:2379`. */
  readonly endpoint: string;
  /** Prepended to every key. @default 'rx-persistent-store/' */
  readonly prefix?: string;
  /** etcd's `--max-request-bytes`; larger values are refused before sending. @default 1.5 MiB, etcd's default */
  readonly maxValueBytes?: number;
}

type Answer = Record<string, unknown>;

/**
 * etcd v3 through its JSON gateway (`/v3/kv/range`, `/v3/kv/txn`, `/v3/kv/deleterange`), keys
 * and values base64. Conditional writes compare the key's `mod_revision` (create-if-absent:
 * `version` 0) in a transaction. An answer that is not etcd's JSON (a proxy's page, garbage) is
 * a `RemoteStorageError`, never taken for an empty key.
 */
export function etcdDialect({ endpoint, prefix = 'rx-persistent-store/', maxValueBytes = 1.5 * 1024 * 1024 }: EtcdDialectOptions): KvDialect {
  const base = endpoint.replace(/\/+$/, '');
  const garbage = (what: string, response: HttpResponse, detail: string) =>
    new RemoteStorageError(`${what}: etcd answered ${response.status} with ${detail}, not etcd's answer: ${response.excerpt()}`, response.status, false);
  const call = async (send: Send, what: string, path: string, body: unknown): Promise<{ answer: Answer; response: HttpResponse }> => {
    const response = await send(what, `${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
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
  return {
    name: 'etcd',
    locate: (key) => `${base} key ${prefix}${key}`,
    conditionalWrites: true,
    maxValueBytes,
    secrets: requestSecrets(base),
    async get(send, key) {
      const what = `read ${prefix}${key}`;
      const { answer, response } = await call(send, what, '/v3/kv/range', { key: toBase64(prefix + key) });
      if (answer.kvs === undefined) return undefined;
      const kv = Array.isArray(answer.kvs) ? (answer.kvs[0] as { value?: unknown; mod_revision?: unknown } | undefined) : undefined;
      if (typeof kv !== 'object' || kv === null || typeof kv.mod_revision !== 'string' || (kv.value !== undefined && typeof kv.value !== 'string')) {
        throw garbage(what, response, 'a malformed "kvs"');
      }
      let text: string;
      try {
        text = fromBase64(kv.value ?? '');
      } catch {
        throw garbage(what, response, 'a value that is not base64');
      }
      return { text, version: kv.mod_revision };
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
      // On a failed compare etcd leaves `succeeded` out altogether.
      if (answer.succeeded !== true && answer.succeeded !== undefined && answer.succeeded !== false) throw garbage(what, response, 'a malformed "succeeded"');
      if (answer.succeeded !== true) throw new ConflictError(key, `${base} key ${prefix}${key}`);
      const revision = (answer.header as { revision?: unknown }).revision;
      return typeof revision === 'string' ? revision : undefined;
    },
    async delete(send, key) {
      await call(send, `delete ${prefix}${key}`, '/v3/kv/deleterange', { key: toBase64(prefix + key) });
    },
  };
}
