import { Observable, Subject } from '../rx.js';
import { writeLog, type StoreLogger } from './logger.js';

/**
 * Something the store noticed that the user must hear of even when nobody watches `status$`.
 * Never thrown.
 *
 * @example
 * store.diagnostics$.subscribe(({ type, key, message }: StoreDiagnostic) => alerts.send(`${key} ${type}: ${message}`));
 */
export interface StoreDiagnostic {
  /**
   * `storage-replaced`: the stored files were removed or replaced while the store was open; it
   * writes its whole state again. `lock-lost`: another writer took the key (a second run, an
   * auto-save of Crawlee's on the same key); the store writes nothing more. `write-failed`: a
   * write failed (once per episode, until a write lands). `write-recovered`: a write landed after
   * failures. `value-refused`: `update()` refused a value that is not plain JSON. `near-limit`: the
   * state is nearing its adapter's size limit. `large-copy`: an update copied a plain object or
   * array of 10,000 entries or more (a `KeyedMap` would not); an object is reported once per path,
   * as counting its keys again would cost each later update as much as a copy of them.
   * `unwritten-on-exit`: the process ended with changes not yet written.
   */
  readonly type: 'storage-replaced' | 'lock-lost' | 'write-failed' | 'write-recovered' | 'value-refused' | 'near-limit' | 'large-copy' | 'unwritten-on-exit';
  readonly key: string;
  readonly message: string;
  readonly error?: Error;
}

/** What every log line starts with, so a log search finds them all. */
const NOTICE_PREFIX = 'rx-persistent-store:';

const LEVELS: Record<StoreDiagnostic['type'], 'warning' | 'error' | 'info'> = {
  'storage-replaced': 'warning',
  'lock-lost': 'error',
  'write-failed': 'error',
  'write-recovered': 'info',
  'value-refused': 'warning',
  'near-limit': 'warning',
  'large-copy': 'warning',
  'unwritten-on-exit': 'error',
};

/**
 * Emits store diagnostics on `diagnostics$`, and writes the first of each episode to the logger
 * (a folder purged once, however many writes then notice it; one large copy per path), so that
 * nothing that happened to the stored data goes unseen. `settled(type)` ends the episode.
 *
 * @example
 * const notices = createNotices(undefined);
 * notices.report({ type: 'lock-lost', key, message: error.message, error });
 */
export function createNotices(logger: StoreLogger | false | undefined) {
  const subject = new Subject<StoreDiagnostic>();
  const open = new Set<string>();

  return {
    diagnostics$: subject.asObservable() as Observable<StoreDiagnostic>,
    /** `scope` splits a type into episodes of its own (a path, a limit). */
    report(diagnostic: StoreDiagnostic, scope = ''): void {
      const episode = `${diagnostic.type}\u0000${scope}`;
      const first = !open.has(episode);
      open.add(episode);
      subject.next(diagnostic);
      if (first) writeLog(logger, LEVELS[diagnostic.type], `${NOTICE_PREFIX} ${diagnostic.message}`);
    },
    /** The episode is over (the state was written whole again): the next one is logged again. */
    settled(type: StoreDiagnostic['type'], scope = ''): void {
      open.delete(`${type}\u0000${scope}`);
    },
    /** Whether an episode is under way. */
    isOpen: (type: StoreDiagnostic['type'], scope = ''): boolean => open.has(`${type}\u0000${scope}`),
    complete: (): void => subject.complete(),
  };
}

export type Notices = ReturnType<typeof createNotices>;
