import type { Observable, Subscription } from '../rx.js';
import type { PlatformEvent } from '../events/event-types.js';
import { nodeRuntime } from '../runtime/runtime.js';
import type { JournalWriter } from './journal-writer.js';
import type { Notices } from './notices.js';
import type { PersistencePipeline } from './persistence-pipeline.js';

/** What the platform's events act on. */
export interface EventTargets {
  readonly pipeline: Pick<PersistencePipeline, 'status' | 'writeNow' | 'writeThrough' | 'requestMaintenance'>;
  readonly writer: Pick<JournalWriter<unknown>, 'persistSync'>;
  /** The store's flush() and close(). */
  readonly flush: () => Promise<void>;
  readonly close: () => Promise<void>;
}

/** Follows the platform's events (see `onPlatformEvent`) until unsubscribed. */
export function followPlatformEvents(events: Observable<PlatformEvent>, targets: EventTargets): Subscription {
  return events.subscribe({
    next: (event: PlatformEvent) => onPlatformEvent(event, targets),
    error: () => undefined, // a broken event source must not take the store down
  });
}

function onPlatformEvent(event: PlatformEvent, { pipeline, writer, flush, close }: EventTargets): void {
  switch (event.name) {
    case 'persistState':
      // The page may be going away: an asynchronous write may never finish, so copy now too.
      if (event.data.isMigrating && pipeline.status().pending > 0) writer.persistSync();
      pipeline.writeNow();
      return event.waitUntil?.(flush().catch(() => undefined));
    case 'migrating':
      // Every change from now on is written at once: the machine may go away at any moment.
      // The journal is then folded into a snapshot, so the next start is quick.
      pipeline.writeThrough();
      pipeline.requestMaintenance();
      return event.waitUntil?.(flush().catch(() => undefined));
    case 'aborting':
      pipeline.writeThrough();
      return event.waitUntil?.(flush().catch(() => undefined));
    case 'exit': {
      const closed = close().catch(() => undefined); // a failure shows on status$; the shutdown goes on
      return event.waitUntil?.(closed);
    }
  }
}

export interface ExitCheckOptions {
  readonly key: string;
  readonly location: string;
  readonly pipeline: Pick<PersistencePipeline, 'status'>;
  readonly notices: Notices;
  /** Whether close() was called. */
  readonly closing: () => boolean;
}

/**
 * A process that ends with changes unwritten (process.exit, Actor.exit without waiting for the
 * store) says so (Node). Returns the function that stops the check, if there is one.
 */
export function warnUnwrittenOnExit({ key, location, pipeline, notices, closing }: ExitCheckOptions): (() => void) | undefined {
  return nodeRuntime()?.atExit(() => {
    const { pending } = pipeline.status();
    if (pending === 0) return;
    notices.report({
      type: 'unwritten-on-exit',
      key,
      message: `The process ended with ${pending} change${pending === 1 ? '' : 's'} of "${key}" not yet written to ${location}: they are lost. ${
        closing()
          ? 'close() could not write them (see why in the write-failed line before).'
          : 'Before the process ends, await store.close() (or store.flush()); with the Apify SDK, open the store with events: fromEventManager(Actor.config.getEventManager()) and Actor.exit() waits for it.'
      }`,
    });
  });
}
