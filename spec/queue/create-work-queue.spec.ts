import { firstValueFrom } from 'rxjs';
import { EMPTY } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { InvalidOptionError, UnserializableStateError } from '../../src/errors.js';
import { createWorkQueue } from '../../src/queue/create-work-queue.js';

type Job = { url: string };
const jobs = (...urls: string[]): Job[] => urls.map((url) => ({ url }));
const uniqueKey = (j: Job) => j.url;

function setup(extra: object = {}) {
  let clock = 1_000_000;
  const records = new Map<string, string>();
  const open = () =>
    createWorkQueue<Job>({
      key: 'Q',
      adapter: memoryAdapter({ records }),
      events: EMPTY,
      leaseMs: 10_000,
      maxAttempts: 3,
      backoff: (f) => f * 1_000,
      now: () => clock,
      ...extra,
    });
  return { open, advance: (ms: number) => void (clock += ms), records };
}

describe('createWorkQueue', () => {
  test('add de-duplicates by uniqueKey and counts the duplicates', async () => {
    const queue = await setup().open();
    expect(queue.add(jobs('a', 'b', 'a'), { uniqueKey })).toEqual({ added: 2, duplicates: 1 });
    expect(queue.add(jobs('b', 'c'), { uniqueKey })).toEqual({ added: 1, duplicates: 1 });
    expect(await firstValueFrom(queue.stats$)).toMatchObject({ pending: 3, leased: 0, duplicates: 2 });
    await queue.close();
  });

  test('claim leases due items first in, first out, never the same one twice', async () => {
    const queue = await setup().open();
    queue.add(jobs('a', 'b', 'c'), { uniqueKey });
    const first = await queue.claim(2);
    expect(first.map((i) => [i.id, i.status, i.retryAt])).toEqual([
      ['a', 'leased', 1_010_000],
      ['b', 'leased', 1_010_000],
    ]);
    expect((await queue.claim(5)).map((i) => i.id)).toEqual(['c']);
    expect(await queue.claim(5)).toEqual([]);
    queue.complete('a', { title: 'A' });
    expect(queue.get('a')).toMatchObject({ status: 'done', result: { title: 'A' }, retryAt: null });
    expect(await firstValueFrom(queue.stats$)).toMatchObject({ pending: 0, leased: 2, done: 1 });
    await queue.close();
  });

  test('a failure is retried after its backoff, then failed for good with the last error', async () => {
    const { open, advance } = setup();
    const queue = await open();
    queue.add(jobs('a'), { uniqueKey });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [item] = await queue.claim(1);
      expect(item?.id).toBe('a');
      queue.fail('a', new Error(`boom ${attempt}`));
      if (attempt < 3) {
        expect(queue.get('a')).toMatchObject({ status: 'retrying', failures: attempt, retryAt: expect.any(Number) });
        expect(await queue.claim(1)).toEqual([]); // not before the backoff
        advance(attempt * 1_000);
      }
    }
    expect(queue.get('a')).toMatchObject({ status: 'failed', failures: 3, lastError: 'boom 3' });
    expect(await queue.claim(1)).toEqual([]);
    await queue.close();
  });

  test("a dead worker's lease runs out and the item is claimable again; a released one at once", async () => {
    const { open, advance } = setup();
    const queue = await open();
    queue.add(jobs('a', 'b'), { uniqueKey });
    await queue.claim(2);
    queue.release('b');
    expect((await queue.claim(2)).map((i) => i.id)).toEqual(['b']);
    advance(9_999);
    expect(await queue.claim(2)).toEqual([]);
    advance(1);
    expect((await queue.claim(2)).map((i) => i.id)).toEqual(['a', 'b']);
    await queue.close();
  });

  test('a restarted queue resumes: done stays done, leases of the dead run expire', async () => {
    const { open, advance } = setup();
    const first = await open();
    first.add(jobs('a', 'b', 'c'), { uniqueKey });
    await first.claim(2);
    first.complete('a');
    await first.close(); // the first run "dies" holding b
    advance(5_000);
    const second = await open();
    expect(await firstValueFrom(second.stats$)).toMatchObject({ pending: 1, leased: 1, done: 1 });
    expect((await second.claim(5)).map((i) => i.id)).toEqual(['c']);
    advance(5_000); // b's lease is over, c's is not
    expect((await second.claim(5)).map((i) => i.id)).toEqual(['b']);
    await second.close();
  });

  test('read-only views: restored, getStats(), items(); the store underneath is not reachable', async () => {
    const { open, records } = setup();
    const first = await open();
    expect(first.restored).toBe(false);
    first.add(jobs('a', 'b'), { uniqueKey });
    await first.claim(1);
    expect(first.getStats()).toEqual({ pending: 1, leased: 1, retrying: 0, done: 0, failed: 0, duplicates: 0, ratePerSecond: 0 });
    expect([...first.items()].map((i) => [i.id, i.status]).sort()).toEqual([
      ['a', 'leased'],
      ['b', 'pending'],
    ]);
    first.complete('a');
    await first.flush();
    expect(records.get('Q#journal')).toContain('"done"'); // durable before close()
    expect('store' in first).toBe(false); // its update() would bypass the queue's bookkeeping
    await first.close();
    const second = await open();
    expect(second.restored).toBe(true);
    expect(second.getStats()).toMatchObject({ pending: 1, done: 1 });
    await second.close();
  });

  test('onlyWorker: leases left by a dead earlier run are released on open, first in line; retrying items keep their backoff', async () => {
    const { open } = setup({ onlyWorker: true });
    const first = await open();
    first.add(jobs('a', 'b', 'c', 'd'), { uniqueKey });
    await first.claim(3);
    first.fail('c', new Error('503'));
    await first.close(); // dies holding a and b
    const second = await open();
    expect(await firstValueFrom(second.stats$)).toMatchObject({ pending: 3, leased: 0, retrying: 1 });
    expect((await second.claim(5)).map((i) => i.id).sort()).toEqual(['a', 'b', 'd']);
    expect(second.get('a')?.failures).toBe(0); // a kill is not the item's failure
    await second.close();
  });

  test('drained$ completes once nothing is pending, leased or retrying', async () => {
    const queue = await setup().open();
    queue.add(jobs('a', 'b'), { uniqueKey });
    let drained = false;
    queue.drained$.subscribe({ complete: () => (drained = true) });
    const items = await queue.claim(2);
    queue.complete(items[0]!.id);
    expect(drained).toBe(false);
    queue.fail(items[1]!.id, 'x');
    queue.fail(items[1]!.id, 'x'); // retrying, then…
    expect(drained).toBe(false);
    queue.complete(items[1]!.id); // …done after all
    expect(drained).toBe(true);
    await queue.close();
  });

  test('bad options and non-JSON data are refused', async () => {
    await expect(createWorkQueue({ key: 'Q', adapter: memoryAdapter(), leaseMs: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(createWorkQueue({ key: 'Q', adapter: memoryAdapter(), leaseMs: Number.POSITIVE_INFINITY })).rejects.toThrow(
      /"leaseMs": expected a duration in ms .*, got Infinity/,
    );
    await expect(createWorkQueue({ key: 'Q', adapter: memoryAdapter(), maxAttempts: 0 })).rejects.toThrow(/"maxAttempts"/);
    const queue = await createWorkQueue<{ at: Date }>({ key: 'Q', adapter: memoryAdapter(), events: EMPTY });
    expect(() => queue.add([{ at: new Date() }], { uniqueKey: () => 'x' })).toThrow(UnserializableStateError);
    await queue.close();
  });
});
