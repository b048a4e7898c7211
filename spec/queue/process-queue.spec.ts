import { lastValueFrom, Subject, toArray } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { createWorkQueue } from '../../src/queue/create-work-queue.js';

type Job = { n: number };
const uniqueKey = (j: Job) => String(j.n);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function open(records = new Map<string, string>(), events = new Subject<PlatformEvent>()) {
  const queue = await createWorkQueue<Job>({ key: 'P', adapter: memoryAdapter({ records }), events, maxAttempts: 2, backoff: () => 20, leaseMs: 60_000 });
  return { queue, events, records };
}

describe('process()', () => {
  test('runs every item, never more than `concurrency` at once, and completes when drained', async () => {
    const { queue } = await open();
    queue.add(
      Array.from({ length: 12 }, (_, n) => ({ n })),
      { uniqueKey },
    );
    let running = 0;
    let most = 0;
    const results = await lastValueFrom(
      queue
        .process(
          async (item) => {
            most = Math.max(most, ++running);
            await sleep(5);
            running--;
            return item.data.n * 10;
          },
          { concurrency: 3, idleMs: 10 },
        )
        .pipe(toArray()),
    );
    expect(results.map((r) => r.outcome)).toEqual(Array(12).fill('done'));
    expect(most).toBe(3);
    expect(queue.get('7')).toMatchObject({ status: 'done', result: 70 });
    await queue.close();
  });

  test('a failing handler is retried after the backoff, then the item fails for good', async () => {
    const { queue } = await open();
    queue.add([{ n: 1 }, { n: 2 }], { uniqueKey });
    let tries = 0;
    const results = await lastValueFrom(
      queue
        .process(
          async (item) => {
            if (item.data.n === 1 && ++tries === 1) throw new Error('flaky');
            if (item.data.n === 2) throw new Error('always');
          },
          { idleMs: 5 },
        )
        .pipe(toArray()),
    );
    expect(
      results
        .filter((r) => r.outcome === 'failed')
        .map((r) => `${r.id}: ${r.error}`)
        .sort(),
    ).toEqual(['1: flaky', '2: always', '2: always']);
    expect(queue.get('1')?.status).toBe('done');
    expect(queue.get('2')).toMatchObject({ status: 'failed', failures: 2, lastError: 'always' });
    await queue.close();
  });

  test('on migrating: no more claims, quick handlers finish, slow ones are released for the next run at once', async () => {
    const records = new Map<string, string>();
    const { queue, events } = await open(records);
    queue.add(
      Array.from({ length: 10 }, (_, n) => ({ n })),
      { uniqueKey },
    );
    const started: number[] = [];
    let unblock = () => undefined as void;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    const results = lastValueFrom(
      queue
        .process(
          async (item) => {
            started.push(item.data.n);
            await (item.data.n === 0 ? sleep(10) : blocked); // item 0 is quick, item 1 hangs
          },
          { concurrency: 2, idleMs: 5 },
        )
        .pipe(toArray()),
    );
    await sleep(30);
    const work: Promise<unknown>[] = [];
    events.next({ name: 'migrating', data: { timeRemainingSecs: 1.2 }, waitUntil: (p) => void work.push(p) });
    await Promise.all(work); // the shutdown waits for the release and the flush
    const outcome = await results;
    expect(started.slice(0, 2)).toEqual([0, 1]);
    expect(outcome).toEqual(
      expect.arrayContaining([
        { id: '0', outcome: 'done' },
        { id: '1', outcome: 'released' },
      ]),
    );
    expect(started.length).toBeLessThanOrEqual(3); // claims stopped
    await queue.close();
    const released = outcome
      .filter((r) => r.outcome === 'released')
      .map((r) => r.id)
      .sort();
    const next = await open(records);
    const claimed = await next.queue.claim(released.length);
    expect(claimed.map((i) => i.id).sort()).toEqual(released); // first in line, no lease to wait for
    await next.queue.close();
    unblock();
  }, 10_000);

  test('idleMs must be a duration above 0 (0 would ask the queue again and again); stopGraceMs may be 0', async () => {
    const { queue } = await open();
    const handler = async () => undefined;
    for (const idleMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => queue.process(handler, { idleMs })).toThrow(new RegExp(`"idleMs": expected a duration in ms .*, got ${idleMs}$`));
    }
    expect(() => queue.process(handler, { stopGraceMs: -1 })).toThrow(/"stopGraceMs": expected a duration in ms \(a finite number ≥ 0/);
    expect(() => queue.process(handler, { stopGraceMs: 0 })).not.toThrow(); // cold: nothing runs until subscribed
    await queue.close();
  });
});
