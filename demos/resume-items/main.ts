// Resume after a crash: works through items 0…999, one at a time, and keeps only the index of the
// next item in a persistent store. Killed without warning (SIGKILL: no handler runs, nothing is
// flushed), the next run starts from the last index the store saved. The items done after that
// save are done again: at most `maxWaitMs` of work, since the store never leaves a change unsaved
// for longer (plus the time of the write itself).
//
//   npm run cli -- simulate --kill-after 5 -- npx tsx demos/resume-items/main.ts
//
// env: RESUME_ITEM_MS      work per item (default 20: ~21 s for the 1000 items)
//      RESUME_DEBOUNCE_MS  save this long after the last change (default 200) …
//      RESUME_MAX_WAIT_MS  … but never later than this after the first unsaved one (default 1000)
//      RESUME_WORK_LOG     a file to append "<item> <time in ms>" to for every item worked on:
//                          the ground truth of the work done, and done again, across runs
import { appendFileSync } from 'node:fs';
import { createPersistentStore } from '../../src/index.js';

const TOTAL = 1_000;
const itemMs = Number(process.env.RESUME_ITEM_MS ?? 20);
const debounceMs = Number(process.env.RESUME_DEBOUNCE_MS ?? 200);
const maxWaitMs = Number(process.env.RESUME_MAX_WAIT_MS ?? 1_000);
const workLog = process.env.RESUME_WORK_LOG;
const run = process.env.RXPS_SIMULATED_RUN; // set by the simulator: the run's number
const tag = run ? `[resume-items run ${run}]` : '[resume-items]';

// The whole state is one number. Items are worked in order, so "every item below `next` is done"
// says everything; and a state this small costs next to nothing to save, so it can be saved often.
// While items keep coming faster than debounceMs, the store saves every maxWaitMs.
const store = await createPersistentStore({ key: 'RESUME_ITEMS', initial: { next: 0 }, debounceMs, maxWaitMs });

const first = store.getState().next;
console.log(store.restored ? `${tag} Resuming from item ${first}` : `${tag} Starting at item ${first}`);
console.log(`${tag} saving ${debounceMs} ms after the last change, at most ${maxWaitMs} ms after the first unsaved one`);

/** The "work" on one item: a few ms of waiting, standing in for a request or a computation. */
const work = () => new Promise((resolve) => setTimeout(resolve, itemMs));

for (let item = first; item < TOTAL; item++) {
  await work();
  if (workLog) appendFileSync(workLog, `${item} ${Date.now()}\n`); // synchronous: on disk before the next step
  store.update((s) => void (s.next = item + 1)); // saved later, debounced
  if ((item + 1) % 100 === 0) console.log(`${tag} ${item + 1} of ${TOTAL} items done`);
}

await store.close(); // the last write: a restart now would find nothing left to do
console.log(`${tag} Finished: all ${TOTAL} items processed (${TOTAL - first} in this run)`);
