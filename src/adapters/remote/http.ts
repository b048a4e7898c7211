import { InvalidOptionError, PersistentStoreError, errorMessage } from '../../errors.js';
import { redactUrl } from '../../text/redact-url.js';
import { backoffDelay } from '../../time/backoff.js';
import { toBase64 } from './base64.js';
import { Redactor } from './redact.js';

/**
 * The subset of the Fetch API the adapter uses: the global fetch, node-fetch, or a test double.
 * Every request is sent with `redirect: 'manual'`: the adapter decides which redirects to follow.
 *
 * @example
 * // Count the requests an adapter sends.
 * let requests = 0;
 * const counting: FetchLike = (url, init) => (requests++, fetch(url, init));
 * const adapter = remoteKvAdapter({ dialect: etcdDialect({ endpoint }), fetch: counting });
 */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal; redirect: 'manual' },
) => Promise<{
  status: number;
  /** `'opaqueredirect'` for a redirect a browser will not show. */
  type?: string;
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
  /** The body for an error message: without the request's credentials, at most 200 characters, control characters escaped. */
  excerpt(): string;
}

/**
 * A request the server refused, or that could not be made; `retryable` says whether trying later may help.
 *
 * @example
 * store.status$.subscribe(({ lastError }) => {
 *   if (lastError instanceof RemoteStorageError) console.warn(`HTTP ${lastError.status ?? '-'}, ${lastError.retryable ? 'retrying' : 'needs a fix'}: ${lastError.message}`);
 * });
 */
export class RemoteStorageError extends PersistentStoreError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
    code = 'REMOTE_STORAGE',
  ) {
    super(code, message, options);
  }
}

/**
 * A 404 that is not the service's "no such key": Apify's `page-not-found` (a base URL with a path
 * too many, such as `/v2`), a proxy's own page, etcd without its gateway there, a WebDAV
 * collection that does not exist. Taken for "nothing stored", it would start the job afresh and
 * later overwrite the real state, so it is refused, never retried. `url` is the URL that answered
 * (without credentials); the message says which setting to correct.
 *
 * @example
 * await createPersistentStore({ key: 'K', initial, adapter: remoteKvAdapter({ dialect: etcdDialect({ endpoint: 'http://127.0.0.1:2379/v3' }) }) })
 *   .catch((error: unknown) => {
 *     if (error instanceof EndpointNotFoundError) console.error(`nothing of the service at ${error.url}`);
 *     throw error;
 *   });
 */
export class EndpointNotFoundError extends RemoteStorageError {
  readonly url: string;
  constructor(url: string, message: string) {
    // Redacted here too, for a dialect called outside an adapter (whose redaction knows more).
    super(redactUrl(message), 404, false, undefined, 'ENDPOINT_NOT_FOUND');
    this.url = redactUrl(url);
  }
}

/** Redirects followed for one request, at most. */
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;
/** How long a 429 without Retry-After waits: the window of a per-second limit. */
const RATE_WINDOW_MS = 1_000;

/** Seconds or an HTTP date, as ms from now; undefined if absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * What a failure says: its message; else what the errors it gathers say (Node's connect to a host
 * with several addresses fails with an AggregateError without a message); else its code.
 */
function failureText(error: unknown): string {
  const { message, errors, code } = (error ?? {}) as { message?: unknown; errors?: unknown; code?: unknown };
  if (typeof message === 'string' && message !== '') return message;
  if (Array.isArray(errors) && errors.length > 0) return errors.map(failureText).join('; ');
  return typeof code === 'string' ? code : errorMessage(error);
}

/** The global fetch says only "fetch failed"; its cause says why (ECONNREFUSED, ENOTFOUND, a TLS error). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause === undefined ? failureText(error) : `${failureText(error)} (${failureText(cause)})`;
}

interface Hop {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/**
 * Fetch refuses URLs with `user:password@`; send them as Basic authorization instead (unless the
 * request has its own), so the URL itself never carries them.
 */
function withoutUserinfo(url: string, headers: Record<string, string>): { url: string; headers: Record<string, string> } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, headers }; // fetch says what is wrong with it
  }
  if (parsed.username === '' && parsed.password === '') return { url, headers };
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const basic = toBase64(`${decode(parsed.username)}:${decode(parsed.password)}`);
  parsed.username = '';
  parsed.password = '';
  const hasOwn = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  return { url: parsed.href, headers: hasOwn ? headers : { ...headers, authorization: `Basic ${basic}` } };
}

/** 127.0.0.0/8, ::1 or localhost: a host on this machine (URL has normalised the address already). */
const isLoopback = (url: URL): boolean => /^127\.\d+\.\d+\.\d+$/.test(url.hostname) || url.hostname === '[::1]' || url.hostname === 'localhost';

/**
 * Sends one hop after another, following a redirect only where it cannot leak: within the same
 * origin (307/308 as they are; 301/302/303 only for GET and HEAD), or to another origin for a
 * GET or HEAD sent bare (no header, no body), never from https to http, at most MAX_REDIRECTS.
 * Another origin must be https (or, from a loopback origin, loopback): a plain-http redirect could
 * point the adapter at anything it can reach, e.g. a cloud metadata service at 169.254.169.254,
 * whose answer would be read as the stored state. Anything else is refused before a byte goes to
 * the new place.
 */
async function fetchFollowing(fetch: FetchLike, what: string, first: Hop, signal: AbortSignal, redactor: Redactor) {
  let hop = first;
  for (let redirects = 0; ; redirects++) {
    const response = await fetch(hop.url, { method: hop.method, headers: hop.headers, body: hop.body, signal, redirect: 'manual' });
    const refuse = (reason: string): never => {
      throw new RemoteStorageError(redactor.message(`${what}: ${reason}; not followed, nothing was sent there`), response.status, false);
    };
    if (response.status === 0 || response.type === 'opaqueredirect') refuse('the server redirected the request to a place the browser does not reveal');
    if (!REDIRECTS.has(response.status)) return response;
    await response.text().catch(() => ''); // frees the connection
    const location = response.headers.get('location');
    let target: URL | undefined;
    try {
      target = location === null ? undefined : new URL(location, hop.url);
    } catch {
      // refused below
    }
    if (target === undefined || (target.protocol !== 'http:' && target.protocol !== 'https:')) {
      return refuse(
        `the server answered ${response.status} ${location === null ? 'without a Location' : `with an unusable Location ${JSON.stringify(redactor.excerpt(location))}`}`,
      );
    }
    const from = new URL(hop.url);
    const redirected = `the server redirected the ${hop.method} to ${target.origin}`;
    if (redirects >= MAX_REDIRECTS) refuse(`${redirected}, after ${MAX_REDIRECTS} redirects already`);
    if (from.protocol === 'https:' && target.protocol === 'http:') refuse(`${redirected}: from https to plain http`);
    const safe = hop.method === 'GET' || hop.method === 'HEAD';
    target.username = '';
    target.password = '';
    redactor.addRequest(target.href); // a signed URL's own signature
    if (target.origin === from.origin) {
      if (!safe && response.status !== 307 && response.status !== 308) refuse(`${redirected} with ${response.status}, which would turn it into a GET`);
      hop = { ...hop, url: target.href };
    } else {
      if (!safe) refuse(`${redirected}, another origin`);
      if (target.protocol !== 'https:' && !(isLoopback(from) && isLoopback(target))) {
        refuse(
          `the server redirected the ${hop.method} to ${target.href}, another origin over plain http (only https is followed there, or loopback to loopback)`,
        );
      }
      hop = { url: target.href, method: hop.method, headers: {} };
    }
  }
}

/**
 * Sends one request with a timeout per attempt, retrying network errors, timeouts, 429 and 5xx
 * with exponential backoff and jitter (honouring Retry-After), never other statuses. Redirects
 * are followed only where they cannot leak (see above). `what` names the request in errors; the
 * errors carry no credential of the request (nor of `redactor`, which learns this request's).
 */
export async function send(
  http: HttpOptions,
  what: string,
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
  redactor = new Redactor(),
): Promise<HttpResponse> {
  redactor.addRequest(url, init.headers);
  const request = withoutUserinfo(url, init.headers ?? {});
  redactor.addRequest(request.url, request.headers);
  for (let attempt = 0; ; attempt++) {
    let failure: RemoteStorageError;
    let wait: number | undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), http.timeoutMs);
    try {
      const response = await fetchFollowing(http.fetch, what, { ...request, method: init.method, body: init.body }, controller.signal, redactor);
      const body = await response.text();
      if (!isRetryableStatus(response.status)) return { status: response.status, headers: response.headers, body, excerpt: () => redactor.excerpt(body) };
      failure = new RemoteStorageError(`${what}: the server answered ${response.status}`, response.status, true);
      // A 429 without Retry-After: a rate window (the Apify API's is 1 s) is over only after a second.
      wait = retryAfterMs(response.headers.get('retry-after')) ?? (response.status === 429 ? RATE_WINDOW_MS : undefined);
    } catch (error) {
      // A refused redirect, or no fetch in this runtime: retrying would repeat it.
      if (error instanceof RemoteStorageError || error instanceof InvalidOptionError) throw error;
      const reason = controller.signal.aborted ? `no answer within ${http.timeoutMs} ms` : `network error: ${networkReason(error)}`;
      failure = redactor.error(new RemoteStorageError(`${what}: ${reason}`, undefined, true, { cause: error })) as RemoteStorageError;
    } finally {
      clearTimeout(timer);
    }
    if (attempt >= http.retries) throw failure;
    wait ??= backoffDelay(attempt, { initialMs: http.retryDelayMs, maxMs: http.maxRetryDelayMs, jitter: 'equal' });
    await new Promise((resolve) => setTimeout(resolve, Math.min(http.maxRetryDelayMs, wait)));
  }
}
