import type { Page } from 'playwright-core';
import { startReactDemoServer } from '../../demos/react/serve.js';
import { chromiumAvailable } from '../support/chromium.js';
import { useDemoInChromium } from '../support/demo-in-chromium.js';

const describeInChromium = chromiumAvailable() ? describe : describe.skip;

// The hooks of rx-persistent-store/react in a real browser, over a store on IndexedDB. The page
// runs React's development build, which reports misuse (an uncached getSnapshot, an update
// loop) on the console: any console error fails the test.
describeInChromium('the React demo in a real Chromium', () => {
  const demo = useDemoInChromium(startReactDemoServer);
  const open = (): Promise<Page> => demo.open();
  afterEach(() => expect(demo.errors()).toEqual([]));
  const add = async (page: Page, title: string) => {
    await page.fill('#title', title);
    await page.press('#title', 'Enter');
    await page.waitForSelector(`#items .title:has-text("${title}")`);
  };
  const plus = async (page: Page, times: number) => {
    for (let n = 0; n < times; n++) {
      const before = Number(await page.textContent('#count'));
      await page.click('[aria-label="plus one"]');
      await page.waitForSelector(`#count:has-text("${before + 1}")`);
    }
  };
  const renders = async (page: Page, of: 'counter' | 'list') => Number((await page.textContent(`#${of} .renders`))!.match(/\d+/)![0]);
  const saved = (page: Page) => page.waitForSelector('#status[data-phase=idle]:has-text("saved at")');

  test('a change survives a reload', async () => {
    const page = await open();
    await plus(page, 3);
    await add(page, 'Survives a reload');
    await saved(page);
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    expect(await page.textContent('#count')).toBe('3');
    expect(await page.locator('#items .title').allTextContents()).toEqual(['Survives a reload']);
    expect(await page.textContent('#left')).toBe('1 to do');
  });

  test('the status line says what is not saved yet, then when it was saved', async () => {
    const page = await open();
    expect(await page.textContent('#status')).toBe('nothing to save yet');
    // Every text the line shows, recorded in the page: a phase shorter than a poll is not missed.
    await page.evaluate(() => {
      const line = document.getElementById('status')!;
      const shown: string[] = ((window as unknown as { shown: string[] }).shown = []);
      new MutationObserver(() => shown.push(line.textContent!)).observe(line, { childList: true, characterData: true, subtree: true });
    });
    await page.click('[aria-label="plus one"]');
    await saved(page);
    const shown = await page.evaluate(() => (window as unknown as { shown: string[] }).shown);
    expect(shown).toEqual(['1 change to save', 'saving…', expect.stringMatching(/^saved at \d/)]);
  });

  test('a component re-renders only when what it selected changes', async () => {
    const page = await open();
    const [counter, list] = [await renders(page, 'counter'), await renders(page, 'list')];
    await plus(page, 2);
    expect(await renders(page, 'counter')).toBe(counter + 2);
    expect(await renders(page, 'list')).toBe(list);
    await add(page, 'Only the list');
    expect(await renders(page, 'counter')).toBe(counter + 2);
    expect(await renders(page, 'list')).toBeGreaterThan(list);
    await saved(page); // the status changes (dirty, saving, idle) render neither
    expect(await renders(page, 'counter')).toBe(counter + 2);
  });
});
