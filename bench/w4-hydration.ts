// W4: start-up from a snapshot plus a journal of 10,000 changes, against JSON.parse of the final state.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { createPersistentStore, fileAdapter, KeyedMap } from '../src/index.js';
import { keyedState, keyOf, medianMs, QUICK, tempDir, type Row } from './harness.js';
import { crawleeStore } from './peers.js';

export async function w4Hydration(size: number): Promise<Row & { journalLines: number }> {
  const { dir, remove } = tempDir('w4');
  try {
    const open = () => createPersistentStore({ key: 'W4', initial: { done: 0, seen: new KeyedMap<true>() }, adapter: fileAdapter({ dir }), events: EMPTY });
    const first = await createPersistentStore({ key: 'W4', initial: keyedState(size), adapter: fileAdapter({ dir }), events: EMPTY });
    first.update((s) => void s.done++);
    await first.flush();
    for (let batch = 0; batch < 1_000; batch++) {
      first.update((s) => {
        for (let i = 0; i < 10; i++) s.seen.set(keyOf(size + batch * 10 + i), true);
      });
      await first.flush();
    }
    const final = { done: first.getState().done, seen: first.getState().seen.toObject() };
    await first.close(); // closing does not compact
    let journalLines = 0;
    try {
      journalLines = readFileSync(path.join(dir, 'W4.json.journal'), 'utf8').split('\n').filter(Boolean).length;
    } catch {
      // compacted away at small sizes
    }
    const reps = QUICK ? 3 : 7;
    const ours = await medianMs(reps, async () => {
      const store = await open();
      if (store.getState().seen.size !== size + 10_000) throw new Error('hydration lost entries');
      await store.close();
    });
    const text = JSON.stringify(final);
    const parse = await medianMs(reps, async () => void JSON.parse(text));

    const kv = await crawleeStore(path.join(dir, 'crawlee'));
    await kv.setValue('STATE', final);
    const crawlee = await medianMs(reps, async () => {
      const fresh = await crawleeStore(path.join(dir, 'crawlee'));
      await fresh.getValue('STATE');
    });
    return { size, 'rx-persistent-store': ours, 'JSON.parse': parse, 'Crawlee useState': crawlee, journalLines };
  } finally {
    remove();
  }
}
