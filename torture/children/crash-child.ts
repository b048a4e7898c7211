// Opens a store on the file adapter, says what it restored — "ready <n> <t> <ok | why the state
// is not one the sequence has>", "corrupt <why>" when storage does not load, or "open-failed
// <code> <why>" when the store did not open for another reason (its lock refused, an I/O error) —
// then updates it at full speed until killed (see counter-model.ts for the states it passes through). TORTURE_CHECK_ONLY=1: exit after the
// report. TORTURE_ACK_EVERY=k: await flush() every k updates and print "durable <n>" when done.
// argv: dir debounceMs maxWaitMs
import './fault-points.js';
import { CorruptStateError, createPersistentStore, fileAdapter, KeyedMap } from '../../src/index.js';
import { EMPTY } from 'rxjs';
import { keysOfUpdate, whyNotReal, type CounterState } from './counter-model.js';

const [dir, debounceMs, maxWaitMs] = process.argv.slice(2) as [string, string, string];
const ackEvery = Number(process.env.TORTURE_ACK_EVERY ?? 0);
const store = await createPersistentStore<CounterState>({
  key: 'COUNTER',
  initial: { n: 0, sum: 0, t: 0, items: new KeyedMap<number>() },
  adapter: fileAdapter({ dir }),
  debounceMs: Number(debounceMs),
  maxWaitMs: Number(maxWaitMs),
  events: EMPTY,
}).catch((error: Error & { code?: string }) => {
  const why = error.message.replace(/\n/g, ' ');
  console.log(error instanceof CorruptStateError ? `corrupt ${why}` : `open-failed ${error.code ?? error.name} ${why}`);
  process.exit(3);
});
const restored = store.getState();
console.log(`ready ${restored.n} ${restored.t} ${whyNotReal(restored) ?? 'ok'}`);
if (process.env.TORTURE_CHECK_ONLY) process.exit(0);
// Writes (and compactions) that took long, so that the lost window can be told apart from the disk's fsync stalls.
let savingSince: number | undefined;
let savingSaid = false;
store.status$.subscribe(({ phase, lastError }) => {
  if (lastError) console.log(`write-error ${lastError.message.replace(/\n/g, ' ')}`);
  if (phase === 'saving') savingSince ??= Date.now();
  else if (savingSince !== undefined) {
    const took = Date.now() - savingSince;
    savingSince = undefined;
    savingSaid = false;
    if (took >= 50) console.log(`slow-write ${took}`);
  }
});
// Moments the process was not run at all (a loaded machine): they stretch every window alike.
let tick = Date.now();
setInterval(() => {
  const late = Date.now() - tick - 10;
  tick = Date.now();
  if (late >= 50) console.log(`stall ${late}`);
  // A long write is said while under way: one the kill cuts off never reports its length.
  if (savingSince !== undefined && !savingSaid && tick - savingSince >= 50) {
    savingSaid = true;
    console.log(`saving-since ${savingSince}`);
  }
}, 10);
for (;;) {
  store.update((s) => {
    s.n += 1;
    s.sum += s.n;
    s.t = Date.now();
    for (const key of keysOfUpdate(s.n)) s.items.set(key, s.n);
  });
  if (ackEvery > 0 && store.getState().n % ackEvery === 0) {
    const n = store.getState().n;
    await store.flush();
    console.log(`durable ${n}`);
  } else {
    await new Promise((resolve) => setImmediate(resolve)); // let the pipeline's timers and writes run
  }
}
