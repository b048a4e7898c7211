import { EMPTY, Subject } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import type { StorageAdapter } from '../../src/adapters/storage-adapter.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';
import { controlledAdapter } from '../support/controlled-adapter.js';

const snapshotOf = (records: Map<string, string>, key = 'J') => JSON.parse(records.get(key)!) as { seq: number; version: number; state: unknown };
const journalOf = (records: Map<string, string>, key = 'J') =>
  (records.get(`${key}#journal`) ?? '')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { seq: number });

/** A memory adapter that counts snapshot writes and appends, and logs their order. */
function countingAdapter(records: Map<string, string>) {
  const inner = memoryAdapter({ records });
  const counts = { writes: 0, appends: 0 };
  const log: Array<'write' | 'append'> = [];
  const adapter: StorageAdapter = {
    ...inner,
    write: (key, value) => (counts.writes++, log.push('write'), inner.write(key, value)),
    append: (key, entries) => (counts.appends++, log.push('append'), inner.append!(key, entries)),
  };
  return { adapter, counts, log };
}

describe('journal writer', () => {
  test('the first write is a snapshot, later ones append numbered records', async () => {
    const records = new Map<string, string>();
    const { adapter, counts } = countingAdapter(records);
    const store = await createPersistentStore({ key: 'J', initial: { n: 0 }, adapter });
    for (let i = 0; i < 3; i++) {
      store.update((s) => void s.n++);
      await store.flush();
    }
    expect(counts).toEqual({ writes: 1, appends: 2 });
    expect(snapshotOf(records)).toMatchObject({ seq: 0, state: { n: 1 } });
    expect(journalOf(records).map((r) => r.seq)).toEqual([1, 2]);
    await store.close();
  });

  test('an adapter without a journal gets a whole snapshot every time', async () => {
    const control = controlledAdapter();
    const store = await createPersistentStore({ key: 'J', initial: { n: 0 }, adapter: control.adapter });
    for (let i = 0; i < 3; i++) {
      store.update((s) => void s.n++);
      await store.flush();
    }
    expect(control.written).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await store.close();
  });

  test('compacts once the journal outweighs an eighth of the state, in changes', async () => {
    // 120,000 entries: an eighth is 15,000 changes, above the 10,000 floor (a quarter would be 30,000).
    const records = new Map<string, string>();
    const { adapter, counts } = countingAdapter(records);
    const initial = { seen: new KeyedMap<number>(Array.from({ length: 120_000 }, (_, i) => [String(i), i] as const)) };
    // compactOnClose off: only the compaction the journal's weight calls for is written.
    const store = await createPersistentStore({ key: 'J', initial, adapter, events: EMPTY, compactOnClose: false });
    store.update((s) => void s.seen.set('first', 0));
    await store.flush();
    for (let batch = 0; batch < 15; batch++) {
      store.update((s) => {
        for (let i = 0; i < (batch < 14 ? 1_000 : 990); i++) s.seen.set(`k${batch}-${i}`, i);
      });
      await store.flush();
    }
    expect(counts.writes).toBe(1); // 14,990 changes: not yet
    store.update((s) => {
      for (let i = 0; i < 20; i++) s.seen.set(`last-${i}`, i);
    });
    await store.flush();
    await store.close(); // waits for the compaction that follows the flush
    expect(counts.writes).toBe(2);
    expect(journalOf(records)).toEqual([]);
  });

  test('a small state is compacted no sooner than every 10,000 changes (the floor)', async () => {
    const records = new Map<string, string>();
    const { adapter, counts } = countingAdapter(records);
    const store = await createPersistentStore({ key: 'J', initial: { seen: new KeyedMap<number>() }, adapter });
    store.update((s) => void s.seen.set('first', 0));
    await store.flush();
    for (let batch = 0; batch < 10; batch++) {
      store.update((s) => {
        for (let i = 0; i < 999; i++) s.seen.set(`k${batch}-${i}`, i);
      });
      await store.flush();
    }
    expect(counts.writes).toBe(1); // 9,990 changes: not yet
    store.update((s) => {
      for (let i = 0; i < 20; i++) s.seen.set(`last-${i}`, i);
    });
    await store.flush();
    await store.close(); // waits for the compaction that follows the flush
    expect(counts.writes).toBe(2);
    expect(snapshotOf(records).seq).toBe(11);
    expect(journalOf(records)).toEqual([]);
    const again = await createPersistentStore({ key: 'J', initial: { seen: new KeyedMap<number>() }, adapter: memoryAdapter({ records }) });
    expect(again.getState().seen.size).toBe(1 + 9_990 + 20);
    await again.close();
  });

  test('a state that keeps its size (updates overwrite the same keys) keeps a bounded journal: compaction is sized by the state, not by its history', async () => {
    // Found by the torture suite: the journal grew to 200 MB while the state stayed at 20,000 keys.
    const records = new Map<string, string>();
    const { adapter, counts } = countingAdapter(records);
    const store = await createPersistentStore({ key: 'J', initial: { ring: new KeyedMap<number>() }, adapter });
    let longest = 0;
    for (let round = 0; round < 200; round++) {
      store.update((s) => {
        for (let i = 0; i < 1_000; i++) s.ring.set(`k${i}`, round); // always the same 1,000 keys
      });
      await store.flush();
      longest = Math.max(longest, journalOf(records).length);
    }
    await store.close();
    // 10,000 changes (the floor) are 10 records of 1,000; a journal sized by history would reach ~40.
    expect(longest).toBeLessThanOrEqual(11);
    expect(counts.writes).toBeGreaterThanOrEqual(200 / 11);
  });

  test('compaction counts bytes too: a 1 MB field replaced 50 times keeps the journal under 1 MiB plus one write', async () => {
    // Found by an adversarial review: counted in values, 600 replacements made a 619 MB journal
    // that could no longer be read. The bound: max(1 MiB, an eighth of the state's bytes) before
    // a write, plus that write's own record (compaction follows the write that crosses it).
    const records = new Map<string, string>();
    const { adapter, counts } = countingAdapter(records);
    const store = await createPersistentStore({ key: 'J', initial: { big: '', n: 0 }, adapter, events: EMPTY });
    const megabyte = 1_000_000;
    let longest = 0;
    for (let i = 0; i < 50; i++) {
      store.update((s) => {
        s.big = String.fromCharCode(97 + (i % 26)).repeat(megabyte);
        s.n = i;
      });
      await store.flush();
      longest = Math.max(longest, (records.get('J#journal') ?? '').length);
    }
    await store.close();
    expect(longest).toBeGreaterThan(megabyte); // it did journal
    expect(longest).toBeLessThanOrEqual(2 ** 20 + megabyte + 1_000);
    expect(counts.writes).toBeGreaterThanOrEqual(50 / 2);
    const again = await createPersistentStore({ key: 'J', initial: { big: '', n: 0 }, adapter: memoryAdapter({ records }), events: EMPTY });
    expect(again.getState().n).toBe(49);
    await again.close();
  });

  test('compaction is not starved by a steady stream of updates (changes arrive during every write)', async () => {
    // Found by the torture suite: compaction waited for a moment with nothing pending, which never came.
    const records = new Map<string, string>();
    const inner = memoryAdapter({ records });
    const slowAppends: StorageAdapter = {
      ...inner,
      append: (key, entries) => new Promise((resolve) => setTimeout(resolve, 2)).then(() => inner.append!(key, entries)),
    };
    const store = await createPersistentStore({ key: 'J', initial: { ring: new KeyedMap<number>() }, adapter: slowAppends, debounceMs: 1, maxWaitMs: 2 });
    const journalChanges = () =>
      (records.get('J#journal') ?? '')
        .split('\n')
        .filter(Boolean)
        .reduce((sum, line) => sum + (JSON.parse(line) as { ops: Array<{ changes?: unknown[] }> }).ops.reduce((n, op) => n + (op.changes?.length ?? 1), 0), 0);
    let most = 0;
    for (let round = 0; round < 300; round++) {
      store.update((s) => {
        for (let i = 0; i < 200; i++) s.ring.set(`k${i}`, round);
      });
      await new Promise((resolve) => setTimeout(resolve, 1)); // never long enough for the pipeline to go quiet
      most = Math.max(most, journalChanges());
    }
    await store.close();
    expect(most).toBeGreaterThan(5_000); // it did journal
    expect(most).toBeLessThan(20_000); // 10,000 (the floor) plus the writes that came in meanwhile; starved, it reaches 60,000
  });

  test('migrating writes the pending change, then folds the journal into a snapshot', async () => {
    const records = new Map<string, string>();
    const { adapter, log } = countingAdapter(records);
    const events = new Subject<PlatformEvent>();
    const store = await createPersistentStore({ key: 'J', initial: { n: 0 }, adapter, events, debounceMs: 60_000, maxWaitMs: 60_000 });
    store.update((s) => void s.n++);
    await store.flush();
    store.update((s) => void s.n++);
    await store.flush();
    store.update((s) => void s.n++); // pending, debounced for a minute
    events.next({ name: 'migrating', data: { timeRemainingSecs: 30 } });
    await store.flush();
    await store.close(); // waits for the compaction under way
    expect(log).toEqual(['write', 'append', 'append', 'write']); // durable first, by append; then compacted
    expect(snapshotOf(records)).toMatchObject({ seq: 2, state: { n: 3 } });
    expect(journalOf(records)).toEqual([]);
  });

  test('after a migration the first write is a snapshot of the new version', async () => {
    const records = new Map<string, string>();
    const v1 = await createPersistentStore({ key: 'J', initial: { count: 0 }, adapter: memoryAdapter({ records }) });
    v1.update((s) => void s.count++);
    await v1.flush();
    v1.update((s) => void s.count++);
    await v1.close(); // snapshot v0 + one journal record
    const v2 = await createPersistentStore({
      key: 'J',
      initial: { total: 0 },
      version: 1,
      migrate: (old) => ({ total: (old as { count: number }).count }),
      adapter: memoryAdapter({ records }),
    });
    expect(v2.getState()).toEqual({ total: 2 });
    v2.update((s) => void s.total++);
    await v2.close();
    expect(snapshotOf(records)).toMatchObject({ version: 1, state: { total: 3 } });
    expect(journalOf(records)).toEqual([]);
  });

  test('updates in a row that change one map are one op in the record, their changes in order; an op elsewhere between them keeps them apart', async () => {
    const records = new Map<string, string>();
    const initial = { n: 0, seen: new KeyedMap<number>(), other: new KeyedMap<number>() };
    const store = await createPersistentStore({ key: 'J', initial, adapter: memoryAdapter({ records }), events: EMPTY, compactOnClose: false });
    store.update((s) => void s.seen.set('a', 1));
    await store.flush(); // the snapshot
    store.update((s) => void s.seen.set('a', 2));
    store.update((s) => void s.seen.set('b', 1));
    store.update((s) => void s.n++);
    store.update((s) => void s.seen.set('c', 1));
    store.update((s) => void s.seen.delete('a'));
    store.update((s) => void s.other.set('x', 1));
    store.update((s) => void s.seen.set('a', 3));
    await store.flush();
    expect(journalOf(records)).toEqual([
      {
        seq: 1,
        ops: [
          {
            op: 'map',
            path: ['seen'],
            changes: [
              ['set', 'a', 2],
              ['set', 'b', 1],
            ],
          },
          { op: 'replace', path: ['n'], value: 1 },
          {
            op: 'map',
            path: ['seen'],
            changes: [
              ['set', 'c', 1],
              ['delete', 'a'],
            ],
          },
          { op: 'map', path: ['other'], changes: [['set', 'x', 1]] },
          { op: 'map', path: ['seen'], changes: [['set', 'a', 3]] },
        ],
      },
    ]);
    await store.close();
    const again = await createPersistentStore({ key: 'J', initial, adapter: memoryAdapter({ records }), events: EMPTY });
    expect([...again.getState().seen]).toEqual([...store.getState().seen]);
    expect(again.getState().seen.get('a')).toBe(3);
    expect(again.getState().other.get('x')).toBe(1);
    await again.close();
  });

  test('a failed append is sent again with the same number, and a duplicate is skipped on replay', async () => {
    const records = new Map<string, string>();
    const inner = memoryAdapter({ records });
    let failAfterWriting = true;
    const adapter: StorageAdapter = {
      ...inner,
      async append(key, entries) {
        await inner.append!(key, entries);
        if (failAfterWriting) {
          failAfterWriting = false;
          throw new Error('fsync failed'); // the data may be there all the same
        }
      },
    };
    const store = await createPersistentStore({ key: 'J', initial: { n: 0 }, adapter, compactOnClose: false }); // the journal is what is looked at
    store.update((s) => void s.n++);
    await store.flush();
    store.update((s) => void s.n++);
    store.update((s) => void s.n++);
    await store.flush(); // first attempt fails, the retry succeeds
    await store.close();
    expect(journalOf(records).map((r) => r.seq)).toEqual([1, 1]);
    const again = await createPersistentStore({ key: 'J', initial: { n: 0 }, adapter: memoryAdapter({ records }) });
    expect(again.getState()).toEqual({ n: 3 });
    await again.close();
  });
});
