import { Observable } from 'rxjs';
import { EventType, parsePlatformEvent, type PlatformEvent } from './event-types.js';

/** The part of an Apify SDK or Crawlee `EventManager` (or any EventEmitter) that is used. */
export interface EventManagerLike {
  on(event: string, listener: (data?: unknown) => void): unknown;
  off(event: string, listener: (data?: unknown) => void): unknown;
}

/**
 * Bridges an existing event manager, so that a store follows the events the Apify SDK or Crawlee
 * already receives. Events whose data does not fit the schema are skipped.
 *
 * @example
 * import { Actor } from 'apify';
 * await Actor.init();
 * const store = await createPersistentStore({ key: 'STATE', initial: {}, events: fromEventManager(Actor.config.getEventManager()) });
 */
export function fromEventManager(manager: EventManagerLike): Observable<PlatformEvent> {
  return new Observable<PlatformEvent>((subscriber) => {
    const listeners = Object.values(EventType).map((name) => {
      const listener = (data?: unknown) => {
        const parsed = parsePlatformEvent({ name, data });
        if ('event' in parsed) subscriber.next(parsed.event);
      };
      manager.on(name, listener);
      return [name, listener] as const;
    });
    return () => {
      for (const [name, listener] of listeners) manager.off(name, listener);
    };
  });
}
