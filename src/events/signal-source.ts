import { Observable } from 'rxjs';
import type { PlatformEvent } from './event-types.js';

const SIGNALS = { SIGTERM: 15, SIGINT: 2 } as const;

export interface SignalSourceOptions {
  /** How long the `aborting` and `exit` steps each wait for the work handed to `waitUntil`. */
  readonly shutdownTimeoutMs: number;
  /** Ends the process; replaced only in tests. */
  readonly exit?: (code: number) => void;
}

/**
 * SIGTERM and SIGINT as events. The first signal emits `aborting` and waits for the work
 * listeners hand to `waitUntil` (stores flush), then emits `exit` and waits again (stores close),
 * then ends the process with the conventional code, 128 + the signal number. A second signal ends
 * it at once. The handlers exist only while someone subscribes.
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

    const onSignal = (signal: keyof typeof SIGNALS): void => {
      const code = 128 + SIGNALS[signal];
      if (shuttingDown) return exit(code);
      shuttingDown = true;
      void (async () => {
        await emitAndWait((waitUntil) => ({ name: 'aborting', data: {}, waitUntil }));
        await emitAndWait((waitUntil) => ({ name: 'exit', data: { exitCode: code }, waitUntil }));
        exit(code);
      })();
    };

    const handlers = Object.keys(SIGNALS).map((signal) => {
      const handler = () => onSignal(signal as keyof typeof SIGNALS);
      process.on(signal, handler);
      return [signal, handler] as const;
    });
    return () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
  });
}
