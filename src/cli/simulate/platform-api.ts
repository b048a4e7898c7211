import { promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileDurably } from '../../adapters/durable-file.js';
import { assertValidRecordKey } from '../../adapters/keys.js';
import { errorMessage } from '../../errors.js';

export interface PlatformApiOptions {
  /** The storage folder, in Crawlee's local layout (`key_value_stores/<id>/<key>.<ext>`, `datasets/<id>/`). */
  readonly storageDir: string;
  readonly runId: string;
  readonly token: string;
  /** The job asked to be rebooted (the Apify SDK does on `migrating`). */
  readonly onReboot: () => void;
  readonly onStatusMessage: (message: string) => void;
  /** A call this emulation does not cover; answered 501. */
  readonly onNotEmulated: (route: string) => void;
}

/** The platform refuses records over 9 MB. */
const MAX_BODY_BYTES = 9 * 1024 * 1024;

/** Record file extensions and the content types they stand for; the first match wins on write. */
const CONTENT_TYPES: ReadonlyArray<readonly [string, string]> = [
  ['json', 'application/json'],
  ['txt', 'text/plain'],
  ['html', 'text/html'],
  ['xml', 'application/xml'],
  ['csv', 'text/csv'],
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['bin', 'application/octet-stream'],
];

class ApiError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) {
    super(message);
  }
}

const send = (res: ServerResponse, status: number, body?: unknown, contentType = 'application/json; charset=utf-8'): void => {
  const data = body === undefined ? '' : Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(data) });
  res.end(data);
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'request-too-large', `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A store id or record key as the platform accepts them; anything else could leave the folder. */
function checked(what: string, value: string): string {
  try {
    assertValidRecordKey(value);
  } catch (error) {
    throw new ApiError(400, 'invalid-parameter', `invalid ${what}: ${errorMessage(error)}`);
  }
  return value;
}

/**
 * The part of the Apify API (v2) that an Apify SDK job uses for its run, its default key-value
 * store and its dataset, served from the local storage folder. It lets `apify` run "at home"
 * (where alone it listens to the events socket) without the cloud. Request queues and the rest
 * of the API are not emulated: they answer 501 with the route's name.
 */
export function platformApi(options: PlatformApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const startedAt = new Date().toISOString();
  let statusMessage: string | null = null;
  const run = () => ({
    id: options.runId,
    actId: 'local-simulation',
    status: 'RUNNING',
    statusMessage,
    startedAt,
    options: { build: 'latest', timeoutSecs: 0, memoryMbytes: Math.floor(os.totalmem() / 2 ** 20) },
    chargedEventCounts: {},
    defaultKeyValueStoreId: 'default',
    defaultDatasetId: 'default',
    defaultRequestQueueId: 'default',
  });
  const kvFolder = (id: string) => path.join(options.storageDir, 'key_value_stores', checked('store id', id));
  const datasetFolder = (id: string) => path.join(options.storageDir, 'datasets', checked('dataset id', id));

  /** The file holding a record, whatever its content type. */
  const findRecord = async (folder: string, key: string): Promise<{ file: string; contentType: string } | undefined> => {
    for (const [ext, contentType] of CONTENT_TYPES) {
      const file = path.join(folder, `${key}.${ext}`);
      if (await fs.stat(file).then((s) => s.isFile(), () => false)) return { file, contentType };
    }
    return undefined;
  };

  const datasetItems = async (folder: string): Promise<string[]> =>
    (await fs.readdir(folder).catch(() => [] as string[])).filter((name) => /^\d{9}\.json$/.test(name)).sort();

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auth = req.headers.authorization ?? (url.searchParams.has('token') ? `Bearer ${url.searchParams.get('token')}` : undefined);
    if (auth !== `Bearer ${options.token}`) throw new ApiError(401, 'token-not-valid', 'the API token is missing or not the run\'s token');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const [v2, resource, id, sub, key] = parts;
    if (v2 !== 'v2') throw new ApiError(404, 'page-not-found', `no such route: ${url.pathname}`);

    if (resource === 'actor-runs' && id === options.runId) {
      if (sub === undefined && method === 'GET') return send(res, 200, { data: run() });
      if (sub === undefined && method === 'PUT') {
        const body = JSON.parse((await readBody(req)).toString() || '{}') as { statusMessage?: unknown };
        if (typeof body.statusMessage === 'string') {
          statusMessage = body.statusMessage;
          options.onStatusMessage(statusMessage);
        }
        return send(res, 200, { data: run() });
      }
      if (sub === 'reboot' && method === 'POST' && key === undefined) {
        options.onReboot();
        return send(res, 200, { data: run() });
      }
    }
    if (resource === 'actor-runs' && id !== undefined && id !== options.runId) throw new ApiError(404, 'record-not-found', `no run ${id} here`);

    if (resource === 'key-value-stores' && id !== undefined) {
      const folder = kvFolder(id);
      if (sub === undefined && method === 'GET') return send(res, 200, { data: { id, name: null, createdAt: startedAt } });
      if (sub === 'keys' && key === undefined && method === 'GET') {
        const names = await fs.readdir(folder).catch(() => [] as string[]);
        const items = [];
        for (const name of names.sort()) {
          const match = /^(.+)\.([a-z]+)$/.exec(name);
          if (!match || !CONTENT_TYPES.some(([ext]) => ext === match[2])) continue;
          items.push({ key: match[1], size: (await fs.stat(path.join(folder, name))).size });
        }
        return send(res, 200, { data: { items, count: items.length, limit: items.length, isTruncated: false, nextExclusiveStartKey: null } });
      }
      if (sub === 'records' && key !== undefined) {
        checked('record key', key);
        const existing = await findRecord(folder, key);
        if (method === 'GET' || method === 'HEAD') {
          if (!existing) throw new ApiError(404, 'record-not-found', `no record ${key} in store ${id}`);
          return send(res, 200, method === 'HEAD' ? undefined : await fs.readFile(existing.file), existing.contentType);
        }
        if (method === 'PUT' || method === 'POST') {
          const body = await readBody(req);
          const type = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
          const ext = CONTENT_TYPES.find(([, contentType]) => contentType === type)?.[0] ?? 'bin';
          await fs.mkdir(folder, { recursive: true });
          await writeFileDurably(path.join(folder, `${key}.${ext}`), body);
          if (existing && existing.file !== path.join(folder, `${key}.${ext}`)) await fs.rm(existing.file, { force: true });
          return send(res, 201, {});
        }
        if (method === 'DELETE') {
          if (existing) await fs.rm(existing.file, { force: true });
          return send(res, 204);
        }
      }
    }

    if (resource === 'datasets' && id !== undefined) {
      const folder = datasetFolder(id);
      if (sub === undefined && method === 'GET') return send(res, 200, { data: { id, name: null, itemCount: (await datasetItems(folder)).length } });
      if (sub === 'items' && key === undefined && method === 'POST') {
        const body = JSON.parse((await readBody(req)).toString()) as unknown;
        const items = Array.isArray(body) ? body : [body];
        await fs.mkdir(folder, { recursive: true });
        let count = (await datasetItems(folder)).length;
        for (const item of items) await writeFileDurably(path.join(folder, `${String(++count).padStart(9, '0')}.json`), JSON.stringify(item, null, 2));
        return send(res, 201, {});
      }
      if (sub === 'items' && key === undefined && method === 'GET') {
        const names = await datasetItems(folder);
        const offset = Number(url.searchParams.get('offset') ?? 0);
        const limit = Number(url.searchParams.get('limit') ?? names.length);
        const items = await Promise.all(names.slice(offset, offset + limit).map(async (name) => JSON.parse(await fs.readFile(path.join(folder, name), 'utf8')) as unknown));
        return send(res, 200, items);
      }
    }
    const routeName = `${method} /${parts.map((part, i) => (i === 2 || i === 4 ? ':' + (i === 2 ? 'id' : 'key') : part)).join('/')}`;
    options.onNotEmulated(routeName);
    throw new ApiError(501, 'not-emulated', `rx-persistent-store simulate does not emulate ${routeName}`);
  }

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof SyntaxError) error = new ApiError(400, 'invalid-body', `the body is not JSON: ${error.message}`);
      const { status, type } = error instanceof ApiError ? error : { status: 500, type: 'internal-error' };
      if (!res.headersSent) send(res, status, { error: { type, message: errorMessage(error) } });
      else res.destroy();
    });
  };
}
