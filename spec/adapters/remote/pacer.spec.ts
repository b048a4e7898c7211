import { createPacer } from '../../../src/adapters/remote/pacer.js';

test('a pacer lets at most n requests start in any one second', async () => {
  const pace = createPacer(20);
  const starts: number[] = [];
  await Promise.all(Array.from({ length: 50 }, async () => {
    await pace();
    starts.push(Date.now());
  }));
  starts.sort((a, b) => a - b);
  for (let i = 20; i < starts.length; i++) expect(starts[i]! - starts[i - 20]!).toBeGreaterThanOrEqual(1000);
}, 10_000);
