import { ConflictError } from '../../../errors.js';
import { RemoteStorageError } from '../http.js';
import type { KvDialect, Send } from '../kv-dialect.js';

export interface EtcdDialectOptions {
  /** The etcd client URL, e.g. `http://127.0.0.1:2379`. */
  readonly endpoint: string;
  /** Prepended to every key. @default 'rx-persistent-store/' */
  readonly prefix?: string;
  /** etcd's `--max-request-bytes`; larger values are refused before sending. @default 1.5 MiB, etcd's default */
  readonly maxValueBytes?: number;
}

// btoa/atob work on bytes as Latin-1 characters; go through UTF-8 so any text survives.
const b64 = (text: string): string => {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
};
const unb64 = (text: string): string => new TextDecoder().decode(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));

/**
 * etcd v3 through its JSON gateway (`/v3/kv/range`, `/v3/kv/txn`, `/v3/kv/deleterange`), keys
 * and values base64. Conditional writes compare the key's `mod_revision` (create-if-absent:
 * `version` 0) in a transaction.
 */
export function etcdDialect({ endpoint, prefix = 'rx-persistent-store/', maxValueBytes = 1.5 * 1024 * 1024 }: EtcdDialectOptions): KvDialect {
  const base = endpoint.replace(/\/+$/, '');
  const call = async (send: Send, what: string, path: string, body: unknown) => {
    const response = await send(what, `${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status !== 200) throw new RemoteStorageError(`${what}: etcd answered ${response.status} ${response.body.slice(0, 200)}`, response.status, false);
    return JSON.parse(response.body) as Record<string, unknown>;
  };
  return {
    name: 'etcd',
    locate: (key) => `${base} key ${prefix}${key}`,
    conditionalWrites: true,
    maxValueBytes,
    async get(send, key) {
      const result = await call(send, `read ${prefix}${key}`, '/v3/kv/range', { key: b64(prefix + key) });
      const kv = (result.kvs as Array<{ value?: string; mod_revision: string }> | undefined)?.[0];
      return kv === undefined ? undefined : { text: unb64(kv.value ?? ''), version: kv.mod_revision };
    },
    async put(send, key, text, expected) {
      const put = { request_put: { key: b64(prefix + key), value: b64(text) } };
      const compare =
        expected === undefined
          ? []
          : expected === null
            ? [{ key: b64(prefix + key), target: 'VERSION', result: 'EQUAL', version: '0' }]
            : [{ key: b64(prefix + key), target: 'MOD', result: 'EQUAL', mod_revision: expected }];
      const result = await call(send, `write ${prefix}${key}`, '/v3/kv/txn', { compare, success: [put] });
      // On a failed compare etcd leaves `succeeded` out altogether.
      if (result.succeeded !== true) throw new ConflictError(key, `${base} key ${prefix}${key}`);
      return (result.header as { revision?: string } | undefined)?.revision;
    },
    async delete(send, key) {
      await call(send, `delete ${prefix}${key}`, '/v3/kv/deleterange', { key: b64(prefix + key) });
    },
  };
}
