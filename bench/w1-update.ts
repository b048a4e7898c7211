// W1: insert one key and read it back, per update.
import { produce, freeze } from 'immer';
import { EMPTY } from 'rxjs';
import { createPersistentStore, memoryAdapter } from '../src/index.js';
import { keyedState, keyOf, microsPerCall, plainState, QUICK, type Row } from './harness.js';

export async function w1Update(size: number): Promise<Row> {
  const store = await createPersistentStore({ key: 'W1', initial: keyedState(size), adapter: memoryAdapter(), events: EMPTY, debounceMs: 3_600_000, maxWaitMs: 3_600_000 });
  const ours = microsPerCall(QUICK ? 5_000 : 20_000, (i) => {
    const key = keyOf(size + 1 + i + 100);
    store.update((s) => void s.seen.set(key, true));
    if (store.getState().seen.get(key) !== true) throw new Error('lost an update');
  });
  await store.close();

  let plain = freeze(plainState(size), true);
  const immer = microsPerCall(Math.max(3, Math.min(2_000, Math.floor(2e6 / size))), (i) => {
    const key = keyOf(size + 1 + i + 100);
    plain = produce(plain, (s) => void (s.seen[key] = true));
    if (plain.seen[key] !== true) throw new Error('lost an update');
  });

  // Crawlee's useState hands out one mutable object: an update is a plain assignment; it pays at persist time.
  const crawlee = plainState(size);
  const mutable = microsPerCall(QUICK ? 5_000 : 20_000, (i) => {
    const key = keyOf(size + 1 + i + 100);
    crawlee.seen[key] = true;
    if (crawlee.seen[key] !== true) throw new Error('lost an update');
  });
  return { size, 'rx-persistent-store': ours, immer, 'Crawlee useState': mutable };
}
