// W6: work queue operations at N items (CPU cost on the memory adapter; medians).
import { EMPTY } from 'rxjs';
import { createWorkQueue, memoryAdapter } from '../src/index.js';
import { medianMs, QUICK, type Row } from './harness.js';

export async function w6Queue(size: number): Promise<Row> {
  const queue = await createWorkQueue<{ n: number }>({ key: 'W6', adapter: memoryAdapter(), events: EMPTY, debounceMs: 3_600_000, maxWaitMs: 3_600_000 });
  const uniqueKey = (item: { n: number }) => String(item.n);
  const started = process.hrtime.bigint();
  queue.add(
    Array.from({ length: size }, (_, n) => ({ n })),
    { uniqueKey },
  );
  const addPerItem = Number(process.hrtime.bigint() - started) / 1e3 / size;
  await queue.claim(1); // the first write is the snapshot of the whole queue
  const reps = Math.min(size - 1, QUICK ? 1_000 : 5_000);
  const claimComplete = await medianMs(reps, async () => {
    const [item] = await queue.claim(1);
    queue.complete(item!.id);
  });
  const addOne = await medianMs(1_000, async (i) => void queue.add([{ n: -1 - i }], { uniqueKey }));
  await queue.close();
  return { size, 'rx-persistent-store': claimComplete * 1_000, 'add one item': addOne * 1_000, 'add (per item, in one batch)': addPerItem };
}
