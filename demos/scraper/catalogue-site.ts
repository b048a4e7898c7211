// A generated shop catalogue served on 127.0.0.1: category listings, paginated, linking to product
// pages, which link to related products. Every page is slow on purpose (like a real site), and
// every fetch is counted, the ground truth for "pages fetched twice".
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Product {
  readonly id: string;
  readonly title: string;
  readonly category: string;
  readonly priceCents: number;
  readonly offers: number;
}

export interface CatalogueOptions {
  /** @default 300 */
  readonly products?: number;
  /** Products per listing page. @default 12 */
  readonly perPage?: number;
  /** Delay before each answer, in ms. @default 40 */
  readonly latencyMs?: number;
  /** @default 7 */
  readonly seed?: number;
}

const CATEGORIES = ['kettles', 'toasters', 'lamps', 'chairs', 'headphones', 'backpacks'];
const NOUNS = ['Classic', 'Pro', 'Mini', 'Max', 'Eco', 'Studio', 'Travel', 'Home'];

/** A small deterministic PRNG (mulberry32), so every run serves the same catalogue. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The catalogue's products, the same for the same options. */
export function generateProducts({ products = 300, seed = 7 }: CatalogueOptions = {}): Product[] {
  const next = random(seed);
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
  return Array.from({ length: products }, (_, i) => {
    const category = CATEGORIES[i % CATEGORIES.length]!;
    const id = `B0${Array.from({ length: 8 }, () => alphabet[Math.floor(next() * alphabet.length)]).join('')}`;
    return {
      id,
      category,
      title: `${NOUNS[Math.floor(next() * NOUNS.length)]} ${category.slice(0, -1)} ${i + 1}`,
      priceCents: 500 + Math.floor(next() * 20_000),
      offers: 1 + Math.floor(next() * 12),
    };
  });
}

const page = (title: string, body: string) => `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`;

/** Starts the site; `hits` counts the fetches of each path. */
export async function startCatalogue(options: CatalogueOptions = {}) {
  const { perPage = 12, latencyMs = 40 } = options;
  const products = generateProducts(options);
  const byId = new Map(products.map((p) => [p.id, p]));
  const inCategory = (category: string) => products.filter((p) => p.category === category);
  const hits = new Map<string, number>();

  const render = (url: URL): string | undefined => {
    if (url.pathname === '/') {
      return page('Catalogue', `<h1>Catalogue</h1><ul>${CATEGORIES.map((c) => `<li><a href="/category/${c}?page=1">${c}</a></li>`).join('')}</ul>`);
    }
    const category = /^\/category\/([a-z]+)$/.exec(url.pathname)?.[1];
    if (category && CATEGORIES.includes(category)) {
      const items = inCategory(category);
      const n = Number(url.searchParams.get('page') ?? 1);
      const shown = items.slice((n - 1) * perPage, n * perPage);
      if (shown.length === 0) return undefined;
      const next = n * perPage < items.length ? `<a class="next" href="/category/${category}?page=${n + 1}">next</a>` : '';
      return page(
        `${category}, page ${n}`,
        `<h1>${category}</h1><ul>${shown.map((p) => `<li><a href="/product/${p.id}">${p.title}</a></li>`).join('')}</ul>${next}<a href="/">home</a>`,
      );
    }
    const product = byId.get(/^\/product\/(\w+)$/.exec(url.pathname)?.[1] ?? '');
    if (product) {
      const index = products.indexOf(product);
      const related = [1, 7, 31].map((step) => products[(index + step) % products.length]!);
      return page(
        product.title,
        `<article data-product-id="${product.id}"><h1 class="title">${product.title}</h1>` +
          `<span class="price" data-cents="${product.priceCents}">€${(product.priceCents / 100).toFixed(2)}</span>` +
          `<ul class="offers">${'<li class="offer">seller</li>'.repeat(product.offers)}</ul></article>` +
          `<nav>${related.map((p) => `<a href="/product/${p.id}">${p.title}</a>`).join('')}<a href="/category/${product.category}?page=1">${product.category}</a></nav>`,
      );
    }
    return undefined;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    hits.set(url.pathname + url.search, (hits.get(url.pathname + url.search) ?? 0) + 1);
    setTimeout(() => {
      const html = render(url);
      res.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html ?? page('Not found', '<h1>Not found</h1>'));
    }, latencyMs);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    products,
    /** Listing pages plus product pages plus the home page: what a full crawl fetches. */
    pageCount: 1 + CATEGORIES.reduce((sum, c) => sum + Math.ceil(inCategory(c).length / perPage), 0) + products.length,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
