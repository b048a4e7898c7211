import { ConflictError, CorruptStateError, InvalidOptionError, PersistentStoreError, TargetExistsError, ValueTooLargeError, errorMessage } from '../../errors.js';
import { assertValidKey } from '../keys.js';
import { isRetryable, type StorageAdapter } from '../storage-adapter.js';
import { apifyDialect, type ApifyDialectOptions } from './dialects/apify.js';
import { etcdDialect, type EtcdDialectOptions } from './dialects/etcd.js';
import { webDavDialect, type WebDavDialectOptions } from './dialects/webdav.js';
import { RemoteStorageError, send, type FetchLike, type HttpOptions } from './http.js';
import type { KvDialect, Send, ValueVersion } from './kv-dialect.js';
import { Redactor } from './redact.js';

export interface RemoteKvAdapterOptions {
  /**
   * The service: `{ dialect: 'apify' | 'etcd' | 'webdav', …its options }`, or a `KvDialect` of
   * your own.
   */
  readonly dialect: KvDialect | ({ readonly dialect: 'apify' } & ApifyDialectOptions) | ({ readonly dialect: 'etcd' } & EtcdDialectOptions) | ({ readonly dialect: 'webdav' } & WebDavDialectOptions);
  /**
   * Called with `redirect: 'manual'` on every request: the adapter follows redirects itself.
   * @default the page's fetch in a browser, node-fetch in Node (loaded on first use)
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
}

/** The page's fetch in a browser; node-fetch in Node, imported lazily so bundles leave it out. */
const defaultFetch: FetchLike = async (url, init) => {
  if (typeof window !== 'undefined' && typeof window.fetch === 'function') return window.fetch(url, init);
  const { default: nodeFetch } = await import('node-fetch');
  return (nodeFetch as unknown as FetchLike)(url, init);
};

function dialectOf(option: RemoteKvAdapterOptions['dialect']): KvDialect {
  if ('get' in option) return option;
  switch (option.dialect) {
    case 'apify':
      return apifyDialect(option);
    case 'etcd':
      return etcdDialect(option);
    case 'webdav':
      return webDavDialect(option);
    default:
      throw new InvalidOptionError('dialect', `expected 'apify', 'etcd', 'webdav' or a KvDialect, got ${String((option as { dialect?: unknown }).dialect)}`);
  }
}

/**
 * Keeps each key as one JSON record in a remote key-value service: the Apify platform's
 * key-value store, etcd, or a WebDAV server, or any service given a `KvDialect`. Every request
 * has a timeout and is retried with backoff on transient failures; writes are conditional where
 * the service allows, so two writers never overwrite each other unknowingly. No journal: each
 * write is a whole snapshot. Every error is a typed `PersistentStoreError` and carries no
 * credential (see `Redactor`); redirects are followed only where they cannot leak (see `send`).
 *
 * @example
 * const adapter = remoteKvAdapter({ dialect: { dialect: 'etcd', endpoint: 'http://127.0.0.1:2379' } });
 * const store = await createPersistentStore({ key: 'COUNTER', initial: { n: 0 }, adapter, onConflict: 'rebase' });
 */
export function remoteKvAdapter(options: RemoteKvAdapterOptions): StorageAdapter {
  const dialect = dialectOf(options.dialect);
  const http: HttpOptions = {
    fetch: options.fetch ?? defaultFetch,
    timeoutMs: options.timeoutMs ?? 10_000,
    retries: options.retries ?? 3,
    retryDelayMs: options.retryDelayMs ?? 200,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 10_000,
  };
  for (const name of ['timeoutMs', 'retryDelayMs', 'maxRetryDelayMs'] as const) {
    if (!(http[name] > 0)) throw new InvalidOptionError(name, `expected a duration in ms (> 0), got ${String(http[name])}`);
  }
  if (!(Number.isInteger(http.retries) && http.retries >= 0)) throw new InvalidOptionError('retries', `expected an integer ≥ 0, got ${String(http.retries)}`);
  const conditional = (options.conditionalWrites ?? true) && dialect.conditionalWrites;
  const dialectSecrets = dialect.secrets ?? [];
  const locate = (key: string): string => new Redactor(dialectSecrets).message(dialect.locate(key));

  /**
   * Runs one operation of the adapter. Every error it ends in passes here, whatever threw it (the
   * HTTP layer, a dialect, JSON.parse): it leaves without any credential of the operation's
   * requests or of the dialect, and as a typed `PersistentStoreError`.
   */
  const operation = async <T>(action: string, key: string, run: (request: Send) => Promise<T>): Promise<T> => {
    const redactor = new Redactor(dialectSecrets);
    const request: Send = (what, url, init) => send(http, `${dialect.name}: ${what}`, url, init, redactor);
    try {
      return await run(request);
    } catch (error) {
      const clean = redactor.error(error);
      if (clean instanceof PersistentStoreError) throw clean;
      throw new RemoteStorageError(redactor.message(`${dialect.name}: cannot ${action} "${key}": ${errorMessage(clean)}`), undefined, isRetryable(error), { cause: clean });
    }
  };
  /** The version of each key as this adapter last saw it: null for "absent". */
  const seen = new Map<string, ValueVersion | null>();
  /** A write whose answer was lost (timeout, dropped connection): it may have landed. */
  const unconfirmed = new Map<string, string>();

  const put = async (request: Send, key: string, text: string, expected: ValueVersion | null | undefined): Promise<void> => {
    const bytes = new TextEncoder().encode(text).length;
    if (dialect.maxValueBytes !== undefined && bytes > dialect.maxValueBytes) {
      throw new ValueTooLargeError(key, bytes, dialect.maxValueBytes, dialect.name);
    }
    let version: ValueVersion | undefined;
    try {
      version = await dialect.put(request, key, text, expected);
    } catch (error) {
      if (!(error instanceof ConflictError)) {
        unconfirmed.set(key, text);
        throw error;
      }
      // The "other writer" may be our own earlier write whose answer was lost: then it is no conflict.
      const current = await dialect.get(request, key);
      const ours = current !== undefined && (current.text === text || current.text === unconfirmed.get(key));
      if (!ours) throw error;
      version = current.text === text ? current.version : await dialect.put(request, key, text, current.version ?? undefined);
    }
    unconfirmed.delete(key);
    if (version !== undefined) seen.set(key, version);
    else seen.delete(key);
  };

  return {
    name: dialect.name,
    locate,
    async read(key) {
      assertValidKey(key);
      return operation('read', key, async (request) => {
        const found = await dialect.get(request, key);
        seen.set(key, found === undefined ? null : (found.version ?? null));
        if (found === undefined) return undefined;
        try {
          return JSON.parse(found.text) as unknown;
        } catch (error) {
          throw new CorruptStateError(key, locate(key), `not valid JSON (${(error as Error).message})`, { cause: error });
        }
      });
    },
    async write(key, value) {
      assertValidKey(key);
      return operation('write', key, (request) => put(request, key, JSON.stringify(value), conditional ? seen.get(key) : undefined));
    },
    async delete(key) {
      assertValidKey(key);
      return operation('delete', key, async (request) => {
        await dialect.delete(request, key);
        seen.set(key, null);
      });
    },
    async rename(key, toKey) {
      assertValidKey(key);
      assertValidKey(toKey);
      return operation('rename', key, async (request) => {
        const found = await dialect.get(request, key);
        if (found === undefined) return;
        // Create-if-absent where possible, so the move never replaces anything at `toKey`.
        if (!conditional && (await dialect.get(request, toKey)) !== undefined) {
          throw new TargetExistsError(key, `"${toKey}"`);
        }
        await put(request, toKey, found.text, conditional ? null : undefined);
        await dialect.delete(request, key);
        seen.set(key, null);
      });
    },
  };
}
