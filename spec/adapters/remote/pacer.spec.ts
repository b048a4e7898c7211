import { createPacer, pacerFor } from '../../../src/adapters/remote/pacer.js';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { startFakeApify } from '../../support/fake-apify-server.js';
import { APIFY_MAX_REQUESTS_PER_SECOND, apifyDialect } from '../../../src/adapters/remote/dialects/apify.js';
import type { FetchLike } from '../../../src/adapters/remote/http.js';

/** The Apify API's documented rate: about 200 record requests a second per store, 429 beyond. */
const API_LIMIT = 200;

test('a pacer lets at most n requests start in any one second', async () => {
  const pace = createPacer(20);
  const starts: number[] = [];
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      await pace();
      starts.push(performance.now()); // the pacer's clock: the wall clock may be stepped meanwhile
    }),
  );
  starts.sort((a, b) => a - b);
  for (let i = 20; i < starts.length; i++) expect(starts[i]! - starts[i - 20]!).toBeGreaterThanOrEqual(1000);
}, 10_000);

test('pacerFor: one pacer per store in the process, whatever the number of adapters on it', async () => {
  expect(pacerFor('https://api.apify.com/v2/key-value-stores/a/records/', 180)).toBe(pacerFor('https://api.apify.com/v2/key-value-stores/a/records/', 180));
  expect(pacerFor('https://api.apify.com/v2/key-value-stores/a/records/', 180)).not.toBe(pacerFor('https://api.apify.com/v2/key-value-stores/b/records/', 180));
});

test("two adapters on one store of the fake API start at most its request rate together, whatever the machine's load", async () => {
  const api = await startFakeApify('token-p', 'paced-store');
  try {
    // Called once the adapter's pacer lets a request go: its start, as the pacer sees it. The
    // server's own count is not asserted: on a loaded machine answers queue and arrive bunched.
    const starts: number[] = [];
    const fetch: FetchLike = (url, init) => (starts.push(performance.now()), globalThis.fetch(url, init));
    const adapters = [0, 1].map(() => remoteKvAdapter({ dialect: apifyDialect({ token: 'token-p', storeId: 'paced-store', baseUrl: api.url }), fetch }));
    // 2 × 240 reads of absent keys: more than a second's worth for either alone. Paced apart, the
    // two would start 2 × APIFY_MAX_REQUESTS_PER_SECOND a second.
    await Promise.all(adapters.flatMap((adapter) => Array.from({ length: 240 }, (_, i) => adapter.read(`K${i}`))));
    starts.sort((a, b) => a - b);
    expect(starts.length).toBeGreaterThanOrEqual(480);
    // Within the API's limit (~200 a second) in any second: the pacer's own 180 leaves room for
    // what comes between its letting a request go and the request's start, which the pacer's
    // bound does not cover (once, by Date.now(), two starts 180 apart were 996 ms apart).
    // Unpaced, or paced by one pacer per adapter, they start 360 a second or more.
    expect(APIFY_MAX_REQUESTS_PER_SECOND).toBeLessThan(API_LIMIT);
    for (let i = API_LIMIT; i < starts.length; i++) expect(starts[i]! - starts[i - API_LIMIT]!).toBeGreaterThanOrEqual(1000);
  } finally {
    await api.stop();
  }
}, 30_000);
