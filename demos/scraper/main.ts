// `npm run demo`: serves the generated catalogue, runs the scraper job under the simulator
// (migrated in run 1, killed without warning in run 2, left to finish in run 3) and reports
// what the disruptions cost. Exit code 1 if the crawl is incomplete or wrong.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectStore } from '../../src/cli/inspect-command.js';
import { simulate } from '../../src/cli/simulate/simulate.js';
import { timeline } from '../../src/cli/simulate/timeline.js';
import type { KeyedMap } from '../../src/index.js';
import { startCatalogue } from './catalogue-site.js';
import type { Result } from './job.js';

const seconds = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const here = path.dirname(fileURLToPath(import.meta.url));
const storage = process.env.DEMO_STORAGE ?? mkdtempSync(path.join(tmpdir(), 'rxps-scraper-'));
const site = await startCatalogue({ products: 400, latencyMs: seconds('DEMO_LATENCY_MS', 60) });
const out = process.stdout;
console.log(`catalogue: ${site.pageCount} pages, ${site.products.length} products at ${site.url}; storage: ${storage}\n`);

const disruptions = [
  { kind: 'migrate', afterSecs: seconds('DEMO_MIGRATE_AFTER', 2.5) },
  { kind: 'kill', afterSecs: seconds('DEMO_KILL_AFTER', 2.5) },
] as const;
const result = await simulate({
  command: process.execPath,
  args: ['--import', 'tsx', path.join(here, 'job.ts')],
  disruptions,
  graceSecs: 2,
  storageDir: storage,
  env: { ...process.env, CATALOGUE_URL: site.url },
  log: timeline((text) => out.write(text), Date.now, out.isTTY === true),
});
await site.close();

// The ground truth: the site's own fetch counts and product list, against what the job stored.
const kvDir = path.join(storage, 'key_value_stores', 'default');
const frontier = (await inspectStore('FRONTIER', kvDir)).state as { counts: { done: number; failed: number } };
const products = (await inspectStore('RESULTS', kvDir)).state as { products: KeyedMap<Result> };
const missing = site.products.filter((p) => !products.products.has(p.id)).length;
const wrong = site.products.filter((p) => {
  const got = products.products.get(p.id);
  return got && (got.title !== p.title || got.priceCents !== p.priceCents || got.offers !== p.offers);
}).length;
const fetchedTwice = [...site.hits.values()].filter((n) => n > 1).length;
const extraFetches = [...site.hits.values()].reduce((sum, n) => sum + n - 1, 0);
const stored = products.products.size;
const distinct = new Set([...products.products.values()].map((r) => r.id)).size;

const row = (name: string, value: string) => console.log(`  ${name.padEnd(20)}${value}`);
console.log('\nreport');
row('pages crawled', `${frontier.counts.done} of ${site.pageCount} (${frontier.counts.failed} failed)`);
row('products', `${stored} of ${site.products.length}: ${missing} missing, ${wrong} wrong`);
row('duplicate results', `${stored - distinct} (results are keyed by product id: a page fetched twice rewrites its own entry)`);
row(
  'restarts',
  `${result.restarts} (${result.runs.map((r) => `run ${r.run}: ${r.disruption?.happened ? r.disruption.kind : r.exit.code === 0 ? 'finished' : `exit ${r.exit.code ?? r.exit.signal}`}`).join(', ')})`,
);
row(
  'pages fetched twice',
  `${fetchedTwice} (${extraFetches} extra fetches): finished pages not yet durable at the kill, at most maxWaitMs (500 ms) of work, plus those in flight`,
);
row('total time', `${(result.durationMs / 1000).toFixed(1)} s`);
console.log(`\nsee what the job stored: npm run cli -- inspect RESULTS --dir ${kvDir}`);

const complete = result.succeeded && frontier.counts.done === site.pageCount && missing === 0 && wrong === 0 && stored === distinct;
if (!complete) {
  console.log('\nFAILED: the crawl is incomplete or wrong');
  process.exitCode = 1;
}
