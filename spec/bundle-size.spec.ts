// The size budget of the browser entry, measured on the packed package (bench/bundle-size.ts
// prints the same table).
import { BUDGET_BYTES, costTable, measureBundle, packageOf, type BundleCost } from '../bench/bundle-size.js';
import { useConsumerProject } from './support/consumer-project.js';

const project = useConsumerProject();
let cost: BundleCost;
beforeAll(async () => {
  cost = await measureBundle(project().dir);
}, 60_000);

test('the store, the IndexedDB adapter and the browser event source: within the budget (35 kB min+gzip) with esbuild', () => {
  // Over budget, the message is the cost of each package.
  expect(cost.gzipped <= BUDGET_BYTES ? 'within budget' : `over budget\n${costTable(cost)}`).toBe('within budget');
});

test('none of zod, ws, node-fetch or a Node built-in is in the bundle', () => {
  const packages = new Set(cost.inputs.map(packageOf));
  expect(['zod', 'ws', 'node-fetch'].filter((name) => packages.has(name))).toEqual([]);
  expect(cost.inputs.filter((input) => input.startsWith('node:'))).toEqual([]);
  expect(cost.nodeImports).toEqual([]);
});

test('packageOf: the package after the last node_modules/, scoped names whole', () => {
  expect(packageOf('node_modules/rx-persistent-store/dist/browser.js')).toBe('rx-persistent-store');
  expect(packageOf('../../work/main/node_modules/@scope/name/index.js')).toBe('@scope/name');
  expect(packageOf('node_modules/a/node_modules/b/x.js')).toBe('b');
  expect(packageOf('entry.js')).toBe('(entry)');
});
