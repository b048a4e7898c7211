import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { startDemoServer } from '../../demos/browser/serve.js';
import { chromiumAvailable } from '../support/chromium.js';
import { useDemoInChromium } from '../support/demo-in-chromium.js';
import { useTempDir } from '../support/temp-dir.js';

const describeInChromium = chromiumAvailable() ? describe : describe.skip;

describeInChromium('the reading list demo in a real Chromium', () => {
  const tempDir = useTempDir('chromium', 'all');
  const demo = useDemoInChromium(startDemoServer);
  const open = (): Promise<Page> => demo.open();
  const add = async (page: Page, title: string) => {
    await page.fill('#title', title);
    await page.press('#title', 'Enter');
  };
  const titles = (page: Page) => page.locator('#items .title').allTextContents();

  test('a change survives a reload', async () => {
    const page = await open();
    await add(page, 'Survives a reload');
    await page.waitForSelector('#status[data-phase=idle]:has-text("saved at")');
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    expect(await titles(page)).toEqual(['Survives a reload']);
  });

  test('a change made less than the debounce before the tab closes is there in a new tab', async () => {
    const page = await open();
    await add(page, 'Closed at once');
    expect(await page.getAttribute('#status', 'data-phase')).toBe('dirty'); // still inside the 400 ms debounce
    await page.close({ runBeforeUnload: true }); // pagehide: the synchronous copy is taken
    const next = await open();
    expect(await titles(next)).toEqual(['Closed at once']);
  });

  test('two tabs see each other’s changes, and neither loses its own', async () => {
    const one = await open();
    const two = await open();
    await add(one, 'From tab one');
    await two.waitForSelector('#items .title:has-text("From tab one")');
    await add(two, 'From tab two');
    await one.waitForSelector('#items .title:has-text("From tab two")');
    expect(await titles(one)).toEqual(['From tab one', 'From tab two']);
    expect(await titles(two)).toEqual(['From tab one', 'From tab two']);
  });

  test('a screenshot of the demo is written and is not blank', async () => {
    const page = await open();
    for (const title of ['The Rust Programming Language', 'Designing Data-Intensive Applications', 'Crafting Interpreters']) await add(page, title);
    await page.locator('#items li input[type=checkbox]').first().check();
    await page.waitForSelector('#status[data-phase=idle]:has-text("saved at")');
    const file = path.join(tempDir(), 'reading-list.png');
    await page.screenshot({ path: file });
    const png = await fs.readFile(file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(15_000); // a blank page of this size compresses to a few KB
    const blank = await (await open()).evaluate(() => document.body.innerText.trim().length);
    expect(blank).toBeGreaterThan(50);
  });
});
