import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileDurably } from '../../../adapters/durable-file.js';
import { checkedName, data, notFound, numberParam, type ApiAnswer, type ApiCall } from './http.js';
import { Storages } from './storages.js';

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
/** Crawlee's own file beside the records of a local store: not a record. */
const METADATA_KEY = '__metadata__';
const MAX_KEYS = 1000;

interface Store {
  readonly id: string;
  readonly folder: string;
  readonly createdAt: string;
}

/** The file holding a record, whatever its content type. */
async function findRecord(folder: string, key: string): Promise<{ file: string; contentType: string } | undefined> {
  for (const [ext, contentType] of CONTENT_TYPES) {
    const file = path.join(folder, `${key}.${ext}`);
    if (
      await fs.stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return { file, contentType };
  }
  return undefined;
}

/** Every record's key and size, in key order. */
async function keysOf(folder: string): Promise<Array<{ key: string; size: number }>> {
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  const items = [];
  for (const name of names) {
    const match = /^(.+)\.([a-z]+)$/.exec(name);
    if (!match || match[1] === METADATA_KEY || !CONTENT_TYPES.some(([ext]) => ext === match[2])) continue;
    items.push({ key: match[1]!, size: (await fs.stat(path.join(folder, name))).size });
  }
  return items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The key-value store part of the API: the store, its records (one file each, the extension
 * naming the content type, written durably) and the keys listing, a page at a time
 * (`limit`, `exclusiveStartKey`, `prefix`).
 */
export function keyValueStores(storageDir: string): { route(call: ApiCall): Promise<ApiAnswer | undefined> } {
  const stores = new Storages<Store>('key-value store', path.join(storageDir, 'key_value_stores'), async (id, folder) => ({
    id,
    folder,
    createdAt: new Date().toISOString(),
  }));

  async function route(call: ApiCall): Promise<ApiAnswer | undefined> {
    const { method, query } = call;
    const [id, sub, key, ...rest] = call.path;
    if (rest.length > 0) return undefined;
    if (id === undefined) return method === 'POST' ? data(info(await stores.getOrCreate(query.get('name') || null)), 201) : undefined;
    const store = await stores.get(id);
    if (sub === undefined) {
      if (method === 'GET') return data(info(store));
      if (method === 'DELETE') {
        await stores.drop(id);
        return { status: 204 };
      }
      return undefined;
    }
    if (sub === 'keys' && key === undefined && method === 'GET') {
      const limit = numberParam(query, 'limit', { min: 1, max: MAX_KEYS, integer: true }, MAX_KEYS)!;
      const after = query.get('exclusiveStartKey') || undefined;
      const prefix = query.get('prefix') ?? '';
      const all = (await keysOf(store.folder)).filter((item) => item.key.startsWith(prefix) && (after === undefined || item.key > after));
      const items = all.slice(0, limit);
      const isTruncated = all.length > limit;
      return data({
        items,
        count: items.length,
        limit,
        exclusiveStartKey: after ?? null,
        isTruncated,
        nextExclusiveStartKey: isTruncated ? items.at(-1)!.key : null,
      });
    }
    if (sub !== 'records' || key === undefined) return undefined;
    checkedName('record key', key);
    const existing = await findRecord(store.folder, key);
    if (method === 'GET' || method === 'HEAD') {
      if (!existing) throw notFound(`no record ${key} in key-value store ${id}`);
      return { status: 200, body: method === 'HEAD' ? undefined : await fs.readFile(existing.file), contentType: existing.contentType };
    }
    if (method === 'PUT' || method === 'POST') {
      const body = await call.body();
      const type = (call.contentType ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
      const ext = CONTENT_TYPES.find(([, contentType]) => contentType === type)?.[0] ?? 'bin';
      const file = path.join(store.folder, `${key}.${ext}`);
      await fs.mkdir(store.folder, { recursive: true });
      await writeFileDurably(file, body);
      if (existing && existing.file !== file) await fs.rm(existing.file, { force: true });
      return { status: 201, body: {} };
    }
    if (method === 'DELETE') {
      if (existing) await fs.rm(existing.file, { force: true });
      return { status: 204 };
    }
    return undefined;
  }

  const info = (store: Store) => ({
    id: store.id,
    name: store.id === 'default' ? null : store.id,
    userId: 'local-simulation',
    createdAt: store.createdAt,
    modifiedAt: store.createdAt,
    accessedAt: new Date().toISOString(),
  });

  return { route };
}
