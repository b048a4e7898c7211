import { filter, type OperatorFunction } from '../rx.js';
import type { EventName, PlatformEvent } from './event-types.js';

/**
 * Keeps only the events with the given names, and narrows their type.
 *
 * @example
 * events$.pipe(ofType('migrating')).subscribe(({ data }) => console.log(data.timeRemainingSecs));
 */
export function ofType<N extends EventName>(...names: readonly N[]): OperatorFunction<PlatformEvent, Extract<PlatformEvent, { name: N }>> {
  return filter((event): event is Extract<PlatformEvent, { name: N }> => (names as readonly string[]).includes(event.name));
}
