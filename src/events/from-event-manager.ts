import { Observable } from '../rx.js';
import { EventType, parsePlatformEvent, type PlatformEvent } from './event-types.js';

/** The part of an Apify SDK or Crawlee `EventManager` (or any EventEmitter) that is used. */
export interface EventManagerLike {
  on(event: string, listener: (data?: unknown) => unknown): unknown;
  off(event: string, listener: (data?: unknown) => unknown): unknown;
}

/**
 * Bridges an existing event manager, so that a store follows the events the Apify SDK or Crawlee
 * already receives. Events whose data does not fit the schema are skipped.
 *
 * Each listener returns a promise of the work the stores hand to the event's `waitUntil` (a write,
 * a close), which Crawlee's event manager waits for: `Actor.exit()`, `Actor.reboot()` and the end
 * of `crawler.run()` so wait for every store's final write.
 *
 * @example
 * import { Actor } from 'apify';
 * await Actor.init();
 * const store = await createPersistentStore({ key: 'STATE', initial: {}, events: fromEventManager(Actor.config.getEventManager()) });
 * // ... later: waits until the store's last change is written and the store is closed
 * await Actor.exit();
 */
export function fromEventManager(manager: EventManagerLike): Observable<PlatformEvent> {
  return new Observable<PlatformEvent>((subscriber) => {
    const listeners = Object.values(EventType).map((name) => {
      const listener = (data?: unknown): Promise<void> | undefined => {
        const parsed = parsePlatformEvent({ name, data });
        if (!('event' in parsed)) return undefined;
        const work: Promise<unknown>[] = [];
        subscriber.next({ ...parsed.event, waitUntil: (promise) => void work.push(promise) });
        return work.length === 0 ? undefined : Promise.allSettled(work).then(() => undefined);
      };
      manager.on(name, listener);
      return [name, listener] as const;
    });
    return () => {
      for (const [name, listener] of listeners) manager.off(name, listener);
    };
  });
}
