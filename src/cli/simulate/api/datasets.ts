import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileWriter, readJsonFile } from './files.js';
import { flag, invalidInput, numberParam, type ApiAnswer, type ApiCall } from './http.js';
import { at, router, storageRoutes, type Router } from './routes.js';
import { Storages } from './storages.js';

const ITEM_FILE = /^\d{9}\.json$/;
/** What the API puts in `x-apify-pagination-limit` when no limit was asked for. */
const NO_LIMIT = 999_999_999_999;

type Item = Record<string, unknown>;

/** One dataset: items numbered from 1 in files `000000001.json`, … (Crawlee's local layout). */
class DatasetState {
  private turn: Promise<unknown> = Promise.resolve();
  private readonly files = fileWriter();
  private readonly createdAtMs = Date.now();
  private modifiedAtMs = this.createdAtMs;

  private constructor(
    readonly id: string,
    private readonly folder: string,
    private count: number,
  ) {}

  static async load(id: string, folder: string): Promise<DatasetState> {
    const names = await fs.readdir(folder).catch(() => [] as string[]);
    return new DatasetState(id, folder, names.filter((name) => ITEM_FILE.test(name)).length);
  }

  private fileOf(n: number): string {
    return path.join(this.folder, `${String(n).padStart(9, '0')}.json`);
  }

  info() {
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      id: this.id,
      name: this.id === 'default' ? null : this.id,
      userId: 'local-simulation',
      createdAt: iso(this.createdAtMs),
      modifiedAt: iso(this.modifiedAtMs),
      accessedAt: iso(Date.now()),
      itemCount: this.count,
      cleanItemCount: this.count,
    };
  }

  /** Appends items, one push after the other (each gets the next numbers). */
  push(items: readonly Item[]): Promise<void> {
    const next = this.turn.then(async () => {
      const first = this.count + 1;
      await Promise.all(items.map((item, i) => this.files.write(this.fileOf(first + i), JSON.stringify(item, null, 2))));
      this.count += items.length;
      this.modifiedAtMs = Date.now();
    });
    this.turn = next.catch(() => undefined);
    return next;
  }

  async read(offset: number, limit: number, desc: boolean): Promise<{ total: number; items: Item[] }> {
    const total = this.count;
    const numbers = Array.from({ length: total }, (_, i) => (desc ? total - i : i + 1)).slice(offset, offset + limit);
    const items = await Promise.all(numbers.map(async (n) => (await readJsonFile<Item>(this.fileOf(n))) ?? {}));
    return { total, items };
  }
}

/** Which fields an item keeps: `fields` picks, `omit` drops, `clean` drops hidden ones (`#…`). */
function shaped(item: Item, fields: readonly string[] | undefined, omit: ReadonlySet<string>, clean: boolean): Item {
  const keys = (fields ?? Object.keys(item)).filter((key) => key in item && !omit.has(key) && !(clean && key.startsWith('#')));
  return Object.fromEntries(keys.map((key) => [key, item[key]]));
}

const listParam = (query: URLSearchParams, name: string) =>
  query
    .get(name)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `POST /v2/datasets/:id/items`: an item or an array of them (the body gzipped or not), appended. */
async function pushItems(call: ApiCall, dataset: DatasetState): Promise<ApiAnswer> {
  const body = await call.json();
  const items = Array.isArray(body) ? body : [body];
  items.forEach((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidInput(`item ${i} is not a JSON object`);
  });
  await dataset.push(items as Item[]);
  return { status: 201 };
}

/**
 * `GET /v2/datasets/:id/items` with `offset`, `limit`, `desc`, `clean`/`skipEmpty`, `skipHidden`,
 * `fields` and `omit`, and the pagination headers the client reads.
 */
async function listItems({ query }: ApiCall, dataset: DatasetState): Promise<ApiAnswer> {
  const offset = numberParam(query, 'offset', { min: 0, integer: true }, 0)!;
  const limit = numberParam(query, 'limit', { min: 0, integer: true });
  const desc = flag(query, 'desc');
  const clean = flag(query, 'clean');
  const skipEmpty = clean || flag(query, 'skipEmpty');
  const { total, items } = await dataset.read(offset, limit ?? Number.MAX_SAFE_INTEGER, desc);
  const omit = new Set(listParam(query, 'omit') ?? []);
  const shapedItems = items
    .map((item) => shaped(item, listParam(query, 'fields'), omit, clean || flag(query, 'skipHidden')))
    .filter((item) => !skipEmpty || Object.keys(item).length > 0);
  return {
    status: 200,
    body: shapedItems,
    headers: {
      'x-apify-pagination-total': String(total),
      'x-apify-pagination-offset': String(offset),
      'x-apify-pagination-limit': String(limit ?? NO_LIMIT),
      'x-apify-pagination-count': String(shapedItems.length),
      'x-apify-pagination-desc': String(desc),
    },
  };
}

/** The dataset part of the API: the dataset, pushing items and listing them. */
export function datasets(storageDir: string): { route: Router } {
  const stores = new Storages('dataset', path.join(storageDir, 'datasets'), (id, folder) => DatasetState.load(id, folder));
  const route = router([
    ...storageRoutes(stores, (dataset) => dataset.info()),
    at(':id/items', { open: (_call, { id }) => stores.get(id), POST: pushItems, GET: listItems }),
  ]);
  return { route };
}
