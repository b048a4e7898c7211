import { createPacer, pacerFor } from '../../../src/adapters/remote/pacer.js';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { startFakeApify } from '../../support/fake-apify-server.js';
import { apifyDialect } from '../../../src/adapters/remote/dialects/apify.js';

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

test('two adapters on one store of the fake API stay within its 200 requests a second together', async () => {
  const api = await startFakeApify('token-p', 'paced-store');
  try {
    const adapters = [0, 1].map(() => remoteKvAdapter({ dialect: apifyDialect({ token: 'token-p', storeId: 'paced-store', baseUrl: api.url }) }));
    // 2 × 240 reads of absent keys: more than a second's worth for either alone. Paced apart, the
    // two would send 360 a second and meet a 429 on about every third request.
    await Promise.all(adapters.flatMap((adapter) => Array.from({ length: 240 }, (_, i) => adapter.read(`K${i}`))));
    // A few may still meet one where answers queue up on a loaded machine (the pacer counts starts, the server arrivals); each is retried.
    expect(api.requests.filter((r) => r.status === 429).length).toBeLessThan(24);
  } finally {
    await api.stop();
  }
}, 30_000);
