import fc from 'fast-check';
import { EventType, eventDataSchemas, parsePlatformEvent, type EventName, type PlatformEvent } from '../../../src/events/event-types.js';
import { checkPollution, RUNS, sample, type Context } from './harness.js';
import { describeError, show } from './print.js';
import { edgeNumber } from './values.js';

// Family 5: platform event messages, given to parsePlatformEvent.

export const VALID_NAMES = Object.values(EventType) as EventName[];
export const eventField = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.string({ maxLength: 8 }),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
  edgeNumber,
);
const anything = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withTypedArray: true,
  withSparseArray: true,
});
export const rawEvent: fc.Arbitrary<unknown> = fc.oneof(
  anything,
  fc.record(
    {
      name: fc.oneof(
        fc.constantFrom<unknown>(...VALID_NAMES, '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'SYSTEM_INFO', 'Migrating', ''),
        fc.string({ maxLength: 12 }),
        anything,
      ),
      data: fc.oneof(
        anything,
        fc.record(
          {
            cpuCurrentUsage: eventField,
            isCpuOverloaded: eventField,
            memCurrentBytes: eventField,
            memTotalBytes: eventField,
            memMaxBytes: eventField,
            createdAt: eventField,
            timeRemainingSecs: eventField,
            isMigrating: eventField,
            exitCode: eventField,
          },
          { requiredKeys: [] },
        ),
        fc.constantFrom<unknown>(undefined, null, {}, [], 'x', 0),
      ),
    },
    { requiredKeys: [] },
  ),
  // Through JSON.parse, as the socket sees them: own __proto__ keys and all.
  fc
    .constantFrom(
      '{"name":"systemInfo","data":{"__proto__":{"isCpuOverloaded":"yes"}}}',
      '{"name":"persistState","data":{"__proto__":{"isMigrating":"no"}}}',
      '{"__proto__":{"name":"migrating"}}',
      '{"name":"exit","data":{"exitCode":1e400}}',
      '{"name":"migrating","data":{"timeRemainingSecs":-0}}',
      '{"name":"constructor","data":{}}',
    )
    .map((text) => JSON.parse(text) as unknown),
);

/** Why an event that parsePlatformEvent let through is not a valid event, or undefined. */
export function invalidEvent(event: PlatformEvent): string | undefined {
  if (!VALID_NAMES.includes(event.name)) return `unknown name ${show(event.name)}`;
  const again = eventDataSchemas[event.name].safeParse(event.data);
  if (!again.success) return `its data fails its own schema: ${show(event.data)}`;
  if (event.name === 'persistState' && typeof event.data.isMigrating !== 'boolean') return 'persistState without a boolean isMigrating';
  return undefined;
}

export async function events(ctx: Context, seed: number): Promise<void> {
  const { tally } = ctx;
  for (const raw of sample(rawEvent, seed, RUNS.events)) {
    tally.try('events');
    const input = show(raw, 200);
    try {
      const result = parsePlatformEvent(raw);
      const why = 'event' in result ? invalidEvent(result.event) : typeof result.problem === 'string' ? undefined : 'neither an event nor a problem';
      if (why) {
        tally.eventsWrong++;
        tally.note('events', 'parsePlatformEvent let a wrong event through', why, input);
      }
    } catch (error) {
      tally.crash('events');
      tally.note('events', 'parsePlatformEvent threw', describeError(error), input);
    }
    checkPollution(ctx, 'events', input);
  }
}
