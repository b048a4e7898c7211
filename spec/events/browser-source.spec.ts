/**
 * @jest-environment jsdom
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { createEventSource } from '../../src/events/event-source.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';

const setVisibility = (state: DocumentVisibilityState) => {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  document.dispatchEvent(new Event('visibilitychange'));
};
const flushMicrotasks = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('page lifecycle (jsdom)', () => {
  test('in a page, auto mode follows the page: hidden, pagehide and freeze ask for a write', async () => {
    const source = createEventSource();
    const events: PlatformEvent[] = [];
    const subscription = source.subscribe((e) => events.push(e));
    await flushMicrotasks(); // the browser source is loaded on first subscription
    setVisibility('visible');
    expect(events).toEqual([]);
    setVisibility('hidden');
    window.dispatchEvent(new Event('pagehide'));
    document.dispatchEvent(new Event('freeze'));
    const persist = { name: 'persistState', data: { isMigrating: true } };
    expect(events).toEqual([persist, persist, persist]);
    subscription.unsubscribe();
    window.dispatchEvent(new Event('pagehide'));
    expect(events).toHaveLength(3); // listeners removed
  });

  test('a store writes at once when the page goes away, before its debounce', async () => {
    const records = new Map<string, string>();
    const store = await createPersistentStore({
      key: 'PAGE',
      initial: { items: [] as string[] },
      adapter: memoryAdapter({ records }),
      events: createEventSource(),
      debounceMs: 60_000,
      maxWaitMs: 60_000,
    });
    await flushMicrotasks();
    store.update((s) => void s.items.push('read later'));
    expect(records.has('PAGE')).toBe(false);
    window.dispatchEvent(new Event('pagehide'));
    await flushMicrotasks();
    expect(JSON.parse(records.get('PAGE')!).state).toEqual({ items: ['read later'] });
    await store.close();
  });

  test('the events are shared by every subscriber', async () => {
    const source = createEventSource({ mode: 'browser' });
    const both = Promise.all([firstValueFrom(source.pipe(take(1), toArray())), firstValueFrom(source.pipe(take(1), toArray()))]);
    await flushMicrotasks();
    window.dispatchEvent(new Event('pagehide'));
    expect(await both).toEqual([[{ name: 'persistState', data: { isMigrating: true } }], [{ name: 'persistState', data: { isMigrating: true } }]]);
  });
});
