/**
 * The simulation's stop from outside (`SimulateOptions.signal`): it stops the run going, and a
 * run that starts after it came (its job was starting) is stopped as soon as it can be.
 */
export interface StopSwitch {
  readonly stopped: boolean;
  /** How to stop the run going, until `runEnded()`; called at once if the stop came already. */
  whileRunning(stopRun: () => void): void;
  runEnded(): void;
  /** Stops listening to the signal. */
  dispose(): void;
}

export function stopSwitch(signal: AbortSignal | undefined): StopSwitch {
  let stopped = false;
  let stopRun: (() => void) | undefined;
  const onStop = (): void => {
    if (stopped) return;
    stopped = true;
    stopRun?.();
  };
  signal?.addEventListener('abort', onStop);
  return {
    get stopped() {
      return stopped;
    },
    whileRunning(stop) {
      stopRun = stop;
      if (stopped) stop();
    },
    runEnded() {
      stopRun = undefined;
    },
    dispose() {
      signal?.removeEventListener('abort', onStop);
    },
  };
}
