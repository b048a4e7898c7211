// W2: from the update of one key to durable.
import { open, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { createPersistentStore, fileAdapter } from '../src/index.js';
import { keyedState, keyOf, medianMs, plainState, QUICK, tempDir, type Row } from './harness.js';
import { crawleeStore } from './peers.js';

const fewer = (size: number) => Math.max(3, Math.min(QUICK ? 10 : 30, Math.floor(3e6 / size)));

export async function w2Persist(size: number): Promise<Row> {
  const { dir, remove } = tempDir('w2');
  try {
    const store = await createPersistentStore({ key: 'W2', initial: keyedState(size), adapter: fileAdapter({ dir }), events: EMPTY });
    store.update((s) => void s.done++);
    await store.flush(); // the first write is a snapshot
    const ours = await medianMs(QUICK ? 50 : 200, async (i) => {
      store.update((s) => void s.seen.set(keyOf(size + i + 1), true));
      await store.flush();
    });
    await store.close();

    // What a store without a journal does: immer's new state, stringify, write, fsync, rename.
    const state = plainState(size);
    const file = path.join(dir, 'naive.json');
    const naive = await medianMs(fewer(size), async (i) => {
      state.seen[keyOf(size + i + 1)] = true;
      const handle = await open(`${file}.tmp`, 'w');
      await handle.writeFile(JSON.stringify(state));
      await handle.sync();
      await handle.close();
      await rename(`${file}.tmp`, file);
    });

    const kv = await crawleeStore(path.join(dir, 'crawlee'));
    const crawlee = await medianMs(fewer(size), async (i) => {
      state.seen[keyOf(size + 10_000 + i)] = true;
      await kv.setValue('STATE', state);
    });
    await writeFile(path.join(dir, 'done'), '');
    return { size, 'rx-persistent-store': ours, 'whole snapshot + fsync': naive, 'Crawlee useState': crawlee };
  } finally {
    remove();
  }
}
