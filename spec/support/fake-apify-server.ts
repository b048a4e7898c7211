import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** The API answers 413 `request-too-large` to a request body over this many bytes (9 MiB). */
export const APIFY_BODY_LIMIT = 9_437_184;
/** Keys per page of `GET …/keys`: the default and the maximum. */
const KEYS_PAGE_MAX = 1000;

export interface FakeApifyOptions {
  /**
   * Record and key-listing requests one store takes in any 1 s (a sliding window); beyond, it
   * answers 429 `rate-limit-exceeded`. Refused requests do not count. @default 200, the API's
   */
  readonly requestsPerSecond?: number;
  /** The `Retry-After` of a 429, e.g. `'1'`. @default none */
  readonly retryAfter?: string;
  /** The rate limit's clock in ms, for a spec that holds time still or moves it. @default performance.now */
  readonly now?: () => number;
}

export interface FakeApifyRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly path: string;
  readonly authorized: boolean;
  /** The answer's status, once answered. */
  status?: number;
}

/**
 * The Apify key-value store API as documented, on 127.0.0.1 — the one fake in the suite, since
 * the platform cannot run here. A path that is no endpoint (`/v2/v2/…`, `/records` without a
 * key) is answered 404 `page-not-found`, as the API answers it; otherwise, with
 * `Authorization: Bearer <token>` (401 without it):
 * - `GET/PUT/DELETE /v2/key-value-stores/{storeId}/records/{key}`: 404 `record-not-found` for a
 *   missing store or record; a body over 9,437,184 bytes is answered 413 `request-too-large`.
 * - `GET /v2/key-value-stores/{storeId}/keys?prefix=&exclusiveStartKey=&limit=`: keys in sorted
 *   order, after `exclusiveStartKey`, at most `limit` (default and maximum 1000), as
 *   `{ data: { items: [{ key, size, recordPublicUrl }], count, limit, exclusiveStartKey, isTruncated, nextExclusiveStartKey } }`.
 * - beyond `requestsPerSecond` record and key requests per store in 1 s: 429 `rate-limit-exceeded`.
 * Errors are `{ error: { type, message } }`. `script` makes the next requests answer a given
 * status (e.g. 429 with Retry-After) first.
 */
export async function startFakeApify(token: string, storeId: string, options: FakeApifyOptions = {}) {
  const { requestsPerSecond = 200, retryAfter, now = () => performance.now() } = options;
  const records = new Map<string, string>();
  const requests: FakeApifyRequest[] = [];
  const scripted: Array<{ status: number; headers?: Record<string, string> }> = [];
  /** When the store's recent requests were taken, oldest first. */
  const taken: number[] = [];
  const limited = (): boolean => {
    const at = now();
    while (taken.length > 0 && taken[0]! <= at - 1000) taken.shift();
    if (taken.length >= requestsPerSecond) return true;
    taken.push(at);
    return false;
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const authorized = req.headers.authorization === `Bearer ${token}`;
    const request: FakeApifyRequest = { method: req.method!, path: req.url!, authorized };
    requests.push(request);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      request.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(body);
    };
    const fail = (status: number, type: string, message: string, headers?: Record<string, string>) =>
      send(status, JSON.stringify({ error: { type, message } }), headers);
    const next = scripted.shift();
    if (next) return fail(next.status, 'scripted', `status ${next.status}`, next.headers);
    const url = new URL(req.url!, 'http://fake');
    const match = /^\/v2\/key-value-stores\/([^/]+)\/(?:records\/([^/]+)|(keys))$/.exec(url.pathname);
    if (!match) return fail(404, 'page-not-found', 'We have bad news: there is no API endpoint at this URL. Did you specify it correctly?');
    if (!authorized) return fail(401, 'token-not-valid', 'Authentication token is not valid.');
    if (decodeURIComponent(match[1]!) !== storeId) return fail(404, 'record-not-found', 'Key-value store was not found.');
    if (limited())
      return fail(
        429,
        'rate-limit-exceeded',
        'You have exceeded the rate limit. Please try again later.',
        retryAfter === undefined ? {} : { 'retry-after': retryAfter },
      );
    if (match[3] !== undefined)
      return req.method === 'GET'
        ? listKeys(url, req.headers.host ?? '', send, fail)
        : fail(405, 'method-not-allowed', 'This API end-point can only be accessed using the following HTTP methods: GET');
    const key = decodeURIComponent(match[2]!);
    if (req.method === 'GET') return records.has(key) ? send(200, records.get(key)!) : fail(404, 'record-not-found', 'Record was not found.');
    if (req.method === 'PUT') {
      const body = Buffer.concat(chunks);
      if (body.length > APIFY_BODY_LIMIT)
        return fail(413, 'request-too-large', `The PUT payload is too large (limit: ${APIFY_BODY_LIMIT} bytes, actual length: ${body.length} bytes).`);
      records.set(key, body.toString('utf8'));
      return send(201, '');
    }
    if (req.method === 'DELETE') return records.delete(key) ? send(204, '') : fail(404, 'record-not-found', 'Record was not found.');
    return fail(405, 'method-not-allowed', 'This API end-point can only be accessed using the following HTTP methods: GET,PUT,DELETE');
  });
  const listKeys = (url: URL, host: string, send: (status: number, body: string) => void, fail: (status: number, type: string, message: string) => void) => {
    const prefix = url.searchParams.get('prefix') ?? '';
    const start = url.searchParams.get('exclusiveStartKey');
    const asked = url.searchParams.get('limit');
    const limit = asked === null ? KEYS_PAGE_MAX : Math.min(KEYS_PAGE_MAX, Number(asked));
    if (!Number.isInteger(limit) || limit < 1)
      return fail(400, 'invalid-parameter', `Parameter "limit" must be a positive integer, got ${JSON.stringify(asked)}.`);
    const keys = [...records.keys()].filter((key) => key.startsWith(prefix) && (start === null || key > start)).sort();
    const page = keys.slice(0, limit);
    const isTruncated = keys.length > limit;
    const items = page.map((key) => ({
      key,
      size: Buffer.byteLength(records.get(key)!),
      recordPublicUrl: `http://${host}/v2/key-value-stores/${storeId}/records/${encodeURIComponent(key)}`,
    }));
    send(
      200,
      JSON.stringify({
        data: { items, count: items.length, limit, exclusiveStartKey: start, isTruncated, nextExclusiveStartKey: isTruncated ? page[page.length - 1] : null },
      }),
    );
  };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    records,
    requests,
    script: (...answers: Array<{ status: number; headers?: Record<string, string> }>) => void scripted.push(...answers),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type FakeApify = Awaited<ReturnType<typeof startFakeApify>>;
