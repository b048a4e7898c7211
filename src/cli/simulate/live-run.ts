import type { JobProcess } from './job-process.js';
import type { SimulatedPlatform } from './simulated-platform.js';
import type { StopSwitch } from './stop-switch.js';

/** What every run of one simulation shares: its settings, its platform, its outside stop. */
export interface RunContext {
  readonly command: string;
  readonly args: readonly string[];
  readonly commandLine: string;
  /** The job's output goes through this process, for disruptions `onText`. */
  readonly watchOutput: boolean;
  readonly persistMs: number;
  readonly systemInfoMs: number;
  readonly graceSecs: number;
  readonly log: (line: string) => void;
  /** `Date.now()` when the simulation started: the times of the run records count from it. */
  readonly started: number;
  readonly platform: SimulatedPlatform;
  readonly stop: StopSwitch;
  readonly env: (run: number) => NodeJS.ProcessEnv;
}

/** The timers of one run: none is set once the run ended, and all are cleared when it ends. */
export interface RunTimers {
  readonly ended: boolean;
  later(ms: number, action: () => void): void;
  every(ms: number, action: () => void): void;
  end(): void;
}

/** One run while it goes, as its steps share it. */
export interface LiveRun {
  readonly number: number;
  readonly job: JobProcess;
  readonly timers: RunTimers;
  /** Receives the job's output lines (with `watchOutput`): set while a disruption waits for a text. */
  readonly output: { onLine?: (line: string) => void };
  /** Resolves once the run connected to the events socket (never, if it does not). */
  readonly connected: Promise<void>;
  readonly isConnected: () => boolean;
}

/** Kills the run's job after the grace time, unless it ended by then. */
export function killAfterGrace(context: RunContext, run: LiveRun, why: string): void {
  run.timers.later(context.graceSecs * 1000, () => {
    if (!run.job.alive()) return;
    context.log(`run ${run.number}: ${why}; grace time over, killing it (SIGKILL)`);
    run.job.signal('SIGKILL');
  });
}

export function runTimers(): RunTimers {
  let ended = false;
  const timers: Array<ReturnType<typeof setTimeout>> = [];
  return {
    get ended() {
      return ended;
    },
    later(ms, action) {
      if (!ended) timers.push(setTimeout(action, ms));
    },
    every(ms, action) {
      timers.push(setInterval(action, ms));
    },
    end() {
      ended = true;
      for (const timer of timers) clearTimeout(timer);
    },
  };
}
