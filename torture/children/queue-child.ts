// A queue worker on the file adapter (the queue's only worker): seeds `count` items on a fresh
// start, says whether the queue it restored is whole — "ready <items> ok" or
// "ready <items> <what is wrong>" — then works through it, 4 at a time, until killed or drained.
// Every handler that finishes appends "<pid> <id>" to the log file (synchronously, so a kill
// cannot lose the line). argv: dir count log
import { appendFileSync } from 'node:fs';
import { EMPTY } from 'rxjs';
import { createWorkQueue, fileAdapter } from '../../src/index.js';

const [dir, count, log] = process.argv.slice(2) as [string, string, string];
const queue = await createWorkQueue<{ n: number }>({
  key: 'QUEUE',
  adapter: fileAdapter({ dir }),
  debounceMs: 10,
  maxWaitMs: 50,
  onlyWorker: true,
  events: EMPTY,
});
// Seeded once: a restored queue has them all (checked below), and adding 10,000 known items would only slow each start.
if (!queue.restored)
  queue.add(
    Array.from({ length: Number(count) }, (_, n) => ({ n })),
    { uniqueKey: (item) => String(item.n) },
  );

const counts = queue.getStats();
const byStatus: Record<string, number> = {};
let size = 0;
for (const item of queue.items()) {
  size++;
  byStatus[item.status] = (byStatus[item.status] ?? 0) + 1;
}
const wrong = (['pending', 'leased', 'retrying', 'done', 'failed'] as const).filter((status) => counts[status] !== (byStatus[status] ?? 0));
const problem = size !== Number(count) ? `${size} items, not ${count}` : wrong.length > 0 ? `counts disagree for ${wrong.join(', ')}` : 'ok';
console.log(`ready ${size} ${counts.done} ${problem}`);

queue
  .process(
    async (item) => {
      await new Promise((resolve) => setTimeout(resolve, 3)); // the work
      appendFileSync(log, `${process.pid} ${item.id}\n`);
    },
    { concurrency: 4, idleMs: 20 },
  )
  .subscribe({ complete: () => void queue.close().then(() => console.log('drained')) });
