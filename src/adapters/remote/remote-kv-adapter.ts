import { InvalidOptionError, PersistentStoreError, errorMessage } from '../../errors.js';
import { logAdapter, type LogStorageAdapter } from '../log/log-adapter.js';
import type { RecordStore } from '../log/record-store.js';
import { isRetryable } from '../storage-adapter.js';
import { RemoteStorageError, send, type FetchLike, type HttpOptions } from './http.js';
import type { KvDialect, Send } from './kv-dialect.js';
import { pacerFor } from './pacer.js';
import { Redactor } from './redact.js';
import { assertDuration } from '../../time/duration.js';

/**
 * Options of `remoteKvAdapter`: the service, as a dialect, and how each request is sent.
 *
 * @example
 * const adapter = remoteKvAdapter({ dialect: webDavDialect({ baseUrl: 'https://dav.example/state' }), timeoutMs: 30_000, retries: 5 });
 */
export interface RemoteKvAdapterOptions {
  /** The service: `apifyDialect()`, `etcdDialect({ endpoint })`, `webDavDialect({ baseUrl })`, or a `KvDialect` of your own. */
  readonly dialect: KvDialect;
  /**
   * Called with `redirect: 'manual'` on every request: the adapter follows redirects itself.
   * @default the global `fetch` (the browser's; Node's own, from 20 on)
   */
  readonly fetch?: FetchLike;
  /** Per request, through an AbortController. @default 10000 */
  readonly timeoutMs?: number;
  /** Retries of one request on network errors, timeouts, 429 and 5xx (never other 4xx). @default 3 */
  readonly retries?: number;
  /** First retry delay; doubles per attempt, with jitter; Retry-After wins. @default 200 */
  readonly retryDelayMs?: number;
  /** Longest wait between retries, Retry-After included. @default 10000 */
  readonly maxRetryDelayMs?: number;
  /**
   * Write only over the version this adapter last read or wrote (where the dialect can), so a
   * write never silently replaces another writer's; a lost race raises `ConflictError`.
   * @default true
   */
  readonly conditionalWrites?: boolean;
  /**
   * Journal records after which the store folds the journal into a snapshot: bounds the requests
   * of an open and of a compaction's clean-up, at the cost of sending the state more often.
   * @default 250 on the Apify store (each segment is a request at 200 per second), else 1000
   */
  readonly compactAfterRecords?: number;
}

/** The runtime's own fetch (Node 20+ has one): looked up per request, so a test or polyfill set later counts. */
const defaultFetch: FetchLike = (url, init) => {
  if (typeof globalThis.fetch !== 'function') throw new InvalidOptionError('fetch', 'this runtime has no global fetch; pass one');
  return globalThis.fetch(url, init);
};

/** The factory that replaced each name of the earlier object form, `{ dialect: 'etcd', … }`. */
const FACTORIES: Readonly<Record<string, string>> = { apify: 'apifyDialect', etcd: 'etcdDialect', webdav: 'webDavDialect' };

/** The dialect given, checked: a JavaScript caller (or an older call) may pass anything. */
function dialectOf(option: unknown): KvDialect {
  const given = option as Partial<Record<keyof KvDialect | 'dialect', unknown>> | null | undefined;
  if (typeof given?.get === 'function' && typeof given.put === 'function' && typeof given.delete === 'function') return option as KvDialect;
  const named = typeof given?.dialect === 'string' && Object.hasOwn(FACTORIES, given.dialect) ? given.dialect : undefined;
  // The options are not echoed: they may hold a token or a password.
  throw new InvalidOptionError(
    'dialect',
    named === undefined
      ? 'expected a KvDialect: apifyDialect(), etcdDialect({ endpoint }), webDavDialect({ baseUrl }) or one of your own'
      : `{ dialect: '${named}', … } is no longer taken: pass remoteKvAdapter({ dialect: ${FACTORIES[named]}({ … }) }), with the same options`,
  );
}

/** Records larger than this are cut into chunks even where the service takes more (WebDAV): a failed request then costs little to send again. */
const DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024;

/**
 * Keeps each key as a log of records in a remote key-value service: the Apify platform's
 * key-value store, etcd, or a WebDAV server, or any service given a `KvDialect`. A write sends one
 * journal segment, the size of the change; compaction sends a snapshot in chunks within the
 * service's request limit (see logAdapter). Every request has a timeout and is retried with
 * backoff on transient failures; segments are put-if-absent where the service can (etcd, WebDAV),
 * so several writers can share a key (`onConflict: 'rebase'`); on the Apify store, which cannot,
 * a second writer is detected instead. Every error is a typed `PersistentStoreError` and carries
 * no credential (see `Redactor`); redirects are followed only where they cannot leak (see `send`).
 *
 * @example
 * const adapter = remoteKvAdapter({ dialect: etcdDialect({ endpoint: 'http://127.0.0.1:2379' }) });
 * const store = await createPersistentStore({ key: 'COUNTER', initial: { n: 0 }, adapter, onConflict: 'rebase' });
 */
export function remoteKvAdapter(options: RemoteKvAdapterOptions): LogStorageAdapter {
  const dialect = dialectOf(options.dialect);
  // Scoped by where the keys live (the store), not by adapter: the service counts per store.
  // Every request is paced, each redirect hop and retry included: each counts on the service.
  const pace = dialect.maxRequestsPerSecond === undefined ? undefined : pacerFor(dialect.locate(''), dialect.maxRequestsPerSecond);
  const fetch = options.fetch ?? defaultFetch;
  const http: HttpOptions = {
    fetch: pace ? async (url, init) => (await pace(), fetch(url, init)) : fetch,
    timeoutMs: options.timeoutMs ?? 10_000,
    retries: options.retries ?? 3,
    retryDelayMs: options.retryDelayMs ?? 200,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 10_000,
  };
  for (const name of ['timeoutMs', 'retryDelayMs', 'maxRetryDelayMs'] as const) assertDuration(name, http[name]);
  if (!(Number.isInteger(http.retries) && http.retries >= 0)) throw new InvalidOptionError('retries', `expected an integer ≥ 0, got ${String(http.retries)}`);
  const conditional = (options.conditionalWrites ?? true) && dialect.conditionalWrites;
  const dialectSecrets = dialect.secrets ?? [];
  const locate = (name: string): string => new Redactor(dialectSecrets).message(dialect.locate(name));

  /**
   * Runs one operation. Every error it ends in passes here, whatever threw it (the HTTP layer, a
   * dialect): it leaves without any credential of the operation's requests or of the dialect,
   * and as a typed `PersistentStoreError`.
   */
  const operation = async <R>(action: string, name: string, run: (request: Send) => Promise<R>): Promise<R> => {
    const redactor = new Redactor(dialectSecrets);
    const request: Send = (what, url, init) => send(http, `${dialect.name}: ${what}`, url, init, redactor);
    try {
      return await run(request);
    } catch (error) {
      const clean = redactor.error(error);
      if (clean instanceof PersistentStoreError) throw clean;
      throw new RemoteStorageError(redactor.message(`${dialect.name}: cannot ${action} "${name}": ${errorMessage(clean)}`), undefined, isRetryable(error), {
        cause: clean,
      });
    }
  };
  const maxRecordBytes = dialect.maxValueBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const records: RecordStore = {
    name: dialect.name,
    locate,
    maxRecordBytes,
    atomicCreate: conditional,
    get: (name) => operation('read', name, (request) => dialect.get(request, name)),
    put: (name, text, expected) => operation('write', name, (request) => dialect.put(request, name, text, conditional ? expected : undefined)),
    createThenGet:
      dialect.createThenGet && conditional
        ? (name, text, then) => operation('write', name, (request) => dialect.createThenGet!(request, name, text, then))
        : undefined,
    delete: (name) => operation('delete', name, (request) => dialect.delete(request, name)),
    list: dialect.list ? (prefix, after) => operation('list', prefix, (request) => dialect.list!(request, prefix, after)) : undefined,
  };
  return logAdapter(records, {
    compactAfterRecords: options.compactAfterRecords ?? dialect.compactAfterRecords,
    writeTiming: dialect.writeTiming,
    stateLimit: dialect.stateLimit,
  });
}
