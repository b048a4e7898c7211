import { createPacer, pacerFor } from '../../../src/adapters/remote/pacer.js';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { startFakeApify } from '../../support/fake-apify-server.js';
import { APIFY_MAX_REQUESTS_PER_SECOND, apifyDialect } from '../../../src/adapters/remote/dialects/apify.js';
import type { FetchLike } from '../../../src/adapters/remote/http.js';

test('a pacer lets at most n requests start in any one second', async () => {
  const pace = createPacer(20);
  const starts: number[] = [];
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      await pace();
      starts.push(Date.now());
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
    const fetch: FetchLike = (url, init) => (starts.push(Date.now()), globalThis.fetch(url, init));
    const adapters = [0, 1].map(() => remoteKvAdapter({ dialect: apifyDialect({ token: 'token-p', storeId: 'paced-store', baseUrl: api.url }), fetch }));
    // 2 × 240 reads of absent keys: more than a second's worth for either alone. Paced apart, the
    // two would start 2 × APIFY_MAX_REQUESTS_PER_SECOND a second.
    await Promise.all(adapters.flatMap((adapter) => Array.from({ length: 240 }, (_, i) => adapter.read(`K${i}`))));
    starts.sort((a, b) => a - b);
    expect(starts.length).toBeGreaterThanOrEqual(480);
    const n = APIFY_MAX_REQUESTS_PER_SECOND;
    for (let i = n; i < starts.length; i++) expect(starts[i]! - starts[i - n]!).toBeGreaterThanOrEqual(1000);
  } finally {
    await api.stop();
  }
}, 30_000);
