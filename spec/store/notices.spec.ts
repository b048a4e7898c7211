import { jest } from '@jest/globals';
import { firstValueFrom, filter, Subject } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import type { StorageAdapter } from '../../src/adapters/storage-adapter.js';
import { InvalidOptionError, UnserializableStateError } from '../../src/errors.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';
import type { StoreLogger } from '../../src/store/logger.js';

/** A logger that keeps its lines, each with its level. */
function recordingLogger(): StoreLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warning: (m) => void lines.push(`warning ${m}`), error: (m) => void lines.push(`error ${m}`), info: (m) => void lines.push(`info ${m}`) };
}

const open = <T>(initial: T, logger: StoreLogger | false, adapter: StorageAdapter = memoryAdapter()) =>
  createPersistentStore({ key: 'N', initial, adapter, events: new Subject<PlatformEvent>(), logger, debounceMs: 60_000, maxWaitMs: 60_000 });

const plainObject = (n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

describe('what the logger is told', () => {
  test('an update that copies a plain object of 10,000 entries: once per path, naming the path, the size, the cost and KeyedMap', async () => {
    const logger = recordingLogger();
    const store = await open({ seen: plainObject(10_000), small: plainObject(9_998), list: [] as number[] }, logger);
    store.update((s) => void (s.small.x = 1)); // 9,999 entries: not reported
    expect(logger.lines).toEqual([]);
    store.update((s) => void (s.seen.x = 1));
    store.update((s) => void (s.seen.y = 2));
    expect(logger.lines).toEqual([
      expect.stringMatching(
        /^warning rx-persistent-store: An update of "N" copied the plain object at seen \(10,001 entries; the update took [\d.]+ ms\).*use a KeyedMap/,
      ),
    ]);
    store.update((s) => void s.list.push(...Array.from({ length: 10_000 }, (_, i) => i)));
    store.update((s) => void s.list.push(1));
    expect(logger.lines[1]).toMatch(/copied the plain array at list \(10,000 entries/);
    expect(logger.lines).toHaveLength(2);
    await store.close();
  });

  test('a KeyedMap of any size is never reported', async () => {
    const logger = recordingLogger();
    const store = await open({ seen: new KeyedMap<number>(Object.entries(plainObject(20_000))) }, logger);
    store.update((s) => void s.seen.set('x', 1));
    expect(logger.lines).toEqual([]);
    await store.close();
  });

  test('a refused value: thrown to the caller, and logged once per kind of value', async () => {
    const logger = recordingLogger();
    const store = await open({ tags: [] as unknown[], byUrl: {} as Record<string, unknown> }, logger);
    for (let i = 0; i < 2; i++) expect(() => store.update((s) => void s.tags.push(new Date()))).toThrow(UnserializableStateError);
    expect(logger.lines).toEqual([expect.stringMatching(/^warning rx-persistent-store: An update of "N" was refused: Cannot store .* at tags\[0\]/)]);
    // The same mistake at a thousand paths (a Set per page) is one line, not a thousand.
    for (let i = 0; i < 1_000; i++) expect(() => store.update((s) => void (s.byUrl[`https://example.com/${i}`] = new Set()))).toThrow(UnserializableStateError);
    for (let i = 0; i < 3; i++) expect(() => store.update((s) => void (s.byUrl.big = BigInt(i)))).toThrow(UnserializableStateError);
    expect(logger.lines).toHaveLength(3);
    expect(logger.lines[1]).toMatch(/Cannot store a Set object at byUrl\["https:\/\/example.com\/0"\]/);
    expect(logger.lines[2]).toMatch(/Cannot store the BigInt 0n at byUrl\.big/);
    await store.close();
  });

  test("a state past 80 % of the adapter's limit: warned once, with the share and what the limit is", async () => {
    const logger = recordingLogger();
    const adapter: StorageAdapter = { ...memoryAdapter(), stateLimit: { bytes: 10_000, what: 'the test limit' } };
    const store = await open({ text: '' }, logger, adapter);
    store.update((s) => void (s.text = 'x'.repeat(5_000)));
    await store.flush();
    expect(logger.lines).toEqual([]);
    store.update((s) => void (s.text = 'x'.repeat(9_000)));
    await store.flush();
    store.update((s) => void (s.text += 'y'));
    await store.flush();
    expect(logger.lines).toEqual([
      expect.stringMatching(/^warning rx-persistent-store: The state of "N" is about [\d,]+ bytes, (8|9|1\d)\d % of the test limit \(10,000 bytes\)/),
    ]);
    await store.close();
  });

  test('logger: false writes nothing; anything else without warning() and error() is refused', async () => {
    const store = await open({ seen: plainObject(10_000) }, false);
    store.update((s) => void (s.seen.x = 1)); // would warn
    await store.close();
    await expect(open({}, console as unknown as StoreLogger)).rejects.toThrow(InvalidOptionError);
    await expect(open({}, console as unknown as StoreLogger)).rejects.toThrow(
      /warn\(\) \(the console\?\).*pass \{ warning: console\.warn, error: console\.error \}/,
    );
    await expect(open({}, { info: () => undefined } as unknown as StoreLogger)).rejects.toThrow(/expected false or an object with warning\(\) and error\(\)/);
  });
});

describe('a logger that throws', () => {
  const throwing: StoreLogger = {
    warning: () => {
      throw new Error('logger down');
    },
    error: () => {
      throw new Error('logger down');
    },
  };

  test('does not break update(): a large copy is still applied and written, a refused value still throws its own error', async () => {
    const records = new Map<string, string>();
    const store = await open({ seen: plainObject(10_000) } as { seen: Record<string, number>; at?: unknown }, throwing, memoryAdapter({ records }));
    const console = jest.spyOn(globalThis.console, 'warn').mockImplementation(() => undefined);
    try {
      store.update((s) => void (s.seen.x = 1)); // a large copy: logged
      expect(store.getState().seen.x).toBe(1);
      expect(() => store.update((s) => void (s.at = new Date()))).toThrow(UnserializableStateError);
      // What the logger could not take goes to the console: never silent.
      expect(console.mock.calls.map(([line]) => String(line))).toEqual([
        expect.stringMatching(/copied the plain object at seen/),
        expect.stringMatching(/was refused/),
      ]);
    } finally {
      console.mockRestore();
    }
    await store.close();
    const reopened = await open({ seen: {} as Record<string, number> }, false, memoryAdapter({ records }));
    expect(reopened.getState().seen.x).toBe(1);
    await reopened.close();
  });

  test('a failing write logged to it raises no uncaught error', async () => {
    let failing = true;
    const inner = memoryAdapter();
    const adapter: StorageAdapter = {
      ...inner,
      write: async (key, value) => {
        if (failing) throw new Error('backend down');
        return inner.write(key, value);
      },
    };
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const console = jest.spyOn(globalThis.console, 'error').mockImplementation(() => undefined);
    const info = jest.spyOn(globalThis.console, 'info').mockImplementation(() => undefined);
    try {
      const store = await open({ n: 0 }, throwing, adapter);
      store.update((s) => void s.n++);
      store.flush().catch(() => undefined);
      await firstValueFrom(store.status$.pipe(filter((s) => s.phase === 'error')));
      failing = false;
      await store.flush();
      await store.close();
      // rxjs throws a subscriber's error from a timer of its own: let it run.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(uncaught).toEqual([]);
      expect(console).toHaveBeenCalledWith(expect.stringMatching(/Could not write the state of "N"/));
      expect(info).toHaveBeenCalledWith(expect.stringMatching(/is written again/));
    } finally {
      process.off('uncaughtException', onUncaught);
      console.mockRestore();
      info.mockRestore();
    }
  });
});

describe('write-through after migrating or aborting', () => {
  test.each(['migrating', 'aborting'] as const)('after %s, each change is written without waiting for the debounce', async (name) => {
    const events = new Subject<PlatformEvent>();
    const records = new Map<string, string>();
    const store = await createPersistentStore({
      key: 'W',
      initial: { n: 0 },
      adapter: memoryAdapter({ records }),
      events,
      debounceMs: 60_000,
      maxWaitMs: 60_000,
      logger: false,
    });
    store.update((s) => void s.n++);
    events.next({ name, data: {} } as PlatformEvent);
    await firstValueFrom(store.status$.pipe(filter((s) => s.pending === 0)));
    for (let n = 2; n <= 4; n++) {
      store.update((s) => void s.n++);
      // Nothing but the write-through writes: the debounce is 60 s, and nobody flushes.
      await firstValueFrom(store.status$.pipe(filter((s) => s.pending === 0 && s.phase === 'idle')));
      const reopened = await createPersistentStore({
        key: 'W',
        initial: { n: 0 },
        adapter: memoryAdapter({ records }),
        events: new Subject<PlatformEvent>(),
        logger: false,
      });
      expect(reopened.getState()).toEqual({ n });
      await reopened.close();
    }
    await store.close();
  });
});

describe('write timing', () => {
  const timed = (debounceMs: number, maxWaitMs: number): StorageAdapter => ({ ...memoryAdapter(), writeTiming: { debounceMs, maxWaitMs } });

  test("the adapter's writeTiming is the default; maxWaitMs alone caps the debounce", async () => {
    const slow = await createPersistentStore({
      key: 'T',
      initial: { n: 0 },
      adapter: timed(60_000, 60_000),
      events: new Subject<PlatformEvent>(),
      logger: false,
    });
    const capped = await createPersistentStore({
      key: 'T',
      initial: { n: 0 },
      adapter: timed(60_000, 60_000),
      events: new Subject<PlatformEvent>(),
      logger: false,
      maxWaitMs: 1,
    });
    slow.update((s) => void s.n++);
    capped.update((s) => void s.n++);
    await firstValueFrom(capped.status$.pipe(filter((s) => s.pending === 0)));
    expect(slow.getStatus().pending).toBe(1); // its 60 s debounce is still running
    await Promise.all([slow.close(), capped.close()]);
  });
});
