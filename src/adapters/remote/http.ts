import { PersistentStoreError, errorMessage } from '../../errors.js';

/** The subset of the Fetch API the adapter uses: node-fetch, the global fetch, or a test double. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export interface HttpOptions {
  readonly fetch: FetchLike;
  /** Per request. */
  readonly timeoutMs: number;
  /** Attempts after the first, on network errors, timeouts, 429 and 5xx. */
  readonly retries: number;
  /** First backoff delay; doubles per attempt, with jitter; a Retry-After header wins. */
  readonly retryDelayMs: number;
  /** Longest single wait, also for Retry-After. */
  readonly maxRetryDelayMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: string;
}

/** A request the server refused, or that could not be made; `retryable` says whether trying later may help. */
export class RemoteStorageError extends PersistentStoreError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super('REMOTE_STORAGE', message, options);
  }
}

const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** Seconds or an HTTP date, as ms from now; undefined if absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Sends one request with a timeout per attempt, retrying network errors, timeouts, 429 and 5xx
 * with exponential backoff and jitter (honouring Retry-After), never other statuses. `what`
 * names the request in errors; it must not contain credentials, and neither do the errors.
 */
export async function send(http: HttpOptions, what: string, url: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<HttpResponse> {
  for (let attempt = 0; ; attempt++) {
    let failure: RemoteStorageError;
    let wait: number | undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), http.timeoutMs);
    try {
      const response = await http.fetch(url, { method: init.method, headers: init.headers ?? {}, body: init.body, signal: controller.signal });
      const body = await response.text();
      if (!isRetryableStatus(response.status)) return { status: response.status, headers: response.headers, body };
      failure = new RemoteStorageError(`${what}: the server answered ${response.status}`, response.status, true);
      wait = retryAfterMs(response.headers.get('retry-after'));
    } catch (error) {
      const reason = controller.signal.aborted ? `no answer within ${http.timeoutMs} ms` : `network error: ${errorMessage(error)}`;
      failure = new RemoteStorageError(`${what}: ${reason}`, undefined, true, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (attempt >= http.retries) throw failure;
    const ceiling = Math.min(http.maxRetryDelayMs, http.retryDelayMs * 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, Math.min(http.maxRetryDelayMs, wait ?? ceiling / 2 + Math.random() * (ceiling / 2))));
  }
}
