import { Observable } from '../rx.js';
import type { PlatformEvent } from './event-types.js';

const SIGNALS = { SIGTERM: 15, SIGINT: 2 } as const;
type SignalName = keyof typeof SIGNALS;

export interface SignalSourceOptions {
  /** How long the `aborting` and `exit` steps each wait for the work handed to `waitUntil`. */
  readonly shutdownTimeoutMs: number;
  /** Ends the process; replaced only in tests. */
  readonly exit?: (code: number) => void;
}

/** The handlers of every signal source, so that one never counts another as "someone else". */
const ours = new WeakSet<(...args: unknown[]) => void>();
/** Every source's shutdown under way: each ends the process only once all are done, not the first one. */
const shutdowns = new Set<Promise<void>>();

/**
 * SIGTERM and SIGINT as events. The first signal emits `aborting` and waits for the work
 * listeners hand to `waitUntil` (stores write, then write every later change at once).
 *
 * When nobody else handles the signal, it then emits `exit` and waits again (stores close), then
 * ends the process with the conventional code, 128 + the signal number (with several sources,
 * once every one has closed its stores); a second signal ends it
 * at once. When someone else does (Crawlee's graceful pause on SIGINT, the job's own handler),
 * the process is theirs to end: nothing more is done. Our handlers run first, so that a handler
 * registered with `once` still counts (one put before ours with `prependOnceListener` after we
 * subscribed is gone by the time we look, and is missed). They exist only while someone subscribes.
 */
export function signalSource({ shutdownTimeoutMs, exit = (code) => process.exit(code) }: SignalSourceOptions): Observable<PlatformEvent> {
  return new Observable<PlatformEvent>((subscriber) => {
    let shuttingDown = false;

    const emitAndWait = async (event: (waitUntil: (work: Promise<unknown>) => void) => PlatformEvent): Promise<void> => {
      const work: Promise<unknown>[] = [];
      subscriber.next(event((promise) => void work.push(promise)));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, shutdownTimeoutMs)));
      await Promise.race([Promise.allSettled(work), deadline]);
      clearTimeout(timer);
    };

    const onSignal = (signal: SignalName): void => {
      const code = 128 + SIGNALS[signal];
      if (shuttingDown) return exit(code);
      const someoneElse = process.listeners(signal).some((listener) => !ours.has(listener as (...args: unknown[]) => void));
      if (someoneElse) {
        void emitAndWait((waitUntil) => ({ name: 'aborting', data: {}, waitUntil }));
        return;
      }
      shuttingDown = true;
      const done = (async () => {
        await emitAndWait((waitUntil) => ({ name: 'aborting', data: {}, waitUntil }));
        await emitAndWait((waitUntil) => ({ name: 'exit', data: { exitCode: code }, waitUntil }));
      })();
      shutdowns.add(done);
      void (async () => {
        await done;
        shutdowns.delete(done);
        // Every source's handler ran in this same signal's turn: all their shutdowns are in the set.
        await Promise.allSettled([...shutdowns]);
        exit(code);
      })();
    };

    const handlers = (Object.keys(SIGNALS) as SignalName[]).map((signal) => {
      const handler = () => onSignal(signal);
      ours.add(handler);
      process.prependListener(signal, handler);
      return [signal, handler] as const;
    });
    return () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
  });
}
