import { EMPTY, innerFrom, merge, switchMap, type Observable } from '../rx.js';
import type { EventDiagnostic } from './event-diagnostic.js';
import type { ResolvedEventOptions } from './event-source.js';
import type { PlatformEvent } from './event-types.js';
import { signalSource } from './signal-source.js';

/**
 * The events of a Node process: SIGTERM/SIGINT (unless `signals: false`) plus timed local events
 * or the platform's socket. The sources are loaded when first used: `ws` only on the platform.
 */
export function nodeEventSource(
  o: ResolvedEventOptions & { readonly mode: 'local' | 'apify' },
  report: (diagnostic: EventDiagnostic) => void,
): Observable<PlatformEvent> {
  // Signal handlers go in at once; a signal must not slip in while the rest is loading.
  const signals = o.signals ? signalSource(o) : EMPTY;
  if (o.mode === 'local') {
    const onProblem = (message: string) => report({ type: 'reading-failed', message });
    return merge(signals, innerFrom(import('./local-source.js')).pipe(switchMap(({ localSource }) => localSource({ ...o, onProblem }))));
  }
  return merge(signals, innerFrom(import('./apify-socket-source.js')).pipe(switchMap(({ apifySocketSource }) => apifySocketSource({ ...o, report }))));
}
