import 'fake-indexeddb/auto';
import { EMPTY } from 'rxjs';
import { indexedDbAdapter } from '../../src/adapters/indexeddb-adapter.js';
import { ConflictError, TargetExistsError } from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';
import { MapStorage } from '../support/web-storage.js';

let db = 0;
let dbName = '';
beforeEach(() => {
  dbName = `spec-${++db}`;
  (globalThis as { localStorage?: Storage }).localStorage = new MapStorage();
});

const adapter = () => indexedDbAdapter({ dbName });
const open = <T>(initial: T, extra: object = {}) => createPersistentStore({ key: 'LIST', initial, adapter: adapter(), events: EMPTY, ...extra });

describe('indexedDbAdapter (fake-indexeddb)', () => {
  test('a store survives a reopen; KeyedMaps included', async () => {
    const first = await open({ items: ['a'], seen: new KeyedMap<boolean>() });
    first.update((s) => {
      s.items.push('b');
      s.seen.set('x', true);
    });
    await first.close();
    const second = await open({ items: [] as string[], seen: new KeyedMap<boolean>() });
    expect(second.restored).toBe(true);
    expect(second.getState().items).toEqual(['a', 'b']);
    expect(second.getState().seen.get('x')).toBe(true);
    await second.close();
  });

  test("a journal segment is written once: a tab that did not see the other one's gets ConflictError", async () => {
    const one = adapter();
    const two = adapter();
    await one.read('K');
    await one.write('K', { $rxps: 1, version: 0, savedAt: '', seq: 0, state: 0 });
    await two.read('K');
    await one.append!('K', [{ seq: 1, ops: [{ op: 'replace', path: [], value: 1 }] }]);
    await expect(two.append!('K', [{ seq: 1, ops: [{ op: 'replace', path: [], value: 2 }] }])).rejects.toBeInstanceOf(ConflictError);
    expect(await two.readJournal!('K', 0)).toEqual([{ seq: 1, ops: [{ op: 'replace', path: [], value: 1 }] }]);
    await two.append!('K', [{ seq: 2, ops: [{ op: 'replace', path: [], value: 2 }] }]);
    await adapter().read('K');
  });

  test('a copy written synchronously on page close wins over an older durable state, once', async () => {
    // The store stands for the page that closed: a closing page never runs close(), which would fold the journal.
    const store = await open({ n: 0 }, { compactOnClose: false });
    store.update((s) => void (s.n = 1));
    await store.flush();
    const a = adapter();
    await a.read('LIST');
    a.writeSync!('LIST', { $rxps: 1, version: 0, savedAt: '', seq: 1, state: { n: 2 } }); // after record 1 (the store's n = 1)
    await store.close();
    const reopened = await open({ n: 0 });
    expect(reopened.getState()).toEqual({ n: 2 });
    reopened.update((s) => void s.n++);
    await reopened.close(); // the durable write drops the copy
    expect(localStorage.length).toBe(0);
    const again = await open({ n: 0 });
    expect(again.getState()).toEqual({ n: 3 });
    await again.close();
  });

  test('a page-close copy wins only when nothing newer was stored since; a stale one is ignored', async () => {
    const envelope = (seq: number, state: string) => ({ $rxps: 1, version: 0, savedAt: '', seq, state });
    const a = adapter();
    await a.read('K');
    a.writeSync!('K', envelope(0, 'stale'));
    await a.write('K', envelope(1, 'first')); // durable, drops the copy
    a.writeSync!('K', envelope(1, 'newer')); // holds everything up to record 1, and more
    const b = adapter();
    expect(await b.read('K')).toEqual(envelope(1, 'newer'));
    expect(localStorage.length).toBe(0); // stored as the snapshot on open
    await b.append!('K', [{ seq: 2, ops: [] }]);
    a.writeSync!('K', envelope(1, 'older than record 2'));
    expect(await adapter().read('K')).toEqual(envelope(1, 'newer'));
  });

  test('another tab is told about each write through a BroadcastChannel, and a store takes it in', async () => {
    const one = await open({ items: [] as string[] }, { onConflict: 'rebase' });
    const two = await open({ items: [] as string[] }, { onConflict: 'rebase' });
    one.update((s) => void s.items.push('from one'));
    await one.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(two.getState().items).toEqual(['from one']);
    two.update((s) => void s.items.push('from two'));
    await two.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(one.getState().items).toEqual(['from one', 'from two']);
    await Promise.all([one.close(), two.close()]);
  });

  test('two tabs writing at once: both writes land (rebase), none is lost', async () => {
    const one = await open({ items: [] as string[] }, { onConflict: 'rebase' });
    const two = await open({ items: [] as string[] }, { onConflict: 'rebase' });
    one.update((s) => void s.items.push('one'));
    two.update((s) => void s.items.push('two'));
    await Promise.all([one.flush(), two.flush()]);
    await Promise.all([one.close(), two.close()]);
    const check = await open({ items: [] as string[] });
    expect([...check.getState().items].sort()).toEqual(['one', 'two']);
    await check.close();
  });

  test('a quota error is reported on status$ and by flush(), naming the key and size; the state is kept', async () => {
    const store = await open({ items: [] as string[] });
    const put = IDBObjectStore.prototype.put;
    // The browser's answer when the origin is out of quota; fake-indexeddb has no quota to run out of.
    IDBObjectStore.prototype.put = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      store.update((s) => void s.items.push('x'.repeat(1000)));
      const error = (await store.flush({ timeoutMs: 500 }).catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(/IndexedDB refused the state for key "LIST" \(about \d+ bytes\): the storage quota is exceeded/);
      expect(store.getStatus().phase).toBe('error');
      expect(store.getStatus().lastError?.message).toMatch(/quota is exceeded/);
      expect(store.getState().items).toHaveLength(1);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    await store.flush(); // room again: the retry lands
    expect(store.getStatus().phase).toBe('idle');
    await store.close();
  });

  test('rename never replaces; delete forgets', async () => {
    const a = adapter();
    await a.read('A');
    await a.write('A', 1);
    await a.read('B');
    await a.write('B', 2);
    await expect(a.rename('A', 'B')).rejects.toBeInstanceOf(TargetExistsError);
    await a.rename('A', 'C');
    expect([await a.read('A'), await a.read('C')]).toEqual([undefined, 1]);
    await a.delete('C');
    expect(await a.read('C')).toBeUndefined();
  });
});
