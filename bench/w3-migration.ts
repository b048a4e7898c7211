// W3: from a `migrating` event to durable, with a change waiting for its debounce.
import { firstValueFrom, filter, Subject } from 'rxjs';
import { createPersistentStore, fileAdapter, type PlatformEvent } from '../src/index.js';
import { keyedState, keyOf, medianMs, plainState, QUICK, tempDir, type Row } from './harness.js';
import { crawleeStore } from './peers.js';

export async function w3Migration(size: number): Promise<Row> {
  const { dir, remove } = tempDir('w3');
  try {
    const events = new Subject<PlatformEvent>();
    const store = await createPersistentStore({ key: 'W3', initial: keyedState(size), adapter: fileAdapter({ dir }), events, debounceMs: 1_000, maxWaitMs: 5_000 });
    store.update((s) => void s.done++);
    await store.flush();
    let ours = 0;
    const times: number[] = [];
    for (let run = 0; run < (QUICK ? 5 : 20); run++) {
      store.update((s) => void s.seen.set(keyOf(size + run + 1), true)); // pending, debounced
      const start = process.hrtime.bigint();
      events.next({ name: 'migrating', data: { timeRemainingSecs: 30 } });
      await store.flush();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      // the compaction that follows a migration runs before the next round
      await firstValueFrom(store.status$.pipe(filter((s) => s.phase === 'idle')));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    times.sort((a, b) => a - b);
    ours = times[times.length >> 1]!;
    await store.close();

    const kv = await crawleeStore(`${dir}/crawlee`);
    const state = plainState(size);
    const crawlee = await medianMs(QUICK ? 3 : 5, () => kv.setValue('STATE', state));
    return { size, 'rx-persistent-store': ours, 'Crawlee useState': crawlee };
  } finally {
    remove();
  }
}
