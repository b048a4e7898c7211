import { z } from 'zod';

/** The platform's event names, as the Apify platform sends them on its events socket. */
export const EventType = {
  SYSTEM_INFO: 'systemInfo',
  MIGRATING: 'migrating',
  ABORTING: 'aborting',
  PERSIST_STATE: 'persistState',
  EXIT: 'exit',
} as const;

export type EventName = (typeof EventType)[keyof typeof EventType];

// The platform may send `null` or no data for events without a payload.
const orEmpty = <S extends z.ZodType>(schema: S) => z.preprocess((data) => data ?? {}, schema);

/** zod schemas of each event's data; unknown extra fields are kept, as the platform may add some. */
export const eventDataSchemas = {
  systemInfo: orEmpty(
    z.looseObject({
      cpuCurrentUsage: z.number().optional(),
      isCpuOverloaded: z.boolean().optional(),
      memCurrentBytes: z.number().optional(),
      memTotalBytes: z.number().optional(),
      memMaxBytes: z.number().optional(),
      createdAt: z.string().optional(),
    }),
  ),
  migrating: orEmpty(z.looseObject({ timeRemainingSecs: z.number().nonnegative().optional() })),
  aborting: orEmpty(z.looseObject({})),
  persistState: orEmpty(z.looseObject({ isMigrating: z.boolean().default(false) })),
  exit: orEmpty(z.looseObject({ exitCode: z.number().int().optional() })),
} as const;

/** Resource readings: CPU in percent of the job's share, memory in bytes. */
export type SystemInfoData = z.infer<typeof eventDataSchemas.systemInfo>;

/** The payload of each event, by name. */
export type EventDataMap = { readonly [N in EventName]: z.infer<(typeof eventDataSchemas)[N]> };

/** One platform event: `{ name, data }`, the wire format of the Apify events socket. */
export type PlatformEvent<N extends EventName = EventName> = {
  [K in N]: {
    readonly name: K;
    readonly data: EventDataMap[K];
    /**
     * Present where someone waits for the listeners: on the `aborting` and `exit` events raised
     * for a SIGTERM or SIGINT (the process waits, within the shutdown timeout, before it moves on
     * and exits), and on every event bridged by `fromEventManager` (the event manager waits, as
     * `Actor.exit()` does). Hand it a promise: a flush, a close.
     */
    readonly waitUntil?: (work: Promise<unknown>) => void;
  };
}[N];

/** Validates a raw `{ name, data }` message; returns the event or why it was refused. */
export function parsePlatformEvent(raw: unknown): { event: PlatformEvent } | { problem: string } {
  if (typeof raw !== 'object' || raw === null || typeof (raw as { name?: unknown }).name !== 'string') {
    return { problem: 'not a { name, data } object' };
  }
  const { name, data } = raw as { name: string; data?: unknown };
  if (!Object.hasOwn(eventDataSchemas, name)) return { problem: `unknown event ${JSON.stringify(name)}` };
  const result = eventDataSchemas[name as EventName].safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { problem: `bad data for ${name} at ${issue?.path.join('.') || 'the root'}: ${issue?.message}` };
  }
  return { event: { name, data: result.data } as PlatformEvent };
}
