import { EMPTY } from 'rxjs';
import { logAdapter } from '../../../src/adapters/log/log-adapter.js';
import { logNames } from '../../../src/adapters/log/log-names.js';
import type { RecordStore } from '../../../src/adapters/log/record-store.js';
import { createPersistentStore } from '../../../src/store/create-persistent-store.js';
import { memoryRecords } from '../../support/memory-records.js';

const envelope = (seq: number, state: unknown) => ({ $rxps: 1, version: 0, savedAt: '', seq, state });
const set = (seq: number, value: unknown) => ({ seq, ops: [{ op: 'replace', path: ['v'], value }] });

/** Resolves when `predicate` first holds for a request seen by `records` (counted, not timed). */
function watched(records: RecordStore, predicate: (op: string, name: string) => boolean) {
  let hit!: () => void;
  const seen = new Promise<void>((resolve) => (hit = resolve));
  const wrapped: RecordStore = {
    ...records,
    get: (name) => records.get(name),
    delete: (name) => records.delete(name),
    list: records.list && ((prefix, after) => records.list!(prefix, after)),
    async put(name, text, expected) {
      const version = await records.put(name, text, expected);
      if (predicate('put', name)) hit();
      return version;
    },
  };
  return { records: wrapped, seen };
}

describe('review of issue 15: the log layout', () => {
  test('exclusive backend: a record the old writer appended (and was told is durable) after the new writer opened survives the takeover', async () => {
    const backend = memoryRecords({ atomicCreate: false }); // Apify: the last writer wins
    const a = logAdapter(backend.records);
    await a.read('K');
    await a.write('K', envelope(0, { v: 0 }));
    await a.append!('K', [set(1, 1)]);
    const c = logAdapter(backend.records); // a new run opens the key (e.g. after a migration) while the old one still writes
    await c.read('K');
    await c.readJournal!('K');
    await a.append!('K', [set(2, 2)]); // resolves: the head still names a's generation, so a counts record 2 durable
    // c's first write: it must either take record 2 in or refuse; it may not bury it.
    await c.append!('K', [set(2, 'c')]).catch(() => undefined);
    const reader = logAdapter(backend.records);
    await reader.read('K');
    expect(await reader.readJournal!('K')).toContainEqual(set(2, 2));
  });

  test('shared backend without createThenGet (WebDAV): a record another writer compacted in is not applied twice after the conflict it causes', async () => {
    const backend = memoryRecords(); // put-if-absent, then a separate get of the head
    const head = watched(backend.records, (op, name) => op === 'put' && name === 'K');
    let pause: (() => Promise<void>) | undefined;
    let armed = false;
    // a's requests: after its segment is created and before it reads the head back, b works.
    const aRecords: RecordStore = {
      ...backend.records,
      async put(name, text, expected) {
        const version = await backend.records.put(name, text, expected);
        if (name.includes('(rxps)s.') && pause) armed = true;
        return version;
      },
      async get(name) {
        if (armed && name === 'K') {
          armed = false;
          const run = pause!;
          pause = undefined;
          await run();
        }
        return backend.records.get(name);
      },
    };
    const options = { key: 'K', initial: { n: 0 }, events: EMPTY, debounceMs: 0, maxWaitMs: 0, onConflict: 'rebase' as const };
    const a = await createPersistentStore({ ...options, adapter: logAdapter(aRecords) });
    a.update((s) => void s.n++);
    await a.flush(); // the first snapshot: n = 1
    const b = await createPersistentStore({ ...options, adapter: logAdapter(head.records, { compactAfterRecords: 1 }) });
    pause = async () => {
      await b.refresh(); // takes in a's segment 1
      b.update((s) => void (s.n += 10));
      await b.flush(); // segment 2
      await head.seen; // then b's compaction: a snapshot at record 2, a's record included
    };
    a.update((s) => void s.n++); // segment 1 created; the head read back names a compaction past it
    await a.flush({ timeoutMs: 5_000 });
    await Promise.all([a.close(), b.close()]);
    const check = await createPersistentStore({ ...options, adapter: logAdapter(backend.records) });
    expect(check.getState()).toEqual({ n: 12 }); // 1 + 1 (a) + 10 (b)
    await check.close();
  });

  test("a key whose text is a long key's shortened name does not share that key's records", async () => {
    const backend = memoryRecords({ atomicCreate: false, maxRecordBytes: 1000 });
    const long = 'L'.repeat(250);
    const short = logNames(long).prefix.slice(0, -'(rxps)'.length); // a valid key too
    const adapter = logAdapter(backend.records);
    await adapter.read(long);
    await adapter.write(long, envelope(0, { v: 0 }));
    await adapter.append!(long, [set(1, 'acknowledged')]);
    const other = logAdapter(backend.records);
    await other.read(short);
    await other.write(short, envelope(0, { v: 'x' })); // its compaction's clean-up: another generation's segments under "its" prefix
    const reader = logAdapter(backend.records);
    await reader.read(long);
    expect(await reader.readJournal!(long)).toEqual([set(1, 'acknowledged')]);
  });
});
