import { jest } from '@jest/globals';
import { EMPTY, Subject } from 'rxjs';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { FlushError } from '../../src/errors.js';
import { createPersistencePipeline, retryDelayMs } from '../../src/store/persistence-pipeline.js';
import type { PersistenceStatus } from '../../src/store/persistence-status.js';
import { controlledAdapter } from '../support/controlled-adapter.js';

// Virtual time: rxjs schedulers run on the faked setInterval and Date.
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

const tick = (ms: number) => jest.advanceTimersByTimeAsync(ms);
/** A real turn of the event loop, the clock standing still: setImmediate as it was before any test faked it. */
const realTurn = (
  (immediate) => () =>
    new Promise<void>((resolve) => immediate(() => resolve()))
)(setImmediate);

async function openStore(options: { debounceMs?: number; maxWaitMs?: number; flushTimeoutMs?: number } = {}) {
  const control = controlledAdapter();
  const store = await createPersistentStore({
    key: 'PIPE',
    initial: { n: 0 },
    adapter: control.adapter,
    events: EMPTY,
    debounceMs: 100,
    maxWaitMs: 500,
    ...options,
  });
  const phases: PersistenceStatus['phase'][] = [];
  store.status$.subscribe((s) => {
    if (phases.at(-1) !== s.phase) phases.push(s.phase);
  });
  const inc = () => store.update((d) => void d.n++);
  return { store, control, phases, inc };
}

describe('persistence pipeline', () => {
  test('writes once, debounceMs after the last of a burst of updates', async () => {
    const { store, control, inc } = await openStore();
    inc();
    await tick(60);
    inc();
    await tick(99);
    expect(control.written).toEqual([]);
    await tick(1);
    expect(control.written).toEqual([{ n: 2 }]);
    await store.close();
  });

  test('under constant change writes at least every maxWaitMs', async () => {
    const { store, control, inc } = await openStore();
    for (let t = 0; t < 1_200; t += 50) {
      inc();
      await tick(50);
    }
    // updates every 50 ms never leave the 100 ms debounce quiet; maxWait 500 forces writes
    expect(control.written.length).toBeGreaterThanOrEqual(2);
    expect(control.written[0]).toEqual({ n: 10 });
    await store.close();
  });

  test('never two writes at once, and a change during a write is written right after it', async () => {
    const { store, control, inc } = await openStore();
    control.holdWrites();
    inc();
    await tick(100); // first write starts and hangs
    expect(control.inFlight).toBe(1);
    inc();
    inc();
    await tick(1_000); // debounce fires during the write: it must wait
    expect(control.inFlight).toBe(1);
    control.release();
    await tick(0);
    expect(control.maxInFlight).toBe(1);
    expect(control.written).toEqual([{ n: 1 }, { n: 3 }]); // latest wins, the middle one is skipped
    await store.close();
  });

  test('a failed write is retried with backoff; status stays error until one succeeds', async () => {
    const { store, control, phases, inc } = await openStore();
    control.failNext(new Error('disk on fire'), new Error('still on fire'));
    inc();
    await tick(100);
    expect(store.getStatus()).toMatchObject({ phase: 'error', pending: 1 });
    expect(store.getStatus().lastError?.message).toBe('disk on fire');
    await tick(100); // first retry after 100 ms fails
    expect(store.getStatus().lastError?.message).toBe('still on fire');
    inc(); // changes during the error are kept and written with the retry
    await tick(199);
    expect(control.written).toEqual([]);
    await tick(1); // second retry after 200 ms succeeds
    expect(control.written).toEqual([{ n: 2 }]);
    expect(store.getStatus()).toMatchObject({ phase: 'idle', pending: 0, lastError: null });
    expect(phases).toEqual(['idle', 'dirty', 'saving', 'error', 'idle']);
    await store.close();
  });

  test('a compaction that fails once, then succeeds, leaves status idle without the old error', async () => {
    const control = controlledAdapter(new Map(), { journal: true });
    const events = new Subject<PlatformEvent>();
    const store = await createPersistentStore({ key: 'PIPE', initial: { n: 0 }, adapter: control.adapter, events, debounceMs: 100, maxWaitMs: 500 });
    store.update((d) => void d.n++);
    await tick(100); // the first write is a snapshot
    store.update((d) => void d.n++);
    await tick(100); // then an append
    expect({ written: control.written.length, appends: control.appends }).toEqual({ written: 1, appends: 1 });
    control.failNext(new Error('rename failed'));
    events.next({ name: 'migrating', data: { timeRemainingSecs: 30 } }); // compacts at once
    await tick(0);
    expect(store.getStatus()).toMatchObject({ phase: 'error', pending: 0 });
    expect(store.getStatus().lastError?.message).toBe('rename failed');
    await tick(100); // retried after the backoff, and it succeeds
    expect(control.written).toEqual([{ n: 1 }, { n: 2 }]);
    expect(store.getStatus()).toMatchObject({ phase: 'idle', pending: 0, lastError: null });
    await store.close();
  });

  test('retry delays: 100 ms, doubling, capped at 10 s', () => {
    expect([1, 2, 3, 4, 7, 8, 50].map(retryDelayMs)).toEqual([100, 200, 400, 800, 6_400, 10_000, 10_000]);
  });

  test('it never stops retrying: after many failures a later write still lands', async () => {
    const { store, control, inc } = await openStore();
    control.failNext(...Array.from({ length: 20 }, (_, i) => new Error(`fail ${i}`)));
    inc();
    await tick(5 * 60_000);
    expect(control.written).toEqual([{ n: 1 }]);
    await store.close();
  });

  test('status reports dirty, saving, lastSavedAt and pending', async () => {
    const { store, control, inc } = await openStore();
    expect(store.getStatus()).toEqual({ phase: 'idle', lastSavedAt: null, lastError: null, pending: 0 });
    inc();
    inc();
    expect(store.getStatus()).toMatchObject({ phase: 'dirty', pending: 2 });
    control.holdWrites();
    await tick(100);
    expect(store.getStatus()).toMatchObject({ phase: 'saving', pending: 2 });
    control.release();
    await tick(0);
    expect(store.getStatus()).toMatchObject({ phase: 'idle', pending: 0, lastSavedAt: Date.now() });
    await store.close();
  });

  describe('flush()', () => {
    test('writes at once, skipping the debounce, and resolves when durable', async () => {
      const { store, control, inc } = await openStore({ debounceMs: 10_000, maxWaitMs: 60_000 });
      inc();
      await store.flush();
      expect(control.written).toEqual([{ n: 1 }]);
      await store.close();
    });

    test('resolves at once when nothing is pending', async () => {
      const { store, control } = await openStore();
      await store.flush();
      expect(control.written).toEqual([]);
      await store.close();
    });

    test('covers updates made during an earlier write: waits for the write after it', async () => {
      const { store, control, inc } = await openStore();
      control.holdWrites();
      inc();
      await tick(100); // write of n=1 in flight
      inc();
      let resolved = false;
      const flushed = store.flush().then(() => (resolved = true));
      control.release();
      await tick(0);
      await flushed;
      expect(resolved).toBe(true);
      expect(control.written).toEqual([{ n: 1 }, { n: 2 }]);
      await store.close();
    });

    test('cuts a retry backoff short', async () => {
      const { store, control, inc } = await openStore();
      control.failNext(new Error('a'), new Error('b'), new Error('c'), new Error('d'));
      inc();
      await tick(100 + 100 + 200 + 400); // four failures; next retry would wait 800 ms
      expect(store.getStatus().phase).toBe('error');
      await store.flush();
      expect(control.written).toEqual([{ n: 1 }]);
      await store.close();
    });

    test('rejects with FlushError and the cause when the deadline passes, while the store keeps retrying', async () => {
      const { store, control, inc } = await openStore({ flushTimeoutMs: 1_000 });
      control.failNext(...Array.from({ length: 6 }, () => new Error('EIO')));
      inc();
      const flushed = store.flush();
      const caught = flushed.catch((e: unknown) => e);
      await tick(1_000);
      const error = await caught;
      expect(error).toBeInstanceOf(FlushError);
      expect((error as FlushError).message).toMatch(/not durable within 1000 ms; the last write failed: EIO/);
      expect((error as FlushError).cause).toBeInstanceOf(Error);
      await tick(10_000);
      expect(control.written).toEqual([{ n: 1 }]);
      await store.close();
    });

    test('rejects at once on a permanent failure (retryable: false), and the next change tries again', async () => {
      const { store, control, inc } = await openStore();
      const tooLarge = () => Object.assign(new Error('too large'), { retryable: false });
      control.failNext(tooLarge(), tooLarge());
      inc();
      await expect(store.flush()).rejects.toThrow(/too large/);
      expect(store.getStatus().phase).toBe('error');
      await tick(60_000); // the pending debounce tries once more, then nothing: no retry loop
      expect(control.attempts).toBe(2);
      expect(control.written).toEqual([]);
      inc();
      await tick(100);
      expect(control.attempts).toBe(3);
      expect(control.written).toEqual([{ n: 2 }]);
      expect(store.getStatus().phase).toBe('idle');
      await store.close();
    });
  });

  describe('group commit', () => {
    test('callers a write answered get a turn to join the next one: 8 producers, each write carries the changes of all 8', async () => {
      const { store, control } = await openStore({ debounceMs: 60_000, maxWaitMs: 60_000 });
      const producer = async () => {
        for (let i = 0; i < 20; i++) {
          store.update((d) => void d.n++);
          await store.flush();
        }
      };
      await Promise.all(Array.from({ length: 8 }, producer));
      // The first write takes the first update alone (the others are not made yet), the next the
      // other 7, then 8 each: 21 writes of 160 updates, where 7 and 1 in turn took 39.
      expect(control.written.length).toBeLessThanOrEqual(22);
      expect(control.written.at(-1)).toEqual({ n: 160 });
      await store.close();
    });

    test('a lone producer waits no turn: once two flushes shared a write, each later one is still answered within microtasks', async () => {
      // Found in W9: the run the second flush asked for, its change written meanwhile, waited a turn
      // with nothing to write; the next flush, queued behind it, was written after that turn, and
      // the run it had asked for meanwhile waited again: one turn of the event loop every write, for good.
      const { store, control, inc } = await openStore({ debounceMs: 60_000, maxWaitMs: 60_000 });
      inc();
      await Promise.all([store.flush(), store.flush()]);
      inc();
      await store.flush(); // one of the two answered is back: its write gives the other a turn (group commit)
      for (let n = 3; n <= 7; n++) {
        inc();
        let answered = false;
        const flushed = store.flush().then(() => (answered = true));
        for (let hops = 0; hops < 1_000 && !answered; hops++) await Promise.resolve();
        expect({ n, answered }).toEqual({ n, answered: true });
        await flushed;
      }
      expect(control.written.at(-1)).toEqual({ n: 7 });
      await store.close();
    });

    test('the turn is a real one: with the clock faked and standing still, a flush is still answered by its write', async () => {
      const { store, control, inc } = await openStore();
      inc();
      await Promise.all([store.flush(), store.flush()]); // one write answers both callers
      inc();
      let outcome = 'waiting';
      void store.flush().then(() => (outcome = 'written')); // one of the two is back: the write gives the other a turn
      for (let turns = 0; turns < 10 && outcome === 'waiting'; turns++) await realTurn();
      expect(outcome).toBe('written');
      expect(control.written).toEqual([{ n: 1 }, { n: 2 }]);
      await store.close();
    });
  });

  describe('write-through (after migrating or aborting)', () => {
    test('after a permanent failure, changes are written with the backoff, not one attempt per change', async () => {
      const control = controlledAdapter();
      const events = new Subject<PlatformEvent>();
      const store = await createPersistentStore({ key: 'PIPE', initial: { n: 0 }, adapter: control.adapter, events, debounceMs: 100, maxWaitMs: 500 });
      events.next({ name: 'aborting', data: {} });
      const tooLarge = () => Object.assign(new Error('too large'), { retryable: false });
      control.failNext(...Array.from({ length: 1_000 }, tooLarge));
      // A job still at work in its grace time: a change every 10 ms for a second.
      for (let i = 0; i < 100; i++) {
        store.update((d) => void d.n++);
        await tick(10);
      }
      // Backing off 100 ms, doubling: a handful of attempts, not 100 (each billed on a platform).
      expect(control.attempts).toBeLessThanOrEqual(10);
      await expect(store.close()).rejects.toThrow(/too large/);
    });

    test('before any failure, each change is written at once', async () => {
      const control = controlledAdapter();
      const events = new Subject<PlatformEvent>();
      const store = await createPersistentStore({ key: 'PIPE', initial: { n: 0 }, adapter: control.adapter, events, debounceMs: 60_000, maxWaitMs: 60_000 });
      events.next({ name: 'aborting', data: {} });
      for (let n = 1; n <= 3; n++) {
        store.update((d) => void d.n++);
        await tick(0);
        expect(control.written.at(-1)).toEqual({ n });
      }
      await store.close();
    });
  });

  describe('close()', () => {
    test('flushes pending changes and leaves no timer behind', async () => {
      const { store, control, inc } = await openStore();
      inc();
      expect(jest.getTimerCount()).toBeGreaterThan(0);
      await store.close();
      expect(control.written).toEqual([{ n: 1 }]);
      expect(jest.getTimerCount()).toBe(0);
    });

    test('leaves no timer behind even when the final flush fails, and rejects with the cause', async () => {
      const { store, control, inc } = await openStore({ flushTimeoutMs: 500 });
      control.failNext(...Array.from({ length: 10 }, () => new Error('EIO')));
      inc();
      const closed = store.close().catch((e: unknown) => e);
      await tick(500);
      expect(await closed).toBeInstanceOf(FlushError);
      expect(jest.getTimerCount()).toBe(0);
      await expect(store.flush()).rejects.toThrow(/Cannot flush pending changes: the store "PIPE" is closed/);
      // the lock is released too: the next run can open the key
      await (await createPersistentStore({ key: 'PIPE', initial: { n: 0 }, adapter: control.adapter })).close();
    });

    test('nothing is written after dispose(), not even by a write that was waiting its turn to group changes', async () => {
      const calls: string[] = [];
      let disposed = false;
      let releaseFirst!: () => void;
      const pipeline = createPersistencePipeline({
        key: 'PIPE',
        debounceMs: 60_000,
        maxWaitMs: 60_000,
        write: async () => {
          calls.push(disposed ? 'write after dispose' : 'write');
          if (calls.length === 1) await new Promise<void>((resolve) => (releaseFirst = resolve));
        },
        maintain: async () => undefined,
      });
      pipeline.changed();
      const flushed = pipeline.flush(5_000); // the first write starts and is held
      pipeline.changed();
      pipeline.writeNow(); // the next write is queued behind it
      releaseFirst();
      await flushed; // the queued write now gives the answered caller a turn to come back: it does not
      pipeline.dispose(); // as close() does before it lets the lock go
      disposed = true;
      const settled = pipeline.settled();
      await tick(0);
      await settled;
      const whenSettled = [...calls];
      await tick(0);
      expect(calls).not.toContain('write after dispose');
      expect(calls).toEqual(whenSettled); // settled() covered every write there was
    });

    test('releases the lock, so the key can be opened again', async () => {
      const { store, control } = await openStore();
      await store.close();
      const again = await createPersistentStore({ key: 'PIPE', initial: { n: 0 }, adapter: control.adapter });
      await again.close();
    });
  });
});
