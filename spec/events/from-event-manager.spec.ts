import { EventEmitter } from 'node:events';
import { Configuration } from '@crawlee/core';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { fromEventManager } from '../../src/events/from-event-manager.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';

describe('fromEventManager', () => {
  test('bridges an EventEmitter-like manager; data that does not fit is skipped; off on unsubscribe', () => {
    const emitter = new EventEmitter();
    const events: PlatformEvent[] = [];
    const subscription = fromEventManager(emitter).subscribe((e) => events.push(e));
    emitter.emit('migrating', { timeRemainingSecs: 9 });
    emitter.emit('persistState', { isMigrating: 'nope' });
    emitter.emit('somethingElse', {});
    emitter.emit('aborting');
    expect(events).toEqual([
      { name: 'migrating', data: { timeRemainingSecs: 9 }, waitUntil: expect.any(Function) },
      { name: 'aborting', data: {}, waitUntil: expect.any(Function) },
    ]);
    subscription.unsubscribe();
    expect(emitter.eventNames()).toEqual([]);
  });

  test("follows Crawlee's own event manager, so a store persists when Crawlee says so", async () => {
    const manager = Configuration.getGlobalConfig().getEventManager();
    const records = new Map<string, string>();
    const store = await createPersistentStore({ key: 'CRAWLEE', initial: { n: 0 }, adapter: memoryAdapter({ records }), events: fromEventManager(manager), debounceMs: 60_000, maxWaitMs: 60_000 });
    store.update((s) => void s.n++);
    manager.emit('persistState', { isMigrating: false });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(JSON.parse(records.get('CRAWLEE')!).state).toEqual({ n: 1 });
    await store.close();
  });
});
