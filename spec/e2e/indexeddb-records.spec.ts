import { build } from 'esbuild';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { IndexedDbRecords } from '../../src/adapters/log/indexeddb-records.js';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';

const describeInChromium = chromiumAvailable() ? describe : describe.skip;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Served by the context's router, never by the network: an origin of its own, so the tabs share one IndexedDB. */
const ORIGIN = 'http://records.test';

/** What the page exposes to the spec. */
interface PageGlobals {
  records: IndexedDbRecords;
  /** Resolves when another page posts on the "go" channel: the tabs start together. */
  go: Promise<unknown>;
}

/** The module under test, bundled for the page the way the browser demo is. */
async function bundle(): Promise<string> {
  const result = await build({
    stdin: {
      contents: `import { indexedDbRecords } from './src/adapters/log/indexeddb-records.js';
        const channel = new BroadcastChannel('go');
        Object.assign(globalThis, { records: indexedDbRecords({ dbName: 'e2e' }), go: new Promise((resolve) => (channel.onmessage = resolve)) });
        document.body.dataset.ready = 'true';`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

describeInChromium('indexedDbRecords in a real Chromium, two tabs of one origin', () => {
  let browser: Browser;
  let script: string;
  let context: BrowserContext;

  beforeAll(async () => {
    [script, browser] = await Promise.all([bundle(), launchChromium()]);
  }, 60_000);
  afterAll(() => browser?.close());
  beforeEach(async () => {
    context = await browser.newContext(); // a fresh profile: an empty IndexedDB
    await context.route(`${ORIGIN}/**`, (route) =>
      route.request().url().endsWith('/records.js')
        ? route.fulfill({ contentType: 'text/javascript', body: script })
        : route.fulfill({ contentType: 'text/html', body: '<!doctype html><body><script type="module" src="/records.js"></script></body>' }),
    );
  });
  afterEach(() => context.close());

  async function tab(): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
    await page.goto(`${ORIGIN}/`);
    await page.waitForSelector('body[data-ready=true]', { state: 'attached' });
    return page;
  }
  /** Starts both tabs' work at the same message; resolves with each tab's answer. */
  async function together<T>(tabs: Page[], work: (n: number) => Promise<T>, n: number): Promise<T[]> {
    const runs = tabs.map((page, i) =>
      page.evaluate(
        async ([source, count, me]) => {
          await (globalThis as unknown as PageGlobals).go;
          return (0, eval)(source)(count, me) as Promise<T>;
        },
        [work.toString(), n, i] as const,
      ),
    );
    // A third page posts: BroadcastChannel does not deliver to the object that posted.
    const starter = await tab();
    await starter.evaluate(() => new BroadcastChannel('go').postMessage('go'));
    return Promise.all(runs);
  }

  test('createThenGet racing on the same names: exactly one tab creates each, and both read the winner', async () => {
    const tabs = [await tab(), await tab()];
    const N = 300;
    // Runs in the page: one name after the other, as a writer appends segments, so the two tabs
    // go neck and neck (all names at once would let one tab's batch pass before the other's).
    const race = async (count: number, me: number) => {
      const { records } = globalThis as unknown as PageGlobals;
      const answers: { created: boolean; read?: string }[] = [];
      for (let i = 1; i <= count; i++) {
        const { created, then } = await records.createThenGet(`K(rxps)seg.${i}`, `tab${me}`, `K(rxps)seg.${i}`);
        answers.push({ created, read: then?.text });
      }
      return answers;
    };
    const [one, two] = await together(tabs, race as (n: number) => Promise<{ created: boolean; read?: string }[]>, N);
    let wonByOne = 0;
    for (let i = 0; i < N; i++) {
      const [a, b] = [one![i]!, two![i]!];
      expect(Number(a.created) + Number(b.created)).toBe(1);
      const winner = a.created ? 'tab0' : 'tab1';
      expect([a.read, b.read]).toEqual([winner, winner]);
      wonByOne += Number(a.created);
    }
    console.log(`createThenGet race over ${N} names in Chromium: tab one created ${wonByOne}, tab two ${N - wonByOne}`);
  });

  test('conditional puts racing on one record: no increment is lost', async () => {
    const tabs = [await tab(), await tab()];
    await tabs[0]!.evaluate(() => (globalThis as unknown as PageGlobals).records.put('COUNTER', '0', null));
    const ROUNDS = 100;
    // Runs in the page: read, add one, put conditionally; a lost race reads again.
    const increment = async (count: number) => {
      const { records } = globalThis as unknown as PageGlobals;
      let conflicts = 0;
      for (let done = 0; done < count;) {
        const current = (await records.get('COUNTER'))!;
        try {
          await records.put('COUNTER', String(Number(current.text) + 1), current.version);
          done++;
        } catch (error) {
          if ((error as Error).name !== 'ConflictError') throw error;
          conflicts++;
        }
      }
      return conflicts;
    };
    const conflicts = await together(tabs, increment, ROUNDS);
    const final = await tabs[1]!.evaluate(() => (globalThis as unknown as PageGlobals).records.get('COUNTER'));
    expect(final).toEqual({ text: String(2 * ROUNDS), version: String(2 * ROUNDS + 1) });
    console.log(`conditional-put race in Chromium: ${2 * ROUNDS} increments, ${conflicts[0]! + conflicts[1]!} conflicts retried`);
  });
});
