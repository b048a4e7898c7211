import { describeValue } from '../errors.js';
import type { SchemaIssue, StateSchema } from '../store/state-schema.js';

/**
 * The platform's event names, as the Apify platform sends them on its events socket.
 *
 * @example
 * events$.pipe(ofType(EventType.MIGRATING)).subscribe(() => console.log('moving soon'));
 */
export const EventType = {
  SYSTEM_INFO: 'systemInfo',
  MIGRATING: 'migrating',
  ABORTING: 'aborting',
  PERSIST_STATE: 'persistState',
  EXIT: 'exit',
} as const;

/**
 * The name of a platform event: `'systemInfo'`, `'migrating'`, `'aborting'`, `'persistState'` or `'exit'`.
 *
 * @example
 * const urgent: EventName[] = ['migrating', 'aborting'];
 * events$.pipe(ofType(...urgent)).subscribe(({ name }) => console.log(`${name}: writing now`));
 */
export type EventName = (typeof EventType)[keyof typeof EventType];

/** Fields the platform may add later are kept, unchecked. */
interface Extensible {
  readonly [field: string]: unknown;
}

/**
 * Resource readings: CPU in percent of the job's share, memory in bytes.
 *
 * @example
 * const overloaded = (data: SystemInfoData): boolean => data.isCpuOverloaded === true || (data.memCurrentBytes ?? 0) > 0.9 * (data.memMaxBytes ?? Infinity);
 */
export interface SystemInfoData extends Extensible {
  readonly cpuCurrentUsage?: number;
  readonly isCpuOverloaded?: boolean;
  readonly memCurrentBytes?: number;
  readonly memTotalBytes?: number;
  readonly memMaxBytes?: number;
  readonly createdAt?: string;
}

/**
 * The payload of each event, by name.
 *
 * @example
 * const secondsLeft = (data: EventDataMap['migrating']): number => data.timeRemainingSecs ?? 30;
 */
export interface EventDataMap {
  readonly systemInfo: SystemInfoData;
  readonly migrating: Extensible & { readonly timeRemainingSecs?: number };
  readonly aborting: Extensible;
  /** `isMigrating` is false when the platform leaves it out. */
  readonly persistState: Extensible & { readonly isMigrating: boolean };
  readonly exit: Extensible & { readonly exitCode?: number };
}

type Kind = 'number' | 'non-negative number' | 'integer' | 'boolean' | 'string';

const KINDS: Record<Kind, (value: unknown) => boolean> = {
  number: (value) => typeof value === 'number' && Number.isFinite(value),
  'non-negative number': (value) => typeof value === 'number' && Number.isFinite(value) && value >= 0,
  integer: (value) => Number.isSafeInteger(value),
  boolean: (value) => typeof value === 'boolean',
  string: (value) => typeof value === 'string',
};

/** Each event's known fields; all optional on the wire. Hand-written: zod here would be most of a browser bundle. */
const FIELDS: { readonly [N in EventName]: Readonly<Record<string, Kind>> } = {
  systemInfo: {
    cpuCurrentUsage: 'number',
    isCpuOverloaded: 'boolean',
    memCurrentBytes: 'number',
    memTotalBytes: 'number',
    memMaxBytes: 'number',
    createdAt: 'string',
  },
  migrating: { timeRemainingSecs: 'non-negative number' },
  aborting: {},
  persistState: { isMigrating: 'boolean' },
  exit: { exitCode: 'integer' },
};

const DEFAULTS: { readonly [N in EventName]?: Partial<EventDataMap[N]> } = { persistState: { isMigrating: false } };

function validator<N extends EventName>(name: N): StateSchema<EventDataMap[N]> {
  const fail = (issue: SchemaIssue) => ({ success: false as const, error: { issues: [issue] } });
  return {
    safeParse(data) {
      // The platform may send `null` or no data for events without a payload.
      const given = data ?? {};
      if (typeof given !== 'object' || Array.isArray(given))
        return fail({ path: [], message: `expected an object, got ${Array.isArray(given) ? 'an array' : typeof given}` });
      for (const [field, kind] of Object.entries(FIELDS[name])) {
        const value = (given as Record<string, unknown>)[field];
        if (value !== undefined && !KINDS[kind](value))
          return fail({ path: [field], message: `expected ${kind === 'integer' ? 'an' : 'a'} ${kind}, got ${describeValue(value)}` });
      }
      const parsed: Record<string, unknown> = { ...given };
      for (const [field, value] of Object.entries(DEFAULTS[name] ?? {})) parsed[field] ??= value;
      return { success: true, data: parsed as EventDataMap[N] };
    },
  };
}

/**
 * A validator of each event's data, with zod's `safeParse` shape: known fields checked, unknown
 * fields kept (the platform may add some), `null` or no data read as `{}`. Internal: the sources
 * apply them (see `parsePlatformEvent`); the package exports only the types they check.
 *
 * @example
 * eventDataSchemas.migrating.safeParse({ timeRemainingSecs: 30 }); // { success: true, data: { timeRemainingSecs: 30 } }
 */
// Marked pure, so that a bundle which never validates an event (a page) leaves them out.
export const eventDataSchemas: { readonly [N in EventName]: StateSchema<EventDataMap[N]> } = {
  systemInfo: /* @__PURE__ */ validator('systemInfo'),
  migrating: /* @__PURE__ */ validator('migrating'),
  aborting: /* @__PURE__ */ validator('aborting'),
  persistState: /* @__PURE__ */ validator('persistState'),
  exit: /* @__PURE__ */ validator('exit'),
};

/**
 * One platform event: `{ name, data }`, the wire format of the Apify events socket.
 *
 * @example
 * const onPersist = (event: PlatformEvent<'persistState'>) => event.waitUntil?.(store.flush());
 * events$.pipe(ofType('persistState')).subscribe(onPersist);
 */
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
