import { firstValueFrom, from, toArray } from 'rxjs';
import { EventType, eventDataSchemas, parsePlatformEvent, type PlatformEvent } from '../../src/events/event-types.js';
import { ofType } from '../../src/events/of-type.js';

describe('platform events', () => {
  test('EventType maps the SDK constants to the wire names', () => {
    expect(EventType).toEqual({ SYSTEM_INFO: 'systemInfo', MIGRATING: 'migrating', ABORTING: 'aborting', PERSIST_STATE: 'persistState', EXIT: 'exit' });
  });

  test.each([
    [
      { name: 'persistState', data: { isMigrating: true } },
      { name: 'persistState', data: { isMigrating: true } },
    ],
    [{ name: 'persistState' }, { name: 'persistState', data: { isMigrating: false } }],
    [
      { name: 'migrating', data: null },
      { name: 'migrating', data: {} },
    ],
    [
      { name: 'migrating', data: { timeRemainingSecs: 12.5 } },
      { name: 'migrating', data: { timeRemainingSecs: 12.5 } },
    ],
    [
      { name: 'aborting', data: null },
      { name: 'aborting', data: {} },
    ],
    [
      { name: 'exit', data: { exitCode: 1 } },
      { name: 'exit', data: { exitCode: 1 } },
    ],
    [
      { name: 'systemInfo', data: { cpuCurrentUsage: 12, isCpuOverloaded: false, memCurrentBytes: 5, memMaxBytes: 9, createdAt: 'x', extra: 1 } },
      { name: 'systemInfo', data: { cpuCurrentUsage: 12, isCpuOverloaded: false, memCurrentBytes: 5, memMaxBytes: 9, createdAt: 'x', extra: 1 } },
    ],
  ])('parses %j', (raw, event) => {
    expect(parsePlatformEvent(raw)).toEqual({ event });
  });

  test.each([
    ['hello', /not a \{ name, data \} object/],
    [{ data: {} }, /not a \{ name, data \} object/],
    [{ name: 'reboot' }, /unknown event "reboot"/],
    [{ name: 'toString' }, /unknown event "toString"/],
    [{ name: 'migrating', data: { timeRemainingSecs: 'soon' } }, /bad data for migrating at timeRemainingSecs/],
    [{ name: 'persistState', data: { isMigrating: 'yes' } }, /bad data for persistState at isMigrating/],
    [{ name: 'exit', data: { exitCode: 1.5 } }, /bad data for exit at exitCode/],
  ])('refuses %j', (raw, problem) => {
    const parsed = parsePlatformEvent(raw);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });

  test('ofType keeps the named events and narrows their type', async () => {
    const events: PlatformEvent[] = [
      { name: 'systemInfo', data: {} },
      { name: 'migrating', data: { timeRemainingSecs: 3 } },
      { name: 'exit', data: {} },
      { name: 'aborting', data: {} },
    ];
    const picked = await firstValueFrom(from(events).pipe(ofType('migrating', 'aborting'), toArray()));
    expect(picked.map((e) => e.name)).toEqual(['migrating', 'aborting']);
    const seconds = await firstValueFrom(from(events).pipe(ofType('migrating'), toArray()));
    // compiles only because ofType narrowed the data to the migrating payload
    expect(seconds.map((e) => e.data.timeRemainingSecs)).toEqual([3]);
  });

  test("safeParse never throws, as zod's does not: a value JSON cannot write (a cycle, a BigInt) is refused, and named briefly", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    // fromEventManager hands on whatever an event manager's listeners get, not only parsed JSON.
    expect(eventDataSchemas.systemInfo.safeParse({ createdAt: cycle })).toEqual({
      success: false,
      error: { issues: [{ path: ['createdAt'], message: 'expected a string, got an object' }] },
    });
    expect(eventDataSchemas.migrating.safeParse({ timeRemainingSecs: 10n })).toEqual({
      success: false,
      error: { issues: [{ path: ['timeRemainingSecs'], message: 'expected a non-negative number, got 10n' }] },
    });
    const problem = parsePlatformEvent({ name: 'exit', data: { exitCode: 'x'.repeat(100_000) } });
    expect('problem' in problem && problem.problem.length).toBeLessThan(200);
  });
});
