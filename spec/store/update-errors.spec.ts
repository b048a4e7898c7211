import { EMPTY } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { ReentrantUpdateError, StoreClosedError, UnserializableStateError } from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';

interface State {
  a: number;
  b: number;
}
const open = (records: Map<string, string>) =>
  createPersistentStore<State>({ key: 'U', initial: { a: 0, b: 0 }, adapter: memoryAdapter({ records }), events: EMPTY });

/** Builds a value nested `depth` levels deep without recursion. */
function deepValue(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('update() refuses what it cannot keep its promise for', () => {
  test('a re-entrant update is refused with ReentrantUpdateError; neither is applied, nothing is journalled', async () => {
    const records = new Map<string, string>();
    const store = await open(records);
    store.update((s) => void (s.a = 1));
    expect(() =>
      store.update((s) => {
        s.a = 2;
        store.update((t) => void (t.b = 5));
      }),
    ).toThrow(ReentrantUpdateError);
    expect(store.getState()).toEqual({ a: 1, b: 0 });
    await store.close();
    const again = await open(records);
    expect(again.getState()).toEqual(store.getState()); // storage equals memory
    await again.close();
  });

  test('an outer recipe that swallows the ReentrantUpdateError is refused all the same', async () => {
    const records = new Map<string, string>();
    const store = await open(records);
    const swallowing = () =>
      store.update((s) => {
        s.a = 2;
        try {
          store.update((t) => void (t.b = 5));
        } catch {
          // the recipe carries on as if nothing happened
        }
      });
    expect(swallowing).toThrow(ReentrantUpdateError);
    expect(store.getState()).toEqual({ a: 0, b: 0 });
    store.update((s) => void (s.b = 1)); // the store is usable again afterwards
    await store.close();
    const again = await open(records);
    expect(again.getState()).toEqual({ a: 0, b: 1 });
    await again.close();
  });

  test("the recipe's own RangeError (or anything it throws) passes unchanged", async () => {
    const store = await open(new Map());
    const own = new RangeError('index 7 out of range');
    let caught: unknown;
    try {
      store.update(() => {
        throw own;
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(own);
    const overflow = (n: number): number => overflow(n + 1) + 1; // the recipe's own stack overflow
    expect(() => store.update((s) => void (s.a = overflow(0)))).toThrow(RangeError);
    expect(() => store.update((s) => void (s.a = overflow(0)))).not.toThrow(UnserializableStateError);
    expect(store.getState()).toEqual({ a: 0, b: 0 });
    await store.close();
  });

  test("a value so deep that immer's freeze overflows the stack is UnserializableStateError", async () => {
    const store = await open(new Map());
    expect(() => store.update((s) => void ((s as unknown as Record<string, unknown>).deep = deepValue(200_000)))).toThrow(UnserializableStateError);
    expect(store.getState()).toEqual({ a: 0, b: 0 });
    await store.close();
  });
});

describe('subscribers that react to a change', () => {
  interface Progress {
    done: number;
    total: number;
  }
  const openProgress = (records: Map<string, string>) =>
    createPersistentStore<Progress>({
      key: 'P',
      initial: { done: 0, total: 3 },
      adapter: memoryAdapter({ records }),
      events: EMPTY,
      debounceMs: 60_000,
      maxWaitMs: 60_000,
    });

  test('flush() and close() called by a state$ subscriber cover the very update it observes', async () => {
    const records = new Map<string, string>();
    const store = await openProgress(records);
    const closed: Promise<void>[] = [];
    store.state$.subscribe((s) => {
      if (s.done === s.total) closed.push(store.close());
    });
    store.update((s) => void s.done++);
    store.update((s) => void s.done++);
    await store.flush(); // nothing pending when the last update comes
    store.update((s) => void s.done++);
    expect(closed).toHaveLength(1);
    await closed[0];
    const again = await openProgress(records);
    expect(again.getState().done).toBe(3);
    await again.close();
  });

  test('an update() made by a subscriber reaches every subscriber after the state before it, and all end on the latest', async () => {
    const store = await openProgress(new Map());
    const first: number[] = [];
    const second: number[] = [];
    const selected: number[] = [];
    store.state$.subscribe((s) => {
      first.push(s.done);
      if (s.done === 1) store.update((d) => void (d.done = 2));
    });
    store.state$.subscribe((s) => second.push(s.done));
    store.select((s) => s.done).subscribe((done) => selected.push(done));
    store.update((d) => void (d.done = 1));
    expect(first).toEqual([0, 1, 2]);
    expect(second).toEqual([0, 1, 2]);
    expect(selected).toEqual([0, 1, 2]);
    expect(store.getState().done).toBe(2);
    await store.close();
  });

  test('a recipe that closes the store is refused with StoreClosedError: its change is not kept in memory only', async () => {
    const records = new Map<string, string>();
    const store = await openProgress(records);
    let closing: Promise<void> | undefined;
    expect(() =>
      store.update((s) => {
        s.done = 42;
        closing = store.close();
      }),
    ).toThrow(StoreClosedError);
    await closing;
    expect(store.getState().done).toBe(0);
    const again = await openProgress(records);
    expect(again.getState().done).toBe(0);
    await again.close();
  });
});
