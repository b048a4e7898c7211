import { EMPTY } from 'rxjs';
import { logAdapter } from '../../../src/adapters/log/log-adapter.js';
import { ConflictError, CorruptStateError, InvalidOptionError, LockLostError } from '../../../src/errors.js';
import { createPersistentStore } from '../../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../../src/store/keyed-map.js';
import { memoryRecords } from '../../support/memory-records.js';

const envelope = (seq: number, state: unknown) => ({ $rxps: 1, version: 0, savedAt: '', seq, state });
const set = (seq: number, value: unknown) => ({ seq, ops: [{ op: 'replace', path: ['v'], value }] });
const names = (backend: ReturnType<typeof memoryRecords>) => [...backend.map.keys()].sort();

describe('logAdapter', () => {
  test('a small snapshot lives in the head; a write is one segment; an open reads both', async () => {
    const backend = memoryRecords();
    const adapter = logAdapter(backend.records);
    await adapter.read('K');
    await adapter.write('K', envelope(0, { v: 0 }));
    await adapter.append!('K', [set(1, 1), set(2, 2)]);
    await adapter.append!('K', [set(3, 3)]);
    expect(names(backend)).toHaveLength(3); // the head and two segments
    const other = logAdapter(backend.records);
    expect(await other.read('K')).toEqual(envelope(0, { v: 0 }));
    expect(await other.readJournal!('K')).toEqual([set(1, 1), set(2, 2), set(3, 3)]);
  });

  test('a large snapshot goes in chunks within the record limit; compaction removes the old chunks and segments', async () => {
    const backend = memoryRecords({ maxRecordBytes: 1000, atomicCreate: false }); // exclusive: compacted segments go at once
    const adapter = logAdapter(backend.records, { inlineBytes: 500 });
    await adapter.read('K');
    const big = { v: 'é'.repeat(3000) }; // 2 bytes a character: chunks cut by bytes, never inside one
    await adapter.write('K', envelope(0, big));
    const chunks = names(backend).filter((name) => name.includes('(rxps)c.'));
    expect(chunks.length).toBeGreaterThanOrEqual(7);
    for (const chunk of chunks) expect(new TextEncoder().encode(backend.text(chunk)).length).toBeLessThanOrEqual(1000);
    await adapter.append!('K', [set(1, 'x')]);
    await adapter.write('K', envelope(1, { v: 'y'.repeat(2000) }));
    const after = names(backend);
    expect(after.filter((name) => chunks.includes(name))).toEqual([]); // the old snapshot's chunks are gone
    expect(after.filter((name) => name.includes('(rxps)s.'))).toEqual([]); // and the segment it took in
    expect(await logAdapter(backend.records).read('K')).toEqual(envelope(1, { v: 'y'.repeat(2000) }));
  });

  test('a crash between the chunks and the head swap leaves the previous head valid; the orphans go at the next compaction', async () => {
    const backend = memoryRecords({ maxRecordBytes: 200, atomicCreate: false });
    const adapter = logAdapter(backend.records, { inlineBytes: 100 });
    await adapter.read('K');
    await adapter.write('K', envelope(0, { v: 'a'.repeat(500) }));
    await adapter.append!('K', [set(1, 'b')]);
    backend.failWhen((op, name) => (op === 'put' && name === 'K' ? 'before' : undefined));
    await expect(adapter.write('K', envelope(1, { v: 'c'.repeat(500) }))).rejects.toThrow(/never landed/);
    backend.failWhen(undefined);
    const reader = logAdapter(backend.records, { inlineBytes: 100 });
    expect(await reader.read('K')).toEqual(envelope(0, { v: 'a'.repeat(500) }));
    expect(await reader.readJournal!('K')).toEqual([set(1, 'b')]);
    await reader.append!('K', [set(2, 'c')]); // takes the key over (exclusive backend)
    await reader.write('K', envelope(2, { v: 'c' }));
    expect(names(backend)).toEqual(['K']);
  });

  test('shared: two writers never both write segment N; the loser catches up from the records after its own', async () => {
    const backend = memoryRecords();
    const one = logAdapter(backend.records);
    const two = logAdapter(backend.records);
    await one.read('K');
    await one.write('K', envelope(0, { v: 0 }));
    await two.read('K');
    await two.readJournal!('K');
    await one.append!('K', [set(1, 'one')]);
    await expect(two.append!('K', [set(1, 'two')])).rejects.toBeInstanceOf(ConflictError);
    expect(await two.readJournal!('K', 0)).toEqual([set(1, 'one')]);
    await two.append!('K', [set(2, 'two')]);
    const reader = logAdapter(backend.records);
    await reader.read('K');
    expect(await reader.readJournal!('K')).toEqual([set(1, 'one'), set(2, 'two')]);
  });

  test('shared: a segment whose answer was lost is recognised as its own on the retry', async () => {
    const backend = memoryRecords();
    const adapter = logAdapter(backend.records);
    await adapter.read('K');
    await adapter.write('K', envelope(0, { v: 0 }));
    let once = true;
    backend.failWhen((op, name) => (op === 'put' && name.includes('(rxps)s.') && once ? ((once = false), 'after') : undefined));
    await expect(adapter.append!('K', [set(1, 1)])).rejects.toThrow(/answer .* was lost/);
    await adapter.append!('K', [set(1, 1)]); // the same records again: no conflict
    await adapter.append!('K', [set(2, 2)]);
  });

  test('shared: a writer left behind by a compaction never writes where nobody reads', async () => {
    const backend = memoryRecords();
    const one = logAdapter(backend.records);
    const two = logAdapter(backend.records);
    await one.read('K');
    await one.write('K', envelope(0, { v: 0 }));
    await two.read('K');
    await two.readJournal!('K');
    await one.append!('K', [set(1, 1)]);
    await one.write('K', envelope(1, { v: 1 })); // compaction to record 1
    await one.append!('K', [set(2, 2)]);
    await one.write('K', envelope(2, { v: 2 })); // and again: segment 1 is removed now
    expect(names(backend).some((name) => name.endsWith('.0000000000000001'))).toBe(false);
    await expect(two.append!('K', [set(1, 'late')])).rejects.toBeInstanceOf(ConflictError);
    expect(await two.readJournal!('K', 0)).toBeUndefined(); // read it all again
    expect(names(backend).some((name) => name.endsWith('.0000000000000001'))).toBe(false); // its stray segment was removed
  });

  test("shared: a writer whose append learned of another writer's compaction reads the state whole to catch up, never the records past the snapshot alone", async () => {
    const backend = memoryRecords();
    const one = logAdapter(backend.records);
    const two = logAdapter(backend.records);
    await one.read('K');
    await one.write('K', envelope(0, { v: 0 }));
    await two.read('K');
    await two.readJournal!('K');
    await two.append!('K', [set(1, 'two')]);
    await one.readJournal!('K', 0);
    await one.append!('K', [set(2, 'one')]);
    await one.write('K', envelope(2, { v: 'one' })); // a compaction (as at close) to record 2; segments 1 and 2 stay one more
    await two.append!('K', [set(1, 'two')]); // its first append again (an answer lost): found landed, and the new head learned
    await expect(two.append!('K', [set(2, 'late')])).rejects.toBeInstanceOf(ConflictError);
    expect(await two.readJournal!('K', 1)).toBeUndefined(); // record 2 is in the snapshot: read it all again
  });

  test('exclusive (no atomic create): a second writer takes the key over; the first one learns it at its next write', async () => {
    const backend = memoryRecords({ atomicCreate: false });
    const first = logAdapter(backend.records);
    await first.read('K');
    await first.write('K', envelope(0, { v: 0 }));
    await first.append!('K', [set(1, 1)]);
    const second = logAdapter(backend.records);
    await second.read('K');
    expect(await second.readJournal!('K')).toEqual([set(1, 1)]);
    await second.append!('K', [set(2, 2)]);
    await expect(first.append!('K', [set(2, 'lost')])).rejects.toBeInstanceOf(LockLostError);
    const reader = logAdapter(backend.records);
    await reader.read('K');
    expect(await reader.readJournal!('K')).toEqual([set(1, 1), set(2, 2)]); // the first writer's late segment is never applied
  });

  test("an auto-save of Crawlee's on the same key (a bare value over our head): the store stops, and its log says who it suspects", async () => {
    const backend = memoryRecords({ atomicCreate: false });
    const lines: string[] = [];
    const logger = { warning: (m: string) => void lines.push(m), error: (m: string) => void lines.push(m) };
    const store = await createPersistentStore({ key: 'K', initial: { done: 0 }, adapter: logAdapter(backend.records), events: EMPTY, logger });
    store.update((s) => void s.done++);
    await store.flush();
    backend.map.set('K', { text: JSON.stringify({ done: 0 }), v: 999 }); // what useState's persistState writes
    store.update((s) => void s.done++);
    const error = await store.flush().catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(LockLostError);
    expect(lines).toEqual([
      expect.stringMatching(/lost its lock: something else overwrote .* with a value of its own \(an auto-save on the same key, such as Crawlee's useState/),
    ]);
    expect(JSON.parse(backend.map.get('K')!.text)).toEqual({ done: 0 }); // nothing overwritten back without consent
    await store.close().catch(() => undefined);
  });

  test.each([
    ['a head with a generation that would build other names', (head: Record<string, unknown>) => ({ ...head, gen: '../x' }), /generation/],
    ['a head whose ranges do not follow', (head: Record<string, unknown>) => ({ ...head, from: 7 }), /do not follow/],
    ['a head with an absurd chunk count', (head: Record<string, unknown>) => ({ ...head, snapshot: { id: 'abc', count: 1e9, length: 1 } }), /chunk count/],
    ['a head whose chunks are missing', (head: Record<string, unknown>) => ({ ...head, snapshot: { id: 'abc', count: 2, length: 10 } }), /missing/],
  ])('%s is refused with CorruptStateError, nothing overwritten', async (_what, change, message) => {
    const backend = memoryRecords();
    const adapter = logAdapter(backend.records);
    await adapter.read('K');
    await adapter.write('K', envelope(0, { v: 0 }));
    backend.set('K', JSON.stringify(change(JSON.parse(backend.text('K')!) as Record<string, unknown>)));
    const before = new Map([...backend.map].map(([name, { text }]) => [name, text]));
    const error = await logAdapter(backend.records)
      .read('K')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptStateError);
    expect((error as Error).message).toMatch(message);
    expect(new Map([...backend.map].map(([name, { text }]) => [name, text]))).toEqual(before);
  });

  test.each([
    ['torn', (text: string) => text.slice(0, -3), /not valid JSON/],
    ['of another generation', (text: string) => text.replace(/"gen":"[a-z0-9]+"/, '"gen":"other"'), /generation/],
    ['misnumbered', (text: string) => text.replace('"seq":1', '"seq":5'), /not record 1/],
  ])('a segment that is %s is never applied: CorruptStateError', async (_what, change, message) => {
    const backend = memoryRecords();
    const adapter = logAdapter(backend.records);
    await adapter.read('K');
    await adapter.write('K', envelope(0, { v: 0 }));
    await adapter.append!('K', [set(1, 1)]);
    const segment = names(backend).find((name) => name.includes('(rxps)s.'))!;
    backend.set(segment, change(backend.text(segment)!));
    await expect(logAdapter(backend.records).read('K')).rejects.toThrow(message);
  });

  test('a value stored whole (an earlier version, Crawlee) is read as it is and moved into the layout on the first write', async () => {
    const backend = memoryRecords();
    backend.set('K', JSON.stringify(envelope(4, { v: 'old' })));
    const adapter = logAdapter(backend.records);
    expect(await adapter.read('K')).toEqual(envelope(4, { v: 'old' }));
    expect(await adapter.readJournal!('K')).toEqual([]);
    await adapter.append!('K', [set(5, 'new')]);
    const reader = logAdapter(backend.records);
    expect(await reader.read('K')).toEqual(envelope(4, { v: 'old' }));
    expect(await reader.readJournal!('K')).toEqual([set(5, 'new')]);
  });

  test('a store on a shared log: two stores rebase onto each other, a KeyedMap included', async () => {
    const backend = memoryRecords();
    const open = () =>
      createPersistentStore({
        key: 'Q',
        initial: { seen: new KeyedMap<number>(), n: 0 },
        adapter: logAdapter(backend.records),
        events: EMPTY,
        onConflict: 'rebase',
        debounceMs: 0,
        maxWaitMs: 0,
      });
    const a = await open();
    await a.flush();
    const b = await open();
    for (let i = 0; i < 20; i++) {
      a.update((s) => void (s.seen.set(`a${i}`, i), s.n++));
      b.update((s) => void (s.seen.set(`b${i}`, i), s.n++));
      await Promise.all([a.flush(), b.flush()]);
    }
    await Promise.all([a.close(), b.close()]);
    const c = await open();
    expect(c.getState().n).toBe(40);
    expect(c.getState().seen.size).toBe(40);
    await c.close();
  });
});

describe('logAdapter on an exclusive backend, through a store', () => {
  const open = (backend: ReturnType<typeof memoryRecords>, onInvalidStored: 'throw' | 'moveAside' = 'throw') =>
    createPersistentStore({ key: 'K', initial: { n: 0 }, adapter: logAdapter(backend.records), events: EMPTY, debounceMs: 0, maxWaitMs: 0, onInvalidStored });

  test('a new run takes the key over when it opens; the old run finds out at its next write and loses nothing it was told was durable', async () => {
    const backend = memoryRecords({ atomicCreate: false });
    const old = await open(backend);
    old.update((s) => void (s.n = 1));
    await old.flush();
    const taker = await open(backend);
    expect(taker.getState()).toEqual({ n: 1 });
    old.update((s) => void (s.n = 2));
    await expect(old.flush({ timeoutMs: 2_000 })).rejects.toThrow(/lost its lock/);
    taker.update((s) => void (s.n += 10));
    await taker.close();
    await old.close().catch(() => undefined);
    const check = await open(backend);
    expect(check.getState()).toEqual({ n: 11 });
    await check.close();
  });

  test('an unreadable head is not taken over at open: moveAside still moves it', async () => {
    const backend = memoryRecords({ atomicCreate: false });
    backend.set('K', JSON.stringify({ $rxps: 2, gen: 'x', seq: 0, from: 1, closed: [], snapshot: { id: 'abc', count: 1, length: 5 }, savedAt: '' }));
    await expect(open(backend)).rejects.toBeInstanceOf(CorruptStateError);
    const store = await open(backend, 'moveAside');
    expect(store.movedAside).toMatch(/^K\.invalid-/);
    await store.close();
  });
});

test('a segment too large for one request goes in pieces; a missing piece is refused, never skipped', async () => {
  const backend = memoryRecords({ maxRecordBytes: 200 });
  const adapter = logAdapter(backend.records);
  await adapter.read('K');
  await adapter.write('K', envelope(0, { v: 0 }));
  await adapter.append!('K', [set(1, 'é'.repeat(300))]);
  const pieces = names(backend).filter((name) => name.includes('(rxps)p.'));
  expect(pieces.length).toBeGreaterThanOrEqual(4);
  for (const piece of pieces) expect(new TextEncoder().encode(backend.text(piece)).length).toBeLessThanOrEqual(200);
  const reader = logAdapter(backend.records);
  await reader.read('K');
  expect(await reader.readJournal!('K')).toEqual([set(1, 'é'.repeat(300))]);
  backend.map.delete(pieces[1]!);
  await expect(logAdapter(backend.records).read('K')).rejects.toThrow(/journal segment 1 cannot be applied: a piece of it is missing/);
});

test('orphanAgeMs (Infinity: never) and writeTiming are durations (0 allowed); NaN, Infinity as a timing and negatives are refused, naming the option', () => {
  const records = memoryRecords().records;
  expect(() => logAdapter(records, { orphanAgeMs: 0, writeTiming: { debounceMs: 0, maxWaitMs: 0 } })).not.toThrow();
  expect(() => logAdapter(records, { orphanAgeMs: Number.POSITIVE_INFINITY })).not.toThrow();
  expect(() => logAdapter(records, { orphanAgeMs: -1 })).toThrow(/^Invalid option "orphanAgeMs": expected a duration in ms .*, got -1$/);
  expect(() => logAdapter(records, { orphanAgeMs: Number.NaN })).toThrow(InvalidOptionError);
  expect(() => logAdapter(records, { writeTiming: { debounceMs: Number.NaN, maxWaitMs: 1_000 } })).toThrow(/"writeTiming.debounceMs"/);
  expect(() => logAdapter(records, { writeTiming: { debounceMs: 200, maxWaitMs: Number.POSITIVE_INFINITY } })).toThrow(/"writeTiming.maxWaitMs"/);
});
