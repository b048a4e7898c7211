// The ASIN counter: counts the offers scraped for each product (ASIN) of a generated feed, one
// offer at a time, and keeps the counts in a persistent store. Stopped by a migration, an abort
// or a kill, it starts again where its last saved state left it, and its final counts are exact:
// no offer lost, none counted twice.
//
//   npm run cli -- simulate --migrate-on '200 of 630 offers counted' --kill-on '400 of 630 offers counted' -- npx tsx demos/asin-counter/main.ts
//
// env: ASIN_WORK_MS         simulated work per offer (default 20: the whole feed takes ~14 s)
//      ASIN_LOG_EVERY_MS    how often the whole map is printed (default 10000)
//      ASIN_PROGRESS_EVERY  print "N of 630 offers counted" every this many offers (default 100):
//                           a point in the work the simulator can pace a disruption on
import { z } from 'zod';
import { createPersistentStore, events$, ofType, type PlatformEvent } from '../../src/index.js';
import { generateFeed } from './feed.js';

const workMs = Number(process.env.ASIN_WORK_MS ?? 20);
const logEveryMs = Number(process.env.ASIN_LOG_EVERY_MS ?? 10_000);
const progressEvery = Number(process.env.ASIN_PROGRESS_EVERY ?? 100);
const run = process.env.RXPS_SIMULATED_RUN; // set by the simulator: the run's number
const tag = run ? `[asin-counter run ${run}]` : '[asin-counter]';

const feed = generateFeed(); // 630 offers for 40 products, the same on every run

// The state is the counts AND the position in the feed. Both change in the same update() below,
// so every snapshot the store saves is consistent: the counts are exactly those of the offers
// before `next`. A restart goes on at `next`; the offers scraped after the last save are scraped
// again, but they were not counted in the saved state, so nothing is counted twice.
//
// `counts` is a plain object, not a KeyedMap: 40 products is small, immer copies a 40-key
// object in microseconds, and a plain object reads well in the stored JSON and in logs. A
// KeyedMap pays off from thousands of keys (seen URLs, a whole catalogue), where immer's copy of
// a big object on every update would cost milliseconds.
const store = await createPersistentStore({
  key: 'ASIN_COUNTS',
  initial: { next: 0, counts: {} as Record<string, number> },
  // Checked on start: a stored state of another shape is refused rather than used.
  schema: z.object({ next: z.number().int().nonnegative(), counts: z.record(z.string(), z.number().int().positive()) }),
  // The defaults, spelled out: saved 1 s after the last change, and never more than 5 s after
  // the first unsaved one. A kill without warning costs at most ~5 s of offers scraped again.
  debounceMs: 1_000,
  maxWaitMs: 5_000,
});

const products = () => Object.keys(store.getState().counts).length;
if (store.restored) console.log(`${tag} resuming at offer ${store.getState().next} of ${feed.length} (${products()} products counted so far)`);
else console.log(`${tag} fresh start: ${feed.length} offers for ${new Set(feed.map((o) => o.asin)).size} products in the feed`);

/** Prints the whole map, sorted by ASIN, four per line. */
function printCounts(title: string): void {
  const { next, counts } = store.getState();
  const cells = Object.keys(counts)
    .sort()
    .map((asin) => `${asin} ${String(counts[asin]).padStart(3)}`);
  const lines = [];
  for (let i = 0; i < cells.length; i += 4) lines.push(`  ${cells.slice(i, i + 4).join('    ')}`);
  console.log(`${tag} ${title}: ${next} of ${feed.length} offers, ${cells.length} products\n${lines.join('\n')}`);
}
const logTimer = setInterval(() => printCounts('counts so far'), logEveryMs);

// A warning from the platform (or Ctrl-C, which the library turns into `aborting`): the store
// saves at once by itself; the loop stops taking new offers.
let stoppedBy: PlatformEvent | undefined;
events$.pipe(ofType('migrating', 'aborting')).subscribe((event) => {
  if (stoppedBy) return;
  stoppedBy = event;
  const left = event.name === 'migrating' && event.data.timeRemainingSecs !== undefined ? ` (${event.data.timeRemainingSecs} s left)` : '';
  console.log(`${tag} ${event.name}${left}: taking no more offers; the store saves at once`);
});

/** The "scraping" of one offer: a few ms of pretend work. */
const scrapeOffer = () => new Promise((resolve) => setTimeout(resolve, workMs));

while (store.getState().next < feed.length && !stoppedBy) {
  const position = store.getState().next;
  const { asin } = feed[position]!;
  await scrapeOffer();
  // Stopped while scraping: leave this offer uncounted; the next run scrapes it again. (After a
  // Ctrl-C the store may already be closed, so no update here.)
  if (stoppedBy) break;
  // ONE update per offer: the count and the position move together.
  store.update((s) => {
    s.counts[asin] = (s.counts[asin] ?? 0) + 1;
    s.next = position + 1;
  });
  if ((position + 1) % progressEvery === 0) console.log(`${tag} ${position + 1} of ${feed.length} offers counted`);
}
clearInterval(logTimer);

if (stoppedBy) {
  // (After a Ctrl-C the library closes the store and ends the process by itself, maybe before this.)
  await store.flush().catch(() => undefined);
  console.log(`${tag} stopped at offer ${store.getState().next} of ${feed.length}, saved; waiting for the platform to end this run`);
  setInterval(() => undefined, 1_000); // like a real job, it stays up until the platform kills it
} else {
  printCounts('final counts');
  await store.close(); // the last write, then the store lets go of its key
  const total = Object.values(store.getState().counts).reduce((sum, n) => sum + n, 0);
  console.log(`done: ${total} offers counted for ${products()} products`);
}
