// The scraper job: crawls the catalogue at CATALOGUE_URL, its frontier in a work queue and its
// results in a store, both on the file adapter. Started again after a migration or a crash, it
// goes on where the last durable write left it. Run it under the simulator (see main.ts).
import { lastValueFrom } from 'rxjs';
import { createPersistentStore, createWorkQueue, fileAdapter, KeyedMap } from '../../src/index.js';
import { parsePage, type ScrapedProduct } from './parse-page.js';
import { progressBar } from './progress-bar.js';

export type Result = ScrapedProduct & { readonly url: string };

const base = process.env.CATALOGUE_URL;
if (!base) {
  console.error('CATALOGUE_URL is not set: run this job with `npm run demo`, which serves the catalogue.');
  process.exit(2);
}
const run = process.env.RXPS_SIMULATED_RUN ?? '1';
// A kill loses at most the last maxWaitMs of finished pages: they are fetched again by the next run.
const window = { debounceMs: 100, maxWaitMs: 500 };
const adapter = fileAdapter();
const frontier = await createWorkQueue<{ path: string }>({ key: 'FRONTIER', adapter, ...window, leaseMs: 30_000, onlyWorker: true });
const results = await createPersistentStore({ key: 'RESULTS', adapter, ...window, initial: { products: new KeyedMap<Result>() } });

const byPath = { uniqueKey: (page: { path: string }) => page.path };
frontier.add([{ path: '/' }], byPath);
const counts = frontier.getStats();
console.log(
  frontier.restored
    ? `run ${run}: resuming: ${counts.done} pages done, ${counts.pending + counts.leased} to go, ${results.getState().products.size} products`
    : `run ${run}: fresh start at ${base}`,
);

const bar = progressBar(process.stdout);
const progress = frontier.stats$.subscribe((s) =>
  bar.update(s.done, s.done + s.pending + s.leased + s.retrying, `${results.getState().products.size} products`),
);

// On `migrating` process() stops claiming, lets running pages finish, gives back the rest and flushes.
await lastValueFrom(
  frontier.process(
    async (item) => {
      const url = new URL(item.data.path, base);
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status} for ${item.data.path}`);
      const page = parsePage(await response.text(), url);
      frontier.add(
        page.links.map((path) => ({ path })),
        byPath,
      );
      if (page.product) {
        const product = page.product;
        results.update((s) => void s.products.set(product.id, { ...product, url: item.data.path }));
        // Durable before the page counts as done: a crash may fetch a page twice, never lose its product.
        await results.flush();
      }
    },
    { concurrency: 4 },
  ),
  { defaultValue: undefined },
);
progress.unsubscribe();
const { done, failed, pending, leased, retrying } = frontier.getStats();
bar.update(done, done + pending + leased + retrying, `${results.getState().products.size} products`, true);
bar.end();
await Promise.all([frontier.close(), results.close()]);
if (pending + leased + retrying > 0) {
  console.log(`run ${run}: stopped for the platform with ${pending + leased + retrying} pages to go; all saved, waiting to be moved`);
  setInterval(() => undefined, 1_000); // the platform ends this process and starts the next run
} else {
  console.log(`run ${run}: done: ${done} pages (${failed} failed), ${results.getState().products.size} products`);
}
