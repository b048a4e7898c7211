/** The platform's event names, as the Apify platform sends them on its events socket. */
export const EventType = {
  SYSTEM_INFO: 'systemInfo',
  MIGRATING: 'migrating',
  ABORTING: 'aborting',
  PERSIST_STATE: 'persistState',
  EXIT: 'exit',
} as const;

export type EventName = (typeof EventType)[keyof typeof EventType];

/** Resource readings the platform sends every few seconds. */
export interface SystemInfoData {
  readonly cpuCurrentUsage?: number;
  readonly isCpuOverloaded?: boolean;
  readonly memCurrentBytes?: number;
  readonly memTotalBytes?: number;
  readonly memMaxBytes?: number;
  readonly createdAt?: string;
}

/** The payload of each event, by name. */
export interface EventDataMap {
  readonly systemInfo: SystemInfoData;
  readonly migrating: { readonly timeRemainingSecs?: number };
  readonly aborting: Readonly<Record<string, unknown>>;
  readonly persistState: { readonly isMigrating: boolean };
  readonly exit: { readonly exitCode?: number };
}

/** One platform event: `{ name, data }`, the wire format of the Apify events socket. */
export type PlatformEvent<N extends EventName = EventName> = {
  [K in N]: { readonly name: K; readonly data: EventDataMap[K] };
}[N];
