import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { createPersistentStore, KeyedMap } from '../src/index.js';

// The README's quick start, as written there, run twice on the default file adapter.
async function crawl(urls: string[], scrape: (url: string) => Promise<void>) {
  const store = await createPersistentStore({
    key: 'CRAWL_STATE',
    initial: { done: 0, seen: new KeyedMap<true>() },
    schema: z.object({ done: z.number(), seen: z.instanceof(KeyedMap) }),
  });

  for (const url of urls) {
    if (store.getState().seen.has(url)) continue; // done in an earlier run
    await scrape(url);
    store.update((s) => {
      s.seen.set(url, true);
      s.done++;
    });
  }
  await store.close(); // final flush, the journal folded into the snapshot, the lock released
}

test('the quick start resumes where it stopped, in the Crawlee storage layout', async () => {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'rxps-readme-'));
  process.env.CRAWLEE_STORAGE_DIR = dir;
  try {
    const scraped: string[] = [];
    const urls = ['https://a.example/', 'https://b.example/', 'https://c.example/'];
    await crawl(urls.slice(0, 2), async (url) => void scraped.push(url));
    await crawl(urls, async (url) => void scraped.push(url));
    expect(scraped).toEqual(urls);
    const files = await fs.readdir(path.join(dir, 'key_value_stores', 'default'));
    expect(files).toContain('CRAWL_STATE.json');
  } finally {
    delete process.env.CRAWLEE_STORAGE_DIR;
    await fs.rm(dir, { recursive: true, force: true });
  }
});
