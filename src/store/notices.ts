import { Observable, Subject } from 'rxjs';

/**
 * Something the store noticed about its storage that the user must hear of even when nobody
 * watches `status$`: its files were removed behind its back, it lost its lock, a write failed.
 * Never thrown.
 */
export interface StoreDiagnostic {
  /**
   * `storage-replaced`: the stored files were removed or replaced while the store was open; it
   * writes its whole state again. `lock-lost`: another process took the key; the store writes
   * nothing more. `write-failed`: a write failed (once per episode, until a write lands).
   */
  readonly type: 'storage-replaced' | 'lock-lost' | 'write-failed';
  readonly key: string;
  readonly message: string;
  readonly error: Error;
}

/** What every console line starts with, so a log search finds them all. */
const NOTICE_PREFIX = 'rx-persistent-store:';

/**
 * Emits store diagnostics on `diagnostics$`; while nobody subscribes, writes one console.warn
 * line per episode instead (a folder purged once, however many writes then notice it), so that
 * nothing that happened to the stored data goes unseen. `settled(type)` ends the episode.
 *
 * @example
 * const notices = createNotices();
 * notices.report({ type: 'lock-lost', key, message: error.message, error });
 */
export function createNotices(warn: (line: string) => void = (line) => console.warn(line)) {
  const subject = new Subject<StoreDiagnostic>();
  let subscribers = 0;
  const open = new Set<StoreDiagnostic['type']>();

  const diagnostics$ = new Observable<StoreDiagnostic>((subscriber) => {
    subscribers++;
    const inner = subject.subscribe(subscriber);
    return () => {
      subscribers--;
      inner.unsubscribe();
    };
  });

  return {
    diagnostics$,
    report(diagnostic: StoreDiagnostic): void {
      const first = !open.has(diagnostic.type);
      open.add(diagnostic.type);
      if (subscribers > 0) subject.next(diagnostic);
      else if (first) warn(`${NOTICE_PREFIX} ${diagnostic.message}`);
    },
    /** The episode of `type` is over (the state was written whole again): the next one is warned of again. */
    settled(type: StoreDiagnostic['type']): void {
      open.delete(type);
    },
    complete: (): void => subject.complete(),
  };
}

export type Notices = ReturnType<typeof createNotices>;
