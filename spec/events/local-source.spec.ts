import { jest } from '@jest/globals';
import type { Subscription } from 'rxjs';
import { createEventSource } from '../../src/events/event-source.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { localSource } from '../../src/events/local-source.js';

beforeEach(() => jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick'] }));
afterEach(() => jest.useRealTimers());

const names = (events: PlatformEvent[]) => events.map((e) => e.name);

describe('local source (virtual time)', () => {
  let subscription: Subscription | undefined;
  afterEach(() => subscription?.unsubscribe());

  test('persistState at once, then every interval; systemInfo every second', async () => {
    const events: PlatformEvent[] = [];
    const sample = async () => ({ cpuCurrentUsage: 1, memCurrentBytes: 2 });
    subscription = localSource({ persistStateIntervalMs: 5_000, systemInfoIntervalMs: 1_000, onProblem: () => undefined, sample }).subscribe((e) =>
      events.push(e),
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(names(events).filter((n) => n === 'persistState')).toHaveLength(1); // the immediate one
    await jest.advanceTimersByTimeAsync(12_000);
    expect(names(events).filter((n) => n === 'persistState')).toHaveLength(3); // 0, 5 s, 10 s
    expect(names(events).filter((n) => n === 'systemInfo')).toHaveLength(13); // 0 … 12 s
    expect(events.find((e) => e.name === 'persistState')).toEqual({ name: 'persistState', data: { isMigrating: false } });
    expect(events.find((e) => e.name === 'systemInfo')).toEqual({ name: 'systemInfo', data: { cpuCurrentUsage: 1, memCurrentBytes: 2 } });
    subscription.unsubscribe();
    expect(jest.getTimerCount()).toBe(0);
  });

  test('the interval comes from CRAWLEE_PERSIST_STATE_INTERVAL_MILLIS, then APIFY_PERSIST_STATE_INTERVAL_MILLIS, else 60 s', async () => {
    const persistStates = async (env: Record<string, string>, ms: number) => {
      Object.assign(process.env, env);
      const events: PlatformEvent[] = [];
      const sub = createEventSource({ mode: 'local', signals: false }).subscribe((e) => events.push(e));
      await jest.advanceTimersByTimeAsync(ms);
      sub.unsubscribe();
      for (const key of Object.keys(env)) delete process.env[key];
      return names(events).filter((n) => n === 'persistState').length;
    };
    expect(await persistStates({ CRAWLEE_PERSIST_STATE_INTERVAL_MILLIS: '2000', APIFY_PERSIST_STATE_INTERVAL_MILLIS: '500' }, 10_000)).toBe(6);
    expect(await persistStates({ APIFY_PERSIST_STATE_INTERVAL_MILLIS: '5000' }, 10_000)).toBe(3);
    expect(await persistStates({}, 120_000)).toBe(3);
    // Not a duration a timer can wait (it would fire every millisecond): the default instead.
    expect(await persistStates({ CRAWLEE_PERSIST_STATE_INTERVAL_MILLIS: 'Infinity' }, 120_000)).toBe(3);
    expect(await persistStates({ CRAWLEE_PERSIST_STATE_INTERVAL_MILLIS: '3000000000' }, 120_000)).toBe(3);
  });

  test('a failed reading is reported and skipped; the stream goes on', async () => {
    const problems: string[] = [];
    const events: PlatformEvent[] = [];
    let call = 0;
    const sample = async () => {
      call++;
      if (call === 2) throw new Error('EACCES /sys/fs/cgroup/memory.current');
      if (call === 4) throw new TypeError('a bug');
      return { cpuCurrentUsage: call };
    };
    subscription = localSource({ persistStateIntervalMs: 60_000, systemInfoIntervalMs: 1_000, onProblem: (m) => problems.push(m), sample }).subscribe((e) =>
      events.push(e),
    );
    await jest.advanceTimersByTimeAsync(3_000);
    expect(events.filter((e) => e.name === 'systemInfo').map((e) => e.data)).toEqual([{ cpuCurrentUsage: 1 }, { cpuCurrentUsage: 3 }]);
    expect(problems).toEqual(['systemInfo reading failed: EACCES /sys/fs/cgroup/memory.current', 'systemInfo reading failed: TypeError: a bug']);
  });

  test('bad options get a typed error naming them', async () => {
    expect(() => createEventSource({ mode: 'local', persistStateIntervalMs: 0 })).toThrow(/"persistStateIntervalMs": expected a duration/);
    for (const name of ['systemInfoIntervalMs', 'shutdownTimeoutMs', 'reconnectDelayMs', 'maxReconnectDelayMs', 'handshakeTimeoutMs'] as const) {
      for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => createEventSource({ [name]: bad })).toThrow(new RegExp(`"${name}": expected a duration in ms .*, got ${bad}$`));
      }
    }
    expect(() => createEventSource({ mode: 'cloud' as never })).toThrow(/"mode"/);
    const error = await new Promise((resolve) => createEventSource({ mode: 'apify', url: '' }).subscribe({ error: resolve }));
    expect(String(error)).toMatch(/"url": apify mode needs the socket URL/);
  });
});
