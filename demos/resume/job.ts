// A tiny job: works through 1,500 items, ~2 ms each, keeping its progress in a persistent store.
// Started again after a crash, it skips what the store says is done.
import { appendFileSync } from 'node:fs';
import { createPersistentStore } from '../../src/index.js';

const TOTAL = 1_500;
const [workLog] = process.argv.slice(2) as [string];

const store = await createPersistentStore({
  key: 'RESUME_DEMO',
  initial: { done: {} as Record<string, true>, count: 0 },
  debounceMs: 100,
  maxWaitMs: 500,
});
console.log(store.restored ? `resumed: ${store.getState().count} items already done` : 'fresh start');

for (let id = 1; id <= TOTAL; id++) {
  if (store.getState().done[id]) continue;
  await new Promise((resolve) => setTimeout(resolve, 2)); // the "work"
  appendFileSync(workLog, `${id}\n`); // ground truth for the report: every time an item was worked on
  store.update((s) => {
    s.done[id] = true;
    s.count++;
  });
}
await store.close();
console.log(`finished: ${store.getState().count} items`);
