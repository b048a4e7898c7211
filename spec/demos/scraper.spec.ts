import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { generateProducts } from '../../demos/scraper/catalogue-site.js';
import { parsePage } from '../../demos/scraper/parse-page.js';
import { outputOf } from '../support/processes.js';
import { useTempDir } from '../support/temp-dir.js';

const storage = useTempDir('scraper-demo');

describe('the scraper demo (npm run demo)', () => {
  test('migrated, then killed without warning, it crawls every page once more at most for the kill, and no result is missing, wrong or doubled', async () => {
    // No pacing by the clock that speed could defeat: migrating counts from run 1's connection to
    // the events socket (so it is never lost to a slow start), the kill from run 2's start; and
    // at 100 ms a page, 4 at a time, a run crawls at most 40 pages a second, so neither run can
    // finish its 437 pages before its disruption, however fast the machine.
    const env = { ...process.env, DEMO_STORAGE: storage(), DEMO_LATENCY_MS: '100' };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('demos', 'scraper', 'main.ts')], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const { code, stdout, stderr } = await outputOf(child, 120_000);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^run 1: fresh start/m);
    expect(stdout).toMatch(/sending migrating \(timeRemainingSecs: 2\) to 1 connection/);
    expect(stdout).toMatch(/^run 1: stopped for the platform with \d+ pages to go; all saved/m);
    expect(stdout).toMatch(/run 2: killing it without warning \(SIGKILL\)/);
    expect(stdout).toMatch(/^run 3: resuming: \d+ pages done/m);
    expect(stdout).toMatch(/^ {2}pages crawled {7}437 of 437 \(0 failed\)$/m);
    expect(stdout).toMatch(/^ {2}products {12}400 of 400: 0 missing, 0 wrong$/m);
    expect(stdout).toMatch(/^ {2}duplicate results {3}0 /m);
    expect(stdout).toMatch(/^ {2}restarts {12}2 \(run 1: migrate, run 2: kill, run 3: finished\)$/m);
    // The kill loses finished pages not yet durable (≤ maxWaitMs of work) and those in flight.
    const twice = Number(/^ {2}pages fetched twice (\d+)/m.exec(stdout)![1]);
    expect(twice).toBeLessThanOrEqual(50);
    expect(stdout).toMatch(/^progress: \d+\/\d+ pages, \d+ products$/m); // not a terminal: plain progress lines
  }, 130_000);

  test('the page reader finds same-site links (once each) and the product of a product page', () => {
    const [product] = generateProducts({ products: 1 });
    const html =
      `<article data-product-id="${product!.id}"><h1 class="title">Kettle &amp; cup</h1><span class="price" data-cents="1299">€12.99</span>` +
      '<ul class="offers"><li class="offer">a</li><li class="offer">b</li></ul></article>' +
      '<a href="/product/B01">x</a><a class="next" href="/category/kettles?page=2">n</a><a href="/product/B01">again</a><a href="https://elsewhere.example/">off-site</a>';
    const page = parsePage(html, new URL('http://127.0.0.1:1/product/X'));
    expect(page.links).toEqual(['/product/B01', '/category/kettles?page=2']);
    expect(page.product).toEqual({ id: product!.id, title: 'Kettle & cup', priceCents: 1299, offers: 2 });
    expect(parsePage('<a href="/">home</a>', new URL('http://127.0.0.1:1/')).product).toBeUndefined();
  });
});
