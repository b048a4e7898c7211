// Shared by the remote workloads (W7, W8): the servers on loopback and a fetch that counts what is sent.
import type { FetchLike, RemoteKvAdapterOptions } from '../src/index.js';
import { startApacheDav } from '../spec/support/apache-server.js';
import { startEtcd, type EtcdServerOptions } from '../spec/support/etcd-server.js';
import { startFakeApify } from '../spec/support/fake-apify-server.js';
import { apifyDialect } from '../src/adapters/remote/dialects/apify.js';
import { etcdDialect } from '../src/adapters/remote/dialects/etcd.js';
import { webDavDialect } from '../src/adapters/remote/dialects/webdav.js';

/** What the requests of a stretch of time cost. */
export interface Traffic {
  requests: number;
  /** Sent: request line, headers and body, in bytes (HTTP/1.1 as written on the wire, roughly). */
  sent: number;
  /** Received: answer bodies, in bytes. */
  received: number;
  /** Answers 429 (rate limited; `send` retries them). */
  limited: number;
}

const zero = (): Traffic => ({ requests: 0, sent: 0, received: 0, limited: 0 });
const minus = (a: Traffic, b: Traffic): Traffic => ({
  requests: a.requests - b.requests,
  sent: a.sent - b.sent,
  received: a.received - b.received,
  limited: a.limited - b.limited,
});

/**
 * The global fetch, counting every request: the adapter's `fetch` option. `mark()` then `since()`
 * give the traffic in between; `recent()` the requests of the last second (to stay under a rate limit).
 */
export function countingFetch() {
  const total = zero();
  const times: number[] = [];
  const fetch: FetchLike = async (url, init) => {
    const { pathname, search, host } = new URL(url);
    let sent = `${init.method} ${pathname}${search} HTTP/1.1\r\nhost: ${host}\r\n`.length + 2;
    for (const [name, value] of Object.entries(init.headers)) sent += name.length + value.length + 4;
    if (init.body !== undefined) sent += Buffer.byteLength(init.body) + `content-length: ${Buffer.byteLength(init.body)}\r\n`.length;
    total.requests++;
    total.sent += sent;
    times.push(performance.now());
    const response = await globalThis.fetch(url, init);
    if (response.status === 429) total.limited++;
    return {
      status: response.status,
      type: response.type,
      headers: response.headers,
      text: async () => {
        const body = await response.text();
        total.received += Buffer.byteLength(body);
        return body;
      },
    };
  };
  return {
    fetch,
    total: (): Traffic => ({ ...total }),
    mark: (): Traffic => ({ ...total }),
    since: (mark: Traffic): Traffic => minus(total, mark),
    /** Requests sent in the last second. */
    recent(): number {
      const now = performance.now();
      while (times.length > 0 && times[0]! < now - 1_000) times.shift();
      return times.length;
    },
  };
}

export type CountingFetch = ReturnType<typeof countingFetch>;

export type BackendName = 'apify' | 'etcd' | 'webdav';

/** A server on loopback and the adapter options that reach it. */
export interface Backend {
  readonly name: BackendName;
  /** The adapter's `dialect` option. */
  readonly dialect: RemoteKvAdapterOptions['dialect'];
  /** Record requests per second the service takes (Apify: 200 per store), when it has a limit. */
  readonly requestsPerSecond?: number;
  stop(): Promise<void>;
}

export async function startBackend(name: BackendName, etcdOptions: EtcdServerOptions = {}): Promise<Backend> {
  switch (name) {
    case 'apify': {
      const server = await startFakeApify('bench-token', 'bench-store');
      return {
        name,
        dialect: apifyDialect({ token: 'bench-token', storeId: 'bench-store', baseUrl: server.url }),
        requestsPerSecond: 200,
        stop: server.stop,
      };
    }
    case 'etcd': {
      const server = await startEtcd(etcdOptions);
      return { name, dialect: etcdDialect({ endpoint: server.url }), stop: server.stop };
    }
    case 'webdav': {
      const server = await startApacheDav();
      return { name, dialect: webDavDialect({ baseUrl: `${server.url}/` }), stop: server.stop };
    }
  }
}
