import { filter, fromEvent, map, merge, type Observable } from '../rx.js';
import type { PlatformEvent } from './event-types.js';

/**
 * A page's lifecycle as events: hidden, `pagehide` and `freeze` each emit
 * `persistState { isMigrating: true }`: the page may never run again, so write now.
 */
export function browserSource(win: Window = window): Observable<PlatformEvent> {
  const doc = win.document;
  return merge(
    fromEvent(doc, 'visibilitychange').pipe(filter(() => doc.visibilityState === 'hidden')),
    fromEvent(win, 'pagehide'),
    fromEvent(doc, 'freeze'),
  ).pipe(map((): PlatformEvent => ({ name: 'persistState', data: { isMigrating: true } })));
}
