// A Crawlee actor as you would write it for the Apify platform: a CheerioCrawler with the `apify`
// package, following every link of a site, one dataset item per page, and a count of its own
// pages in rx-persistent-store, following the SDK's events. Run it under the simulator
// (demos/crawlee-actor/main.ts does) and its request queue, dataset and key-value store go
// through the simulator's emulation of the platform API, across migrations and kills.
import { CheerioCrawler } from '@crawlee/cheerio';
import { Actor } from 'apify';
import { createPersistentStore, fromEventManager } from '../../src/index.js';

await Actor.init();
const stats = await createPersistentStore({
  key: 'CRAWL_STATS',
  initial: { pages: 0 },
  events: fromEventManager(Actor.config.getEventManager()),
  debounceMs: 200,
  maxWaitMs: 1000,
});
console.log(`run ${process.env.RXPS_SIMULATED_RUN ?? 1}: ${stats.getState().pages} pages counted so far`);

const requestQueue = await Actor.openRequestQueue();
const crawler = new CheerioCrawler({
  requestQueue,
  maxConcurrency: 4,
  async requestHandler({ request, $, enqueueLinks }) {
    await Actor.pushData({ url: request.url, title: $('title').text() });
    const { pages } = stats.update((state) => {
      state.pages++;
    });
    if (pages % 10 === 0) console.log(`counted ${pages} pages`);
    await enqueueLinks();
  },
});
// Crawlee locks a request for at least 60 s; CRAWL_LOCK_SECS shortens that, to see the hold-up sooner.
if (process.env.CRAWL_LOCK_SECS) requestQueue.requestLockSecs = Number(process.env.CRAWL_LOCK_SECS);
await crawler.run([process.env.CRAWL_START_URL ?? 'http://127.0.0.1:8080/']);
console.log(`done: ${stats.getState().pages} pages counted`);
await Actor.exit();
