import type { Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';

export interface DemoInChromium {
  /** A new tab on the demo, once its page says `body[data-ready=true]`. */
  open(): Promise<Page>;
  /** Console errors and uncaught exceptions of this test's tabs. */
  errors(): readonly string[];
}

/**
 * A demo's server and one Chromium for the spec file, and a fresh profile per test (empty
 * IndexedDB and localStorage), closed after it.
 */
export function useDemoInChromium(start: () => Promise<{ url: string; server: Server }>): DemoInChromium {
  let browser: Browser | undefined;
  let server: Server | undefined;
  let url: string;
  let context: BrowserContext;
  let errors: string[] = [];
  beforeAll(async () => {
    ({ url, server } = await start());
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });
  beforeEach(async () => {
    context = await browser!.newContext();
    errors = [];
  });
  afterEach(() => context.close());
  return {
    async open() {
      const page = await context.newPage();
      page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
      page.on('pageerror', (error) => void errors.push(error.message));
      await page.goto(url);
      await page.waitForSelector('body[data-ready=true]');
      return page;
    },
    errors: () => errors,
  };
}
