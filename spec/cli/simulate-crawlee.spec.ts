import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { startCatalogue } from '../../demos/scraper/catalogue-site.js';
import { runCli } from '../support/processes.js';
import { readSimulatedState } from '../support/stored-state.js';
import { useTempDir } from '../support/temp-dir.js';

// A real Crawlee actor (CheerioCrawler, the real `apify` package: request queue with locks,
// dataset and key-value store through the platform API) under the simulator, over a site of 331
// pages on 127.0.0.1: migrated in run 1, killed without warning in run 2, left to finish in run 3.
// Paced by the pages the actor counts (its printed lines), never by the clock.
const storage = useTempDir('simulate-crawlee');
let site: Awaited<ReturnType<typeof startCatalogue>>;
beforeAll(async () => {
  site = await startCatalogue({ products: 300, latencyMs: 20 });
});
afterAll(() => site.close());

/** Bounds, not pacing: three runs on a busy machine, with run 3 waiting out run 2's locks. */
const BOUND_MS = 240_000;
const MAX_CONCURRENCY = 4;
/** Crawlee locks a request for 60 s at least; shortened here so that run 3 waits 15 s, not 60. */
const LOCK_SECS = 15;

/** Every page of the site: home, the listing pages of each category, the products. */
function sitePaths(): Set<string> {
  const perPage = 12;
  const paths = new Set(['/']);
  for (const category of new Set(site.products.map((p) => p.category))) {
    const pages = Math.ceil(site.products.filter((p) => p.category === category).length / perPage);
    for (let n = 1; n <= pages; n++) paths.add(`/category/${category}?page=${n}`);
  }
  for (const product of site.products) paths.add(`/product/${product.id}`);
  return paths;
}

/** What each run of the actor printed: where its page count started, the counts, what was durable. */
function actorRuns(stdout: string): Map<number, { start: number; counted: number[]; durable: number[] }> {
  const runs = new Map<number, { start: number; counted: number[]; durable: number[] }>();
  let current: { start: number; counted: number[]; durable: number[] } | undefined;
  for (const line of stdout.split('\n')) {
    const start = /^actor run (\d+) starts: (\d+) pages counted$/.exec(line);
    if (start) runs.set(Number(start[1]), (current = { start: Number(start[2]), counted: [], durable: [] }));
    const counted = /^actor counted (\d+) pages$/.exec(line);
    if (counted) current!.counted.push(Number(counted[1]));
    const durable = /^actor stats durable: (\d+) pages$/.exec(line);
    if (durable) current!.durable.push(Number(durable[1]));
  }
  return runs;
}

describe('rx-persistent-store simulate running a real Crawlee actor with the apify package', () => {
  test(
    "migrated, then killed without warning: every page in the dataset, duplicates only for pages in flight when a run died, the lock hold-up in the timeline, the actor's own count in line",
    async () => {
      const actor = [process.execPath, '--import', 'tsx', path.join('spec', 'fixtures', 'crawlee-actor.ts')];
      const flags = ['--migrate-on', 'actor counted 100 pages', '--kill-on', 'actor counted 220 pages', '--grace', '10'];
      const env = { CRAWL_START_URL: `${site.url}/`, CRAWL_LOCK_SECS: String(LOCK_SECS), CRAWL_CONCURRENCY: String(MAX_CONCURRENCY) };
      const { code, stdout, stderr } = await runCli(['simulate', '--storage', storage(), ...flags, '--', ...actor], env, BOUND_MS);
      const output = `${stdout}\n${stderr}`;
      expect({ code, summary: /summary: .*/.exec(stdout)?.[0] }).toEqual({
        code: 0,
        summary: expect.stringMatching(/^summary: the job finished \(exit code 0\); 3 runs, 2 restarts/),
      });
      expect(output).not.toMatch(/does not emulate/); // every call the SDK and Crawlee made is emulated
      expect(stdout).toMatch(/run 1 asked for a reboot: killing it \(SIGKILL\), as the platform does/);
      expect(stdout).toMatch(/run 2: killing it without warning \(SIGKILL\), like a crashed server/);

      // Locks: whether any outlive the migration (the SDK's reboot waits for the crawler to pause and
      // release the head it had locked), and those the kill leaves, which hold run 3 up until they expire.
      expect(stdout).toMatch(/run 2 finds (no request of queue default locked by an earlier run|\d+ requests? of queue default still locked by run 1)/);
      const left = Number(/run 2 left (\d+) request locks? in queue default, the last expiring in/.exec(stdout)?.[1]);
      expect(left).toBeGreaterThan(0);
      // (Run 1's, if any are left, may outlast the short run 2 and be named too.)
      const found = `(?:${left} requests? of queue default still locked by run 2|\\d+ requests of queue default still locked by run 1 \\(\\d+\\), run 2 \\(${left}\\))`;
      expect(stdout).toMatch(
        new RegExp(`run 3 finds ${found}: out of its queue head until the locks expire, in up to \\d+\\.\\d s \\(as on the platform: crawlee#2870\\)`),
      );
      const expired = `(?:run 2 left on ${left} requests?|run 1 \\(\\d+\\), run 2 \\(${left}\\) left on \\d+ requests)`;
      expect(stdout).toMatch(new RegExp(`the locks ${expired} of queue default have expired, \\d+\\.\\d s into run 3`));

      // The dataset: every page. Duplicates only for pages whose item was pushed but whose request
      // was not yet marked handled when a run died, at most one per concurrent request each time: at
      // the kill, and at the migration too, since the SDK's reboot does not wait for the pages in
      // flight (it pauses the crawler a second time, which returns at once). Such a page stays
      // locked by the dead run, so a later run does it again once the lock has expired.
      const folder = path.join(storage(), 'datasets', 'default');
      const items = await Promise.all(
        (await fs.readdir(folder)).map(async (name) => JSON.parse(await fs.readFile(path.join(folder, name), 'utf8')) as { url: string; run: number }),
      );
      const pathOf = (url: string) => new URL(url).pathname + new URL(url).search;
      const runsByPath = new Map<string, number[]>();
      for (const item of items) runsByPath.set(pathOf(item.url), [...(runsByPath.get(pathOf(item.url)) ?? []), item.run].sort());
      expect(new Set(runsByPath.keys())).toEqual(sitePaths());
      const twice = [...runsByPath.values()].filter((runs) => runs.length > 1);
      for (const runs of twice) expect(runs).toEqual([runs[0], expect.any(Number)]); // twice at most
      for (const runs of twice) expect(runs[0]! < runs[1]! && [1, 2].includes(runs[0]!)).toBe(true); // first done by a run that died
      for (const died of [1, 2]) expect(twice.filter((runs) => runs[0] === died).length).toBeLessThanOrEqual(MAX_CONCURRENCY);
      const queue = JSON.parse(await fs.readFile(path.join(storage(), 'request_queues', 'default', '__metadata__.json'), 'utf8'));
      expect(queue).toMatchObject({ totalRequestCount: sitePaths().size, handledRequestCount: sitePaths().size, pendingRequestCount: 0 });

      // The actor's own count (this library's store, following the SDK's events). The migration
      // wrote it at once (so at least the 100 counted before it was sent); pages that finished during
      // Crawlee's pause after that were written through, but the SDK's reboot does not wait for those
      // writes: at most one per concurrent request is lost there. The kill lost what was not yet
      // durable (at most the store's maxWaitMs, 1 s, of pages). It ends within those of the dataset's unique pages.
      const runs = actorRuns(stdout);
      const [run1, run2, run3] = [runs.get(1)!, runs.get(2)!, runs.get(3)!];
      expect(run2.start).toBeGreaterThanOrEqual(100);
      const lostAtMigration = run1.counted.at(-1)! - run2.start;
      expect(lostAtMigration).toBeLessThanOrEqual(MAX_CONCURRENCY);
      expect(run3.start).toBeGreaterThanOrEqual(run2.durable.at(-1)!);
      const lostAtKill = run2.counted.at(-1)! - run3.start;
      expect(lostAtKill).toBeGreaterThanOrEqual(0);
      const final = (await readSimulatedState<{ pages: number }>(storage(), 'CRAWL_STATS'))!.pages;
      expect(final).toBe(run3.counted.at(-1)); // Actor.exit() waited for the last write
      expect(final).toBeLessThanOrEqual(items.length);
      expect(final).toBeGreaterThanOrEqual(runsByPath.size - lostAtMigration - lostAtKill);
    },
    BOUND_MS + 20_000,
  );
});
