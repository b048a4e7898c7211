import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { createWorkQueue } from '../../src/queue/create-work-queue.js';
import { kill, startFixture, waitForLine } from '../support/processes.js';
import { useTempDir } from '../support/temp-dir.js';

const ITEMS = 1_500;
const KILLS = 8;
const tempDir = useTempDir('queue-crash', 'all');

async function inspect() {
  const queue = await createWorkQueue<{ n: number }>({ key: 'QUEUE', adapter: fileAdapter({ dir: tempDir() }), events: EMPTY });
  const counts = queue.getStats();
  let items = 0;
  const byStatus: Record<string, number> = {};
  for (const item of queue.items()) {
    items++;
    byStatus[item.status] = (byStatus[item.status] ?? 0) + 1;
    if (item.status === 'leased') expect(item.retryAt).toEqual(expect.any(Number));
  }
  const result = { items, byStatus, counts };
  await queue.close();
  return result;
}

test(`a queue worker killed with SIGKILL ${KILLS} times: no item vanishes, none is done twice except those running at a kill`, async () => {
  const log = path.join(tempDir(), 'runs.log');
  const killedPids = new Set<string>();
  for (let i = 0; i < KILLS; i++) {
    const child = startFixture('queue-worker', [tempDir(), String(ITEMS), log]);
    await waitForLine(child, /^ready$/);
    await new Promise((resolve) => setTimeout(resolve, 100 + ((i * 37) % 200)));
    killedPids.add(String(child.pid));
    await kill(child, 'SIGKILL');
    const after = await inspect();
    if (after.items === 0) continue; // killed before its first write
    expect(after.items).toBe(ITEMS);
    const total = Object.values(after.byStatus).reduce((a, b) => a + b, 0);
    expect(total).toBe(ITEMS); // every item in exactly one state
    for (const status of ['pending', 'leased', 'retrying', 'done', 'failed'] as const) expect(after.counts[status]).toBe(after.byStatus[status] ?? 0);
  }
  const last = startFixture('queue-worker', [tempDir(), String(ITEMS), log]);
  await waitForLine(last, /^drained$/, 60_000);
  await once(last, 'exit');

  const final = await inspect();
  expect(final.byStatus).toEqual({ done: ITEMS });
  const runs = new Map<string, string[]>();
  for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
    const [pid, id] = line.split(' ') as [string, string];
    runs.set(id, [...(runs.get(id) ?? []), pid]);
  }
  expect(runs.size).toBe(ITEMS); // every handler ran
  const twice = [...runs].filter(([, pids]) => pids.length > 1);
  for (const [id, pids] of twice) {
    // a second run happens only after a run that was killed
    expect({ id, killedRunBefore: pids.slice(0, -1).every((pid) => killedPids.has(pid)) }).toEqual({ id, killedRunBefore: true });
  }
  console.log(`queue crash spec: ${KILLS} kills, ${ITEMS} items, ${twice.length} handlers ran twice (all in killed runs)`);
}, 120_000);
