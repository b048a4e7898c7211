import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileDurably } from '../../../adapters/durable-file.js';
import { checkedName, data, notFound, numberParam, type ApiAnswer, type ApiCall } from './http.js';
import { at, router, storageRoutes, type Router } from './routes.js';
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

/** `GET /v2/key-value-stores/:id/keys`: the keys listing, a page at a time (`limit`, `exclusiveStartKey`, `prefix`). */
async function listKeys({ query }: ApiCall, store: Store): Promise<ApiAnswer> {
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

/** A record's store, its checked key, and its file if it has one. */
interface RecordPlace {
  readonly store: Store;
  readonly key: string;
  readonly existing: { file: string; contentType: string } | undefined;
}

async function readRecord({ method }: ApiCall, { store, key, existing }: RecordPlace): Promise<ApiAnswer> {
  if (!existing) throw notFound(`no record ${key} in key-value store ${store.id}`);
  return { status: 200, body: method === 'HEAD' ? undefined : await fs.readFile(existing.file), contentType: existing.contentType };
}

/** Writes the record durably in the file its content type names, and removes one of another type. */
async function writeRecord(call: ApiCall, { store, key, existing }: RecordPlace): Promise<ApiAnswer> {
  const body = await call.body();
  const type = (call.contentType ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
  const ext = CONTENT_TYPES.find(([, contentType]) => contentType === type)?.[0] ?? 'bin';
  const file = path.join(store.folder, `${key}.${ext}`);
  await fs.mkdir(store.folder, { recursive: true });
  await writeFileDurably(file, body);
  if (existing && existing.file !== file) await fs.rm(existing.file, { force: true });
  return { status: 201, body: {} };
}

async function deleteRecord(_call: ApiCall, { existing }: RecordPlace): Promise<ApiAnswer> {
  if (existing) await fs.rm(existing.file, { force: true });
  return { status: 204 };
}

/**
 * The key-value store part of the API: the store, its records (one file each, the extension
 * naming the content type, written durably) and the keys listing.
 */
export function keyValueStores(storageDir: string): { route: Router } {
  const stores = new Storages<Store>('key-value store', path.join(storageDir, 'key_value_stores'), async (id, folder) => ({
    id,
    folder,
    createdAt: new Date().toISOString(),
  }));
  const info = (store: Store) => ({
    id: store.id,
    name: store.id === 'default' ? null : store.id,
    userId: 'local-simulation',
    createdAt: store.createdAt,
    modifiedAt: store.createdAt,
    accessedAt: new Date().toISOString(),
  });
  const record = async (_call: ApiCall, { id, key }: { readonly id: string; readonly key: string }): Promise<RecordPlace> => {
    const store = await stores.get(id);
    checkedName('record key', key);
    return { store, key, existing: await findRecord(store.folder, key) };
  };
  const route = router([
    ...storageRoutes(stores, info),
    at(':id/keys', { open: (_call, { id }) => stores.get(id), GET: listKeys }),
    at(':id/records/:key', { open: record, GET: readRecord, HEAD: readRecord, PUT: writeRecord, POST: writeRecord, DELETE: deleteRecord }),
  ]);
  return { route };
}
