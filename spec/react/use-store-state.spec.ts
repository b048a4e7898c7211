/**
 * @jest-environment jsdom
 */
import { act, createElement } from 'react';
import { reactRoot } from '../support/react-root.js';
import { countedSubscriptions } from '../support/counted-subscriptions.js';
import { EMPTY } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { createPersistentStore, type PersistentStore } from '../../src/store/create-persistent-store.js';
import { useStoreState, type StateSource } from '../../src/react/use-store-state.js';

interface State {
  count: number;
  items: string[];
}
const open = () => createPersistentStore<State>({ key: 'REACT', initial: { count: 0, items: [] }, adapter: memoryAdapter(), events: EMPTY });
const sameItems = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item, n) => item === b[n]);

let store: PersistentStore<State>;
beforeEach(async () => (store = await open()));
afterEach(() => store.close());

const { render, unmount, container } = reactRoot();
const update = (recipe: (s: State) => void) => act(async () => void store.update(recipe));
const text = (id: string) => container().querySelector(`#${id}`)?.textContent;

/** A component showing `show(value)`, counting its renders. */
function probe<V>(id: string, use: () => V, show: (value: V) => string = String) {
  const renders = { count: 0 };
  const Probe = () => {
    renders.count++;
    return createElement('p', { id }, show(use()));
  };
  return { element: createElement(Probe), renders };
}

test('the whole state, re-rendered on each change', async () => {
  const whole = probe(
    'whole',
    () => useStoreState(store),
    (s) => `${s.count}:${s.items.join(',')}`,
  );
  await render(whole.element);
  expect(text('whole')).toBe('0:');
  await update((s) => void s.count++);
  await update((s) => void s.items.push('a'));
  expect(text('whole')).toBe('1:a');
  expect(whole.renders.count).toBe(3);
});

test('a selection re-renders only when it changes: an update outside it renders nothing', async () => {
  const count = probe('count', () => useStoreState(store, (s) => s.count));
  const items = probe(
    'items',
    () => useStoreState(store, (s) => s.items),
    (i) => i.join(','),
  );
  await render([createElement('div', { key: 1 }, count.element), createElement('div', { key: 2 }, items.element)]);
  expect([count.renders.count, items.renders.count]).toEqual([1, 1]);

  await update((s) => void s.count++);
  expect(text('count')).toBe('1');
  expect([count.renders.count, items.renders.count]).toEqual([2, 1]);

  await update((s) => void s.items.push('a'));
  expect(text('items')).toBe('a');
  expect([count.renders.count, items.renders.count]).toEqual([2, 2]);

  await update((s) => void (s.count = 1)); // no change: immer keeps the snapshot, nobody renders
  expect([count.renders.count, items.renders.count]).toEqual([2, 2]);
});

test('a selector that builds a new value each time renders once per change, and with isEqual not at all when equal', async () => {
  // Computed afresh on each call, these would loop ("getSnapshot should be cached") without the memo.
  const fresh = probe(
    'fresh',
    () => useStoreState(store, (s) => s.items.map((i) => i.toUpperCase())),
    (i) => i.join(','),
  );
  const equal = probe(
    'equal',
    () => useStoreState(store, (s) => s.items.map((i) => i.toUpperCase()), sameItems),
    (i) => i.join(','),
  );
  await render([createElement('div', { key: 1 }, fresh.element), createElement('div', { key: 2 }, equal.element)]);
  await update((s) => void s.count++); // items unchanged, but a new array from the selector
  expect([fresh.renders.count, equal.renders.count]).toEqual([2, 1]);
  await update((s) => void s.items.push('b'));
  expect([text('fresh'), text('equal')]).toEqual(['B', 'B']);
  expect([fresh.renders.count, equal.renders.count]).toEqual([3, 2]);
});

test('a selector that depends on props applies at the next render, without waiting for a change of the state', async () => {
  await update((s) => void s.items.push('a', 'b', 'c'));
  const Item = ({ at }: { at: number }) =>
    createElement(
      'p',
      { id: 'item' },
      useStoreState(store, (s) => s.items[at]),
    );
  await render(createElement(Item, { at: 0 }));
  expect(text('item')).toBe('a');
  await render(createElement(Item, { at: 2 }));
  expect(text('item')).toBe('c');
});

test('unmounting unsubscribes; a store given anew resubscribes', async () => {
  const sources: Array<() => number> = [];
  /** The store with its state$ subscriptions counted; `active` sums them over every store given. */
  const counted = <T>(source: PersistentStore<T>): StateSource<T> => {
    const state$ = countedSubscriptions(source.state$);
    sources.push(state$.active);
    return { getState: () => source.getState(), state$: state$.observable };
  };
  const active = () => sources.reduce((sum, count) => sum + count(), 0);
  const first = counted(store);
  const Count = ({ source }: { source: StateSource<State> }) =>
    createElement(
      'p',
      { id: 'count' },
      useStoreState(source, (s) => s.count),
    );
  await render(createElement(Count, { source: first }));
  await render(createElement(Count, { source: first })); // same store, re-rendered: the subscription stays
  expect(active()).toBe(1);

  const other = await open();
  try {
    other.update((s) => void (s.count = 7));
    await render(createElement(Count, { source: counted(other) }));
    expect(text('count')).toBe('7');
    expect(active()).toBe(1); // the first one's was dropped
    await unmount();
    expect(active()).toBe(0);
    await update((s) => void s.count++); // nobody listens: nothing renders, nothing warns
  } finally {
    await other.close();
  }
});
