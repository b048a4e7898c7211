import { once } from 'node:events';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';
import { signalSource } from '../../src/events/signal-source.js';
import { kill, killAll, outputOf, startFixture, waitForLine } from '../support/processes.js';
import { readStoredState } from '../support/stored-state.js';
import { startPlatformServer } from '../support/platform-server.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('signals');

describe('signals', () => {
  test.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    '%s in the middle of a debounce: the last update is on disk, the process exits by itself with %i',
    async (signal, code) => {
      const child = startFixture('signal-store', [tempDir(), 'ok']);
      await waitForLine(child, /^updated 5$/); // five updates waiting for a 60 s debounce
      expect(await kill(child, signal)).toBe(code);
      expect(await readStoredState(tempDir(), 'SIGNAL')).toEqual({ n: 5 });
    },
    20_000,
  );

  test('a second signal ends the process at once, even while a flush hangs', async () => {
    const child = startFixture('signal-store', [tempDir(), 'hang']);
    await waitForLine(child, /^updated 5$/);
    const exited = once(child, 'exit');
    process.kill(child.pid!, 'SIGTERM'); // the flush hangs; the shutdown would wait 60 s
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(child.exitCode).toBeNull();
    process.kill(child.pid!, 'SIGTERM');
    const [exitCode] = (await exited) as [number];
    expect(exitCode).toBe(143);
  }, 20_000);

  test('several event sources: the process ends once every one of them has written its stores, not when the first is done', async () => {
    const child = startFixture('two-sources-store', [tempDir()]);
    await waitForLine(child, /^updated 5 5$/);
    expect(await kill(child, 'SIGTERM')).toBe(143);
    expect(await readStoredState(tempDir(), 'FAST')).toEqual({ n: 5 });
    expect(await readStoredState(tempDir(), 'SLOW')).toEqual({ n: 5 });
  }, 20_000);

  test('handlers exist only while someone listens', () => {
    const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const subscription = signalSource({ shutdownTimeoutMs: 1 }).subscribe();
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before.map((n) => n + 1));
    subscription.unsubscribe();
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
  });
});

describe('events$ never keeps a process alive on its own', () => {
  test('local mode: timers and signal handlers', async () => {
    const child = startFixture('events-child', []);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
  }, 20_000);

  test('apify mode: an open platform socket', async () => {
    const server = await startPlatformServer();
    try {
      const child = startFixture('events-child', [], { ACTOR_EVENTS_WEBSOCKET_URL: server.url });
      const exited = once(child, 'exit');
      await server.connected();
      server.send({ name: 'persistState', data: { isMigrating: false } });
      await waitForLine(child, /^event persistState$/).catch(() => undefined); // it may exit first
      const [code] = (await exited) as [number];
      expect(code).toBe(0);
    } finally {
      await server.stop();
    }
  }, 20_000);
});

describe('a signal someone else handles', () => {
  afterEach(killAll);

  test("Ctrl-C in a real CheerioCrawler: Crawlee's graceful pause ends the run with its own code, and every page counted is on disk", async () => {
    const dir = tempDir();
    const child = startFixture('crawlee-sigint-job', [dir], { CRAWLEE_STORAGE_DIR: path.join(dir, 'crawlee') });
    const result = outputOf(child, 60_000);
    await waitForLine(child, /^page 10$/, 60_000);
    process.kill(child.pid!, 'SIGINT');
    const { code, stdout } = await result;
    expect(code).toBe(0); // not 130: the process was Crawlee's to end
    expect(stdout).toMatch(/Final request statistics/);
    const after = Number(/^after run (\d+)$/m.exec(stdout)?.[1]);
    expect(after).toBeGreaterThanOrEqual(10);
    const stored = await readStoredState<{ pages: { size?: number } }>(dir, 'PAGES');
    const reopened = await createPersistentStore({ key: 'PAGES', initial: { pages: new KeyedMap<true>() }, adapter: fileAdapter({ dir }), events: EMPTY });
    expect(stored).toBeDefined();
    expect(reopened.getState().pages.size).toBe(after);
    await reopened.close();
  }, 90_000);

  test('a handler of the job itself: stores write at once, the process is not ended for it', () => {
    const exits: number[] = [];
    const events: string[] = [];
    const own = () => undefined;
    process.on('SIGTERM', own);
    const subscription = signalSource({ shutdownTimeoutMs: 1_000, exit: (code) => exits.push(code) }).subscribe((event) => events.push(event.name));
    try {
      process.emit('SIGTERM', 'SIGTERM');
      expect(events).toEqual(['aborting']);
      expect(exits).toEqual([]);
      // Our handlers run first, so that a handler registered with once() still counts.
      expect(process.listeners('SIGTERM').indexOf(own)).toBeGreaterThan(0);
    } finally {
      subscription.unsubscribe();
      process.off('SIGTERM', own);
    }
  });
});
