// Serves the generated catalogue (331 pages) on 127.0.0.1 and runs the Crawlee actor
// (actor.ts) under the simulator: migrated in run 1, killed without warning in run 2, left to
// finish in run 3. Then reports the dataset and the actor's own count against the site.
// Exit code 1 if a page is missing.
import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSimulatedState } from '../../src/cli/simulate/read-simulated.js';
import { simulate } from '../../src/cli/simulate/simulate.js';
import { timeline } from '../../src/cli/simulate/timeline.js';
import { startCatalogue } from '../scraper/catalogue-site.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const storage = process.env.DEMO_STORAGE ?? mkdtempSync(path.join(tmpdir(), 'rxps-crawlee-actor-'));
const site = await startCatalogue({ products: 300, latencyMs: 20 });
const out = process.stdout;
console.log(`catalogue: ${site.pageCount} pages at ${site.url}; storage: ${storage}\n`);

const result = await simulate({
  command: process.execPath,
  args: ['--import', 'tsx', path.join(here, 'actor.ts')],
  disruptions: [
    { kind: 'migrate', onText: 'counted 100 pages' },
    { kind: 'kill', onText: 'counted 220 pages' },
  ],
  storageDir: storage,
  env: { ...process.env, CRAWL_START_URL: `${site.url}/` },
  log: timeline((text) => out.write(text), Date.now, out.isTTY === true),
});
await site.close();

// What the runs left: the dataset's items (one per page done), the site's fetch counts, the count.
const folder = path.join(storage, 'datasets', 'default');
const items = await Promise.all(
  (await fs.readdir(folder)).map(async (name) => JSON.parse(await fs.readFile(path.join(folder, name), 'utf8')) as { url: string }),
);
const pages = new Set(items.map((item) => new URL(item.url).pathname + new URL(item.url).search));
const fetchedTwice = [...site.hits.values()].filter((n) => n > 1).length;
const counted = (await readSimulatedState<{ pages: number }>(storage, 'CRAWL_STATS'))?.pages ?? 0;

const row = (name: string, value: string) => console.log(`  ${name.padEnd(22)}${value}`);
console.log('\nreport');
row('pages in the dataset', `${pages.size} of ${site.pageCount}`);
row('duplicate items', `${items.length - pages.size}: pages whose item was pushed but whose request was not yet marked handled when a run died`);
row('pages fetched twice', String(fetchedTwice));
row(
  'pages counted',
  `${counted} of ${pages.size} (the actor's own count: a kill loses the pages not yet written, at most maxWaitMs (1 s) of them; a migration those done during Crawlee's pause)`,
);
row(
  'restarts',
  `${result.restarts} (${result.runs.map((r) => `run ${r.run}: ${r.disruption?.happened ? r.disruption.kind : r.exit.code === 0 ? 'finished' : `exit ${r.exit.code ?? r.exit.signal}`}`).join(', ')})`,
);
row('total time', `${(result.durationMs / 1000).toFixed(1)} s`);

if (!result.succeeded || pages.size !== site.pageCount) {
  console.log('\nFAILED: the crawl is incomplete');
  process.exitCode = 1;
}
