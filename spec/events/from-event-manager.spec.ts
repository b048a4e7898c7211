import { EventEmitter } from 'node:events';
import { Configuration } from '@crawlee/core';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { fromEventManager } from '../../src/events/from-event-manager.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import * as path from 'node:path';
import { killAll, outputOf, startFixture } from '../support/processes.js';
import { readStoredState } from '../support/stored-state.js';
import { useTempDir } from '../support/temp-dir.js';

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
    const store = await createPersistentStore({
      key: 'CRAWLEE',
      initial: { n: 0 },
      adapter: memoryAdapter({ records }),
      events: fromEventManager(manager),
      debounceMs: 60_000,
      maxWaitMs: 60_000,
    });
    store.update((s) => void s.n++);
    manager.emit('persistState', { isMigrating: false });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(JSON.parse(records.get('CRAWLEE')!).state).toEqual({ n: 1 });
    await store.close();
  });
});

describe('Actor.exit() of the real Apify SDK waits for the final write', () => {
  const tempDir = useTempDir('actor-exit');
  afterEach(killAll);

  const runJob = (mode: 'bridge' | 'one-line' | 'none') => {
    const dir = tempDir();
    // Crawlee's own local storage goes to the temp folder too, never into the checkout.
    return {
      dir,
      result: outputOf(
        startFixture('actor-exit-job', [dir, mode], { CRAWLEE_STORAGE_DIR: path.join(dir, 'crawlee'), APIFY_LOCAL_STORAGE_DIR: path.join(dir, 'crawlee') }),
        60_000,
      ),
    };
  };

  test.each(['bridge', 'one-line'] as const)(
    '%s: the change made just before Actor.exit() is on disk',
    async (mode) => {
      const { dir, result } = runJob(mode);
      const { code, stdout } = await result;
      expect(stdout).toMatch(/^updated 3$/m);
      expect(code).toBe(0);
      expect(await readStoredState(dir, 'EXIT')).toEqual({ n: 3 });
    },
    60_000,
  );

  test('without either, the loss is not silent: an error on the Apify log names the way out', async () => {
    const { dir, result } = runJob('none');
    const { code, stdout, stderr } = await result;
    expect(code).toBe(0);
    expect(await readStoredState(dir, 'EXIT')).toBeUndefined();
    // Through the SDK's own log (its level word first), not a bare console line.
    expect(`${stdout}${stderr}`).toMatch(
      /ERROR(\x1b\[\d+m)?\s+rx-persistent-store: The process ended with 3 changes of "EXIT" not yet written .*fromEventManager\(Actor\.config\.getEventManager\(\)\)/,
    );
  }, 60_000);
});
