import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { assertValidRecordKey } from '../../../adapters/keys.js';
import { APIFY_MAX_RECORD_BYTES } from '../../../adapters/remote/dialects/apify.js';
import { errorMessage } from '../../../errors.js';

/** The platform refuses a request body (records, dataset pushes) over 9 MiB: the limit the Apify dialect writes within. */
const MAX_BODY_BYTES = APIFY_MAX_RECORD_BYTES;

/**
 * An answer the platform gives as `{ error: { type, message } }`, with the types it documents
 * (`invalid-input`, `record-not-found`, `request-too-large`, `token-not-valid`, …).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export const invalidInput = (message: string): ApiError => new ApiError(400, 'invalid-input', message);
export const notFound = (message: string): ApiError => new ApiError(404, 'record-not-found', message);

/** What a route answers; the router writes it. */
export interface ApiAnswer {
  readonly status: number;
  /** JSON unless a Buffer (then sent as is, with `contentType`). */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** `{ data }`, the envelope of almost every answer of the API. */
export const data = (value: unknown, status = 200): ApiAnswer => ({ status, body: { data: value } });

/** One call, as the resource modules see it: the path after `/v2/<resource>/`, the query, the body on demand. */
export interface ApiCall {
  readonly method: string;
  /** Path segments after the resource name, decoded (`['default', 'requests', 'batch']`). */
  readonly path: readonly string[];
  readonly query: URLSearchParams;
  readonly contentType: string | undefined;
  /** The body, decompressed (the Apify client gzips bodies from 1 KB on), at most `MAX_BODY_BYTES`. */
  body(): Promise<Buffer>;
  /** The body parsed as JSON; `invalid-input` when it is not. */
  json(): Promise<unknown>;
}

const DECODERS: Record<string, (data: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'request-too-large', `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The request as an `ApiCall`; `path` is what follows `/v2/<resource>/`. */
export function apiCall(req: IncomingMessage, path: readonly string[], query: URLSearchParams): ApiCall {
  let body: Promise<Buffer> | undefined;
  const read = async (): Promise<Buffer> => {
    const raw = await readRaw(req);
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding === 'identity' || raw.length === 0) return raw;
    const decode = DECODERS[encoding];
    if (!decode) throw new ApiError(415, 'unsupported-content-encoding', `content-encoding ${JSON.stringify(encoding)} is not supported (gzip, deflate, br)`);
    const decoded = await decode(raw).catch((error: unknown) => Promise.reject(invalidInput(`the body is not valid ${encoding}: ${errorMessage(error)}`)));
    if (decoded.length > MAX_BODY_BYTES) throw new ApiError(413, 'request-too-large', `the body is over ${MAX_BODY_BYTES} bytes once decompressed`);
    return decoded;
  };
  const call: ApiCall = {
    method: req.method ?? 'GET',
    path,
    query,
    contentType: req.headers['content-type'],
    body: () => (body ??= read()),
    async json() {
      const text = (await call.body()).toString('utf8');
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw invalidInput(`the body is not JSON: ${errorMessage(error)}`);
      }
    },
  };
  return call;
}

/** Writes an answer. */
export function reply(res: ServerResponse, answer: ApiAnswer): void {
  const { status, body, contentType = 'application/json; charset=utf-8', headers = {} } = answer;
  const bytes = body === undefined ? '' : Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(bytes) });
  res.end(bytes);
}

/** A store id or record key as the platform accepts them; anything else could leave the folder. */
export function checkedName(what: string, value: string): string {
  try {
    assertValidRecordKey(value);
  } catch (error) {
    throw invalidInput(`invalid ${what}: ${errorMessage(error)}`);
  }
  return value;
}

/** A boolean query parameter: `true`/`1` or `false`/`0`; absent is `fallback`. */
export function flag(query: URLSearchParams, name: string, fallback = false): boolean {
  const value = query.get(name);
  if (value === null || value === '') return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalidInput(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

/** A number query parameter within bounds; absent is `fallback`. */
export function numberParam(
  query: URLSearchParams,
  name: string,
  bounds: { min: number; max?: number; integer?: boolean; exclusiveMin?: boolean },
  fallback?: number,
): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  const { min, max = Number.MAX_SAFE_INTEGER, integer = false, exclusiveMin = false } = bounds;
  const ok = Number.isFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max && (!integer || Number.isInteger(value));
  if (!ok)
    throw invalidInput(
      `${name} must be ${integer ? 'a whole number' : 'a number'} ${exclusiveMin ? '>' : '≥'} ${min}${max < Number.MAX_SAFE_INTEGER ? ` and ≤ ${max}` : ''}, got ${JSON.stringify(raw)}`,
    );
  return value;
}
