import { jest } from '@jest/globals';
import { EMPTY, Subject, filter, firstValueFrom, map } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import {
  ConflictError,
  InvalidKeyError,
  InvalidOptionError,
  PersistentStoreError,
  StorageAccessError,
  StorageError,
  StoreClosedError,
  StoreLockedError,
  UnserializableStateError,
} from '../../src/errors.js';
import type { StorageAdapter } from '../../src/adapters/storage-adapter.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { controlledAdapter } from '../support/controlled-adapter.js';

const open = <T>(initial: T, extra: object = {}) => createPersistentStore({ key: 'STATE', initial, adapter: memoryAdapter(), ...extra });

describe('createPersistentStore', () => {
  test('starts from initial when nothing is stored, and restores what was written', async () => {
    const records = new Map<string, string>();
    const first = await createPersistentStore({ key: 'STATE', initial: { done: 0 }, adapter: memoryAdapter({ records }) });
    expect(first.restored).toBe(false);
    expect(first.getState()).toEqual({ done: 0 });
    first.update((d) => void (d.done = 41));
    first.update((d) => void d.done++);
    await first.close();

    const second = await createPersistentStore({ key: 'STATE', initial: { done: 0 }, adapter: memoryAdapter({ records }) });
    expect(second.restored).toBe(true);
    expect(second.getState()).toEqual({ done: 42 });
    await second.close();
  });

  test('location says where the state lives, as the adapter names it', async () => {
    const store = await open({ done: 0 });
    expect(store.location).toBe('memory:STATE');
    await store.close();
    const named = await createPersistentStore({
      key: 'K',
      initial: {},
      adapter: { ...memoryAdapter(), locate: (key: string) => `somewhere/${key}` },
      events: EMPTY,
    });
    expect(named.location).toBe('somewhere/K');
    await named.close();
  });

  test('update returns the new immutable snapshot; old snapshots are untouched', async () => {
    const store = await open({ list: [1] });
    const before = store.getState();
    const after = store.update((d) => void d.list.push(2));
    expect(after).toBe(store.getState());
    expect(after).toEqual({ list: [1, 2] });
    expect(before).toEqual({ list: [1] });
    expect(Object.isFrozen(after.list)).toBe(true);
    await store.close();
  });

  test('a recipe may return a whole new state', async () => {
    const store = await open({ n: 1 });
    expect(store.update(() => ({ n: 7 }))).toEqual({ n: 7 });
    await store.close();
  });

  test('an update that changes nothing is not a change', async () => {
    const store = await open({ n: 1 });
    const before = store.getState();
    expect(store.update(() => undefined)).toBe(before);
    expect(store.getStatus().pending).toBe(0);
    await store.close();
  });

  test('state$ replays the current state and follows updates; select emits distinct slices', async () => {
    const store = await open({ a: 0, b: 0 });
    store.update((d) => void (d.a = 1));
    const states: unknown[] = [];
    const as: number[] = [];
    store.state$.subscribe((s) => states.push(s));
    store.select((s) => s.a).subscribe((a) => as.push(a));
    store.update((d) => void (d.b = 5));
    store.update((d) => void (d.a = 2));
    expect(states).toEqual([
      { a: 1, b: 0 },
      { a: 1, b: 5 },
      { a: 2, b: 5 },
    ]);
    expect(as).toEqual([1, 2]);
    await store.close();
  });

  test('state$ completes on close; update and flush after close are refused', async () => {
    const store = await open({ n: 0 });
    let completed = false;
    store.state$.subscribe({ complete: () => (completed = true) });
    await store.close();
    await store.close(); // idempotent
    expect(completed).toBe(true);
    expect(() => store.update((d) => void d.n++)).toThrow(StoreClosedError);
    await store.flush(); // nothing pending: a no-op
  });

  describe('rejects at update what JSON cannot hold, naming the path, and keeps the state', () => {
    const cases: Array<[string, (d: { data: Record<string, unknown> }) => void, RegExp]> = [
      ['a function', (d) => void (d.data.fn = () => 1), /a function at data\.fn/],
      ['a BigInt', (d) => void (d.data.big = 10n), /the BigInt 10n at data\.big/],
      ['undefined', (d) => void (d.data.u = undefined), /undefined at data\.u/],
      ['undefined in an array', (d) => void (d.data.list = [1, undefined]), /undefined at data\.list\[1\]/],
      [
        'a cycle',
        (d) => {
          const o: Record<string, unknown> = {};
          o.self = o;
          d.data.o = o;
        },
        /a circular reference at data\.o\.self/,
      ],
      ['NaN', (d) => void (d.data['a b'] = NaN), /the number NaN at data\["a b"\]/],
      ['a Date', (d) => void (d.data.when = new Date(0)), /a Date object at data\.when/],
      ['a Map', (d) => void (d.data.m = new Map()), /a Map object at data\.m/],
    ];
    test.each(cases)('%s', async (_, recipe, message) => {
      const store = await open({ data: {} as Record<string, unknown> });
      expect(() => store.update(recipe)).toThrow(UnserializableStateError);
      expect(() => store.update(recipe)).toThrow(message);
      expect(store.getState()).toEqual({ data: {} });
      expect(store.getStatus().pending).toBe(0);
      await store.close();
    });
  });

  describe('events', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    async function withEvents() {
      const events = new Subject<PlatformEvent>();
      const control = controlledAdapter();
      const store = await createPersistentStore({ key: 'EV', initial: { n: 0 }, adapter: control.adapter, events, debounceMs: 10_000, maxWaitMs: 60_000 });
      return { events, control, store };
    }

    test.each(['persistState', 'migrating', 'aborting'] as const)('%s writes at once, bypassing the debounce', async (name) => {
      const { events, control, store } = await withEvents();
      store.update((d) => void d.n++);
      const data = name === 'persistState' ? { isMigrating: false } : {};
      events.next({ name, data } as PlatformEvent);
      await jest.advanceTimersByTimeAsync(0);
      expect(control.written).toEqual([{ n: 1 }]);
      await store.close();
    });

    test('systemInfo does not write', async () => {
      const { events, control, store } = await withEvents();
      store.update((d) => void d.n++);
      events.next({ name: 'systemInfo', data: { cpuCurrentUsage: 3 } });
      await jest.advanceTimersByTimeAsync(0);
      expect(control.written).toEqual([]);
      await store.close();
    });

    test('exit flushes and closes the store, unsubscribing from events', async () => {
      const { events, control, store } = await withEvents();
      store.update((d) => void d.n++);
      events.next({ name: 'exit', data: { exitCode: 0 } });
      await jest.advanceTimersByTimeAsync(0);
      expect(control.written).toEqual([{ n: 1 }]);
      expect(() => store.update((d) => void d.n++)).toThrow(StoreClosedError);
      expect(events.observed).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
    });

    test('aborting and exit hand their flush and close to waitUntil, so a shutdown waits for them', async () => {
      const { events, control, store } = await withEvents();
      store.update((d) => void d.n++);
      control.holdWrites();
      const work: Promise<unknown>[] = [];
      events.next({ name: 'aborting', data: {}, waitUntil: (p) => void work.push(p) });
      expect(work).toHaveLength(1);
      let flushed = false;
      void work[0]!.then(() => (flushed = true));
      await jest.advanceTimersByTimeAsync(0);
      expect(flushed).toBe(false); // the write is held
      control.release();
      await jest.advanceTimersByTimeAsync(0);
      expect(flushed).toBe(true);
      expect(control.written).toEqual([{ n: 1 }]);
      events.next({ name: 'exit', data: { exitCode: 143 }, waitUntil: (p) => void work.push(p) });
      await work[1];
      expect(() => store.update((d) => void d.n++)).toThrow(StoreClosedError);
    });

    test('an erroring event source does not break the store', async () => {
      const { events, control, store } = await withEvents();
      events.error(new Error('socket gone'));
      store.update((d) => void d.n++);
      await store.flush();
      expect(control.written).toEqual([{ n: 1 }]);
      await store.close();
    });
  });

  describe('bad options get a typed error naming the option', () => {
    test.each([
      [{ debounceMs: -1 }, /"debounceMs": expected a duration/],
      [{ debounceMs: Number.NaN }, /"debounceMs"/],
      [{ debounceMs: Number.POSITIVE_INFINITY }, /"debounceMs": expected a duration in ms .*, got Infinity/],
      [{ maxWaitMs: -1 }, /"maxWaitMs": expected a duration in ms/],
      [{ flushTimeoutMs: 0 }, /"flushTimeoutMs": expected a duration in ms \(a finite number > 0, at most 2147483647\), got 0/],
      [{ flushTimeoutMs: 2 ** 31 }, /"flushTimeoutMs": expected a duration in ms/],
      [{ maxWaitMs: 10, debounceMs: 100 }, /"maxWaitMs": must be at least debounceMs \(100\)/],
      [{ flushTimeoutMs: '5' }, /"flushTimeoutMs"/],
      [{ version: 1.5 }, /"version": expected a whole number from 0 to 2\^53 − 1, got 1.5/],
      [{ migrate: 'x' }, /"migrate": expected a function/],
      [{ schema: {} }, /"schema": expected a zod schema/],
      [{ onInvalidStored: 'ignore' }, /"onInvalidStored"/],
    ])('%p', async (extra, message) => {
      await expect(open({}, extra)).rejects.toThrow(InvalidOptionError);
      await expect(open({}, extra)).rejects.toThrow(message);
    });

    test('debounceMs and maxWaitMs may be 0: every change is written at the next turn', async () => {
      const store = await open({ n: 0 }, { debounceMs: 0, maxWaitMs: 0, events: EMPTY });
      store.update((d) => void d.n++);
      await store.flush();
      await store.close();
    });

    test("flush's timeoutMs follows the same rule, with or without changes pending", async () => {
      const store = await open({ n: 0 }, { events: EMPTY });
      await expect(store.flush({ timeoutMs: Number.NaN })).rejects.toThrow(/"timeoutMs": expected a duration in ms .*, got NaN/);
      store.update((d) => void d.n++);
      await expect(store.flush({ timeoutMs: -5 })).rejects.toThrow(InvalidOptionError);
      await store.close();
    });

    test('a missing initial', async () => {
      await expect(createPersistentStore({ key: 'K', adapter: memoryAdapter() } as never)).rejects.toThrow(/"initial": is required/);
    });

    test('an invalid key', async () => {
      await expect(createPersistentStore({ key: '../x', initial: {}, adapter: memoryAdapter() })).rejects.toThrow(InvalidKeyError);
    });

    test('an initial state JSON cannot hold', async () => {
      await expect(open({ when: new Date() })).rejects.toThrow(/a Date object at when/);
    });
  });

  test('refresh() takes in what another writer stored; with a locking adapter it does nothing', async () => {
    const records = new Map<string, string>();
    const { lock: _lock, ...unlocked } = memoryAdapter({ records });
    const shared = { ...unlocked, sharing: 'shared' as const }; // a key others may write
    const a = await createPersistentStore({ key: 'R', initial: { n: 0 }, adapter: shared, events: EMPTY });
    const b = await createPersistentStore({ key: 'R', initial: { n: 0 }, adapter: { ...shared }, events: EMPTY });
    a.update((s) => void (s.n = 5));
    await a.flush();
    expect(b.getState()).toEqual({ n: 0 });
    await b.refresh();
    expect(b.getState()).toEqual({ n: 5 });
    await Promise.all([a.close(), b.close()]);

    const locked = await createPersistentStore({ key: 'L', initial: { n: 0 }, adapter: memoryAdapter({ records }), events: EMPTY });
    records.set('L', JSON.stringify({ $rxps: 1, version: 0, savedAt: '', seq: 0, state: { n: 9 } }));
    await locked.refresh();
    expect(locked.getState()).toEqual({ n: 0 }); // nobody else may write a locked key
    await locked.close();
  });

  describe('an untyped failure of the adapter at open comes out as a typed StorageError', () => {
    const osError = (code: string) => Object.assign(new Error(`${code}: refused`), { code });

    test('from lock', async () => {
      const adapter: StorageAdapter = { ...memoryAdapter(), lock: () => Promise.reject(osError('EACCES')) };
      const error = await createPersistentStore({ key: 'T', initial: {}, adapter }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageAccessError);
      expect(error).toMatchObject({ code: 'STORAGE_ACCESS', location: 'memory:T' });
    });

    test('from read, and the lock is released', async () => {
      const inner = memoryAdapter();
      const adapter: StorageAdapter = { ...inner, read: () => Promise.reject(new Error('socket hang up')) };
      const error = await createPersistentStore({ key: 'T', initial: {}, adapter }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toBeInstanceOf(PersistentStoreError);
      expect((error as Error).message).toMatch(/Cannot read the stored state at memory:T: socket hang up/);
      await expect(createPersistentStore({ key: 'T', initial: {}, adapter })).rejects.toBeInstanceOf(StorageError); // not STORE_LOCKED
    });
  });

  test('a second store on the same key and adapter is refused until the first closes', async () => {
    const adapter = memoryAdapter();
    const first = await createPersistentStore({ key: 'ONE', initial: {}, adapter });
    await expect(createPersistentStore({ key: 'ONE', initial: {}, adapter })).rejects.toThrow(StoreLockedError);
    await first.close();
    const second = await createPersistentStore({ key: 'ONE', initial: {}, adapter });
    await second.close();
  });
});

describe('conflicts on a shared key', () => {
  test('a conflict after which nothing new is found backs off and ends in an error on status$, never a spin', async () => {
    const records = new Map<string, string>();
    const base = memoryAdapter({ records });
    let appends = 0;
    const stale: StorageAdapter = {
      ...base,
      lock: undefined,
      sharing: 'shared',
      async append(key, records) {
        if (appends++ === 0) return base.append!(key, records); // the first change lands
        throw new ConflictError('S', 'memory:S');
      },
      readJournal: async (key, after) => (after === undefined ? base.readJournal!(key) : []), // a stale cache: never anything new
    };
    const store = await createPersistentStore({
      key: 'S',
      initial: { n: 0 },
      adapter: stale,
      events: EMPTY,
      onConflict: 'rebase',
      debounceMs: 0,
      maxWaitMs: 0,
    });
    store.update((s) => void s.n++);
    await store.flush(); // the first write is a snapshot
    store.update((s) => void s.n++);
    const error = await firstValueFrom(
      store.status$.pipe(
        filter((s) => s.phase === 'error'),
        map((s) => s.lastError),
      ),
    );
    expect(error).toBeInstanceOf(ConflictError);
    expect(appends).toBeLessThan(15); // 9 tries, spaced 10 ms doubling: not thousands
    await store.close().catch(() => undefined);
  }, 20_000);
});
