import { send, type FetchLike, type HttpOptions } from '../../src/adapters/remote/http.js';
import type { Send } from '../../src/adapters/remote/kv-dialect.js';

/**
 * The `send` a dialect gets from its adapter, over the global fetch: for calling a dialect's
 * functions directly. No retries unless asked, so a refused answer shows at once.
 */
export function dialectSend(options: Partial<HttpOptions> = {}): Send {
  const http: HttpOptions = {
    fetch: globalThis.fetch as unknown as FetchLike,
    timeoutMs: 10_000,
    retries: 0,
    retryDelayMs: 5,
    maxRetryDelayMs: 1_000,
    ...options,
  };
  return (what, url, init) => send(http, what, url, init);
}
