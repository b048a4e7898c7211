import { exhaustMap, map, merge, mergeAll, type Observable } from '../rx.js';
import { errorMessage } from '../errors.js';
import type { PlatformEvent, SystemInfoData } from './event-types.js';
import { systemInfoSampler } from './system-info.js';
import { unrefInterval } from './unref-interval.js';

export interface LocalSourceOptions {
  readonly persistStateIntervalMs: number;
  readonly systemInfoIntervalMs: number;
  /** Reports a failed reading; the event is then skipped, never the stream ended. */
  readonly onProblem: (message: string) => void;
  /** Takes one systemInfo reading. @default real readings (cgroup, else os) */
  readonly sample?: () => Promise<SystemInfoData>;
}

/**
 * Timed events for a job outside the platform: `persistState` at once and then every interval
 * (as the Apify SDK does locally), and `systemInfo` from real readings.
 */
export function localSource(options: LocalSourceOptions): Observable<PlatformEvent> {
  const sample = options.sample ?? systemInfoSampler();
  const persistState$ = unrefInterval(options.persistStateIntervalMs, { immediate: true }).pipe(
    map((): PlatformEvent => ({ name: 'persistState', data: { isMigrating: false } })),
  );
  const systemInfo$ = unrefInterval(options.systemInfoIntervalMs, { immediate: true }).pipe(
    // A slow reading skips ticks rather than piling up.
    exhaustMap(async (): Promise<PlatformEvent[]> => {
      try {
        return [{ name: 'systemInfo', data: await sample() }];
      } catch (error) {
        // The class name says what broke (a TypeError is a bug, an Error with EACCES is the machine).
        const kind = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
        options.onProblem(`systemInfo reading failed: ${kind}${errorMessage(error)}`);
        return [];
      }
    }),
    mergeAll(),
  );
  return merge(persistState$, systemInfo$);
}
