// Where `inspect` reads a remote key: the flags that name a backend, checked before any request.
import type { LogStorageAdapter } from '../adapters/log/log-adapter.js';
import type { KvDialect } from '../adapters/remote/kv-dialect.js';
import { remoteKvAdapter } from '../adapters/remote/remote-kv-adapter.js';
import { UsageError } from './cli-error.js';
import { apifyDialect } from '../adapters/remote/dialects/apify.js';
import { etcdDialect } from '../adapters/remote/dialects/etcd.js';
import { webDavDialect } from '../adapters/remote/dialects/webdav.js';

export type RemoteBackend = 'etcd' | 'webdav' | 'apify';

/** The flags of `inspect` that pick where the key is. */
export interface WhereFlags {
  readonly dir?: string;
  readonly etcd?: string;
  readonly prefix?: string;
  readonly webdav?: string;
  readonly apify?: boolean;
  readonly 'store-id'?: string;
}

export interface RemoteTarget {
  readonly backend: RemoteBackend;
  readonly adapter: LogStorageAdapter;
}

/**
 * Checks a URL flag without echoing it: it may carry `user:password@`. Only http(s): anything else
 * is a mistake, never a request.
 */
function httpUrl(flag: string, value: string, example: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new UsageError(`inspect: --${flag}: expected an http(s) URL such as ${example}`);
  return value;
}

/**
 * The remote backend the flags name, as an adapter that has sent nothing yet; `undefined` for a
 * file store. Conflicting or missing flags are a `UsageError`; the Apify token comes only from
 * APIFY_TOKEN (a flag would show it in the process list) and is never printed.
 */
export function remoteTarget(flags: WhereFlags, env: NodeJS.ProcessEnv = process.env): RemoteTarget | undefined {
  const chosen = (['dir', 'etcd', 'webdav', 'apify'] as const).filter((name) => flags[name] !== undefined && flags[name] !== false);
  if (chosen.length > 1) throw new UsageError(`inspect: ${chosen.map((name) => `--${name}`).join(' and ')} cannot be used together: one store at a time`);
  if (flags.prefix !== undefined && flags.etcd === undefined) throw new UsageError('inspect: --prefix goes with --etcd (the prefix of etcd keys)');
  if (flags['store-id'] !== undefined && !flags.apify) throw new UsageError('inspect: --store-id goes with --apify');
  let backend: RemoteBackend;
  let dialect: KvDialect;
  if (flags.etcd !== undefined) {
    backend = 'etcd';
    const endpoint = httpUrl('etcd', flags.etcd, 'http://127.0.0.1:2379');
    dialect = etcdDialect({ endpoint, ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }) });
  } else if (flags.webdav !== undefined) {
    backend = 'webdav';
    dialect = webDavDialect({ baseUrl: httpUrl('webdav', flags.webdav, 'http://127.0.0.1:8080/state') });
  } else if (flags.apify) {
    const token = env.APIFY_TOKEN;
    const storeId = flags['store-id'] ?? (env.ACTOR_DEFAULT_KEY_VALUE_STORE_ID || env.APIFY_DEFAULT_KEY_VALUE_STORE_ID);
    if (!token) throw new UsageError('inspect: --apify reads the token from APIFY_TOKEN, which is not set');
    if (!storeId) throw new UsageError('inspect: --apify needs a key-value store id: --store-id ID, or ACTOR_DEFAULT_KEY_VALUE_STORE_ID');
    // Everything from `env`, the base URL too: the dialect's own defaults read process.env.
    backend = 'apify';
    dialect = apifyDialect({ token, storeId, ...(env.APIFY_API_BASE_URL ? { baseUrl: env.APIFY_API_BASE_URL } : {}) });
  } else {
    return undefined;
  }
  return { backend, adapter: remoteKvAdapter({ dialect }) };
}
