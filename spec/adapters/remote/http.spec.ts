import dns from 'node:dns';
import { retryAfterMs, send, type FetchLike } from '../../../src/adapters/remote/http.js';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { freePort } from '../../support/free-port.js';
import { etcdDialect } from '../../../src/adapters/remote/dialects/etcd.js';

const response = (status: number, headers: Record<string, string> = {}) => ({
  status,
  headers: { get: (n: string) => headers[n] ?? null },
  text: async () => `status ${status}`,
});

describe('http', () => {
  test('Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2_000);
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  test('timeouts, network errors, 429 and 5xx are retried up to the limit; then the last failure is thrown', async () => {
    const answers: Array<() => ReturnType<FetchLike>> = [
      () => Promise.reject(new Error('ECONNRESET')),
      () => Promise.resolve(response(502)),
      (/* stalls */) => new Promise(() => undefined),
      () => Promise.resolve(response(429, { 'retry-after': '0' })),
    ];
    let calls = 0;
    const fetch: FetchLike = (_url, init) => {
      calls++;
      const answer = answers.shift()!();
      return new Promise((resolve, reject) => {
        init.signal.addEventListener('abort', () => reject(new Error('aborted')));
        answer.then(resolve, reject);
      });
    };
    const error = await send({ fetch, timeoutMs: 50, retries: 3, retryDelayMs: 1, maxRetryDelayMs: 5 }, 'etcd: write K', 'http://h/x', { method: 'PUT' }).catch(
      (e: unknown) => e,
    );
    expect(calls).toBe(4);
    expect(String(error)).toMatch(/etcd: write K: the server answered 429/);
    expect((error as { retryable: boolean }).retryable).toBe(true);
  });

  test('other statuses are answers, not failures: never retried', async () => {
    let calls = 0;
    const fetch: FetchLike = async () => (calls++, response(409));
    const answer = await send({ fetch, timeoutMs: 50, retries: 3, retryDelayMs: 1, maxRetryDelayMs: 5 }, 'x', 'http://h/x', { method: 'GET' });
    expect(answer.status).toBe(409);
    expect(calls).toBe(1);
  });

  test("a network error says why when Node's fetch gives only an AggregateError without a message (a host with two addresses, both refusing)", async () => {
    // Node tries each address of the host (happy eyeballs) and reports an AggregateError whose
    // message is empty: the reason is in its errors. Here the host resolves to two loopback addresses.
    const port = await freePort();
    const lookup = dns.lookup;
    type Callback = (error: Error | null, address: string | Array<{ address: string; family: number }>, family?: number) => void;
    const twoAddresses = (host: string, options: unknown, callback?: Callback) => {
      const [opts, done] = typeof options === 'function' ? [{}, options as Callback] : [options as { all?: boolean }, callback!];
      if (host !== 'two.test') return (lookup as (h: string, o: unknown, c: Callback) => void)(host, opts, done);
      return opts.all
        ? done(null, [
            { address: '127.0.0.1', family: 4 },
            { address: '127.0.0.2', family: 4 },
          ])
        : done(null, '127.0.0.1', 4);
    };
    dns.lookup = twoAddresses as typeof dns.lookup;
    try {
      const error = await send(
        { fetch: (url, init) => globalThis.fetch(url, init), timeoutMs: 5_000, retries: 0, retryDelayMs: 1, maxRetryDelayMs: 5 },
        'etcd: read K',
        `http://two.test:${port}/x`,
        { method: 'GET' },
      ).catch((e: unknown) => e);
      expect((error as Error).message).toBe(
        `etcd: read K: network error: fetch failed (connect ECONNREFUSED 127.0.0.1:${port}; connect ECONNREFUSED 127.0.0.2:${port})`,
      );
    } finally {
      dns.lookup = lookup;
    }
  });

  test('a runtime without a global fetch is told so at once, not retried as a network error', async () => {
    const { fetch } = globalThis;
    delete (globalThis as { fetch?: unknown }).fetch; // as under node --no-experimental-fetch
    try {
      const adapter = remoteKvAdapter({ dialect: etcdDialect({ endpoint: 'http://127.0.0.1:9' }), retries: 3, retryDelayMs: 1 });
      const error = await adapter.read('K').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toMatch(/"fetch": this runtime has no global fetch; pass one/);
    } finally {
      globalThis.fetch = fetch;
    }
  });
});
