// The packed package in a page built by each common bundler at its default browser settings: a
// clean build (no warning about Node built-ins or anything else), and a page that works in Chromium.
import type { Browser, Page } from 'playwright-core';
import { addPage, buildPage, BUNDLERS, type PageBuild } from './support/bundlers.js';
import { chromiumAvailable, launchChromium } from './support/chromium.js';
import { useConsumerProject } from './support/consumer-project.js';
import { serveFolder } from './support/static-server.js';

const project = useConsumerProject();
const testInChromium = chromiumAvailable() ? test : test.skip;
let browser: Browser | undefined;

beforeAll(async () => {
  addPage(project().dir);
  if (chromiumAvailable()) browser = await launchChromium();
}, 60_000);
afterAll(() => browser?.close());

/** Rejects on the first sign that the page cannot load: an uncaught error, a failed request. */
function trouble(page: Page): Promise<never> {
  const failed = new Promise<never>((_, reject) => {
    page.on('pageerror', (error) => reject(new Error(`the page threw: ${error.message}`)));
    page.on('response', (response) => void (response.status() >= 400 && reject(new Error(`${response.url()}: HTTP ${response.status()}`))));
    page.on('requestfailed', (request) => reject(new Error(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`)));
  });
  failed.catch(() => {}); // raced below; a late one must not go unhandled
  return failed;
}

/** The store is open (or the page says why not). */
async function ready(page: Page, failed: Promise<never>): Promise<void> {
  await Promise.race([page.waitForSelector('body[data-ready=true], body[data-error]', { timeout: 10_000 }), failed]);
  expect(await page.getAttribute('body', 'data-error')).toBeNull();
}

describe.each(BUNDLERS)('%s', (bundler) => {
  let built: PageBuild;
  beforeAll(async () => {
    built = await buildPage(bundler, project().dir);
  }, 120_000);

  test('builds the page with no warning and no error', () => {
    expect(built.problems).toEqual([]);
  });

  testInChromium('the page runs in Chromium: a change is saved and survives a reload', async () => {
    const server = await serveFolder(built.outDir);
    const context = await browser!.newContext(); // a fresh profile: an empty IndexedDB
    try {
      const page = await context.newPage();
      const failed = trouble(page);
      await page.goto(server.url);
      await ready(page, failed);
      expect(await page.textContent('#count')).toBe('0');
      await page.click('#increment');
      await Promise.race([page.waitForSelector('#saved[data-count="1"]', { timeout: 10_000 }), failed]);
      await page.reload();
      await ready(page, failed);
      expect(await page.textContent('#count')).toBe('1');
    } finally {
      await context.close();
      await server.close();
    }
  });
});
