import { retryAfterMs, send, type FetchLike } from '../../../src/adapters/remote/http.js';

const response = (status: number, headers: Record<string, string> = {}) => ({ status, headers: { get: (n: string) => headers[n] ?? null }, text: async () => `status ${status}` });

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
    const error = await send({ fetch, timeoutMs: 50, retries: 3, retryDelayMs: 1, maxRetryDelayMs: 5 }, 'etcd: write K', 'http://h/x', { method: 'PUT' }).catch((e: unknown) => e);
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
});
