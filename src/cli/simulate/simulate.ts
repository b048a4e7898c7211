import * as path from 'node:path';
import { localStorageRoot } from '../../adapters/file-adapter.js';
import type { DisruptionKind } from './disruption.js';
import type { JobExit } from './job-process.js';
import type { RunContext } from './live-run.js';
import { runEnv } from './run-env.js';
import { runOnce } from './run-once.js';
import { startSimulatedPlatform } from './simulated-platform.js';
import { stopSwitch } from './stop-switch.js';
import { summarize } from './summary.js';
import { assertValidSimulateOptions } from './valid-options.js';

/**
 * When a disruption hits its run: after a time, or at a point in the job's work. A warning
 * (`migrate`, `abort`) is only ever sent to a job connected to the events socket, since one sent
 * earlier would be lost: its time counts from the run's connection, and a line printed before it
 * waits for it. A kill needs no socket: its time counts from the run's start.
 *
 * @example
 * const disruptions: Disruption[] = [
 *   { kind: 'migrate', onText: '100 pages done' }, // run 1: migrating, then killed after the grace time
 *   { kind: 'kill', afterSecs: 20 }, // run 2: killed without warning
 * ];
 */
export type Disruption =
  | {
      readonly kind: DisruptionKind;
      /** Seconds after the run connects to the events socket (`migrate`, `abort`) or starts (`kill`). */
      readonly afterSecs: number;
    }
  | {
      readonly kind: DisruptionKind;
      /** Hits when the job prints a line (stdout or stderr) containing this text. */
      readonly onText: string;
    };

/**
 * Options of `simulate`: the job's command, and what the platform does to its runs.
 *
 * @example
 * const options: SimulateOptions = {
 *   command: 'npx',
 *   args: ['tsx', 'main.ts'],
 *   disruptions: [{ kind: 'migrate', afterSecs: 30 }, { kind: 'kill', onText: '200 pages done' }],
 *   graceSecs: 5,
 *   log: console.log,
 * };
 */
export interface SimulateOptions {
  readonly command: string;
  readonly args?: readonly string[];
  /**
   * One disruption per run, in order: the first hits run 1, the second run 2, and so on. With any
   * `onText` among them, the job's output goes through this process (to its stdout and stderr),
   * for every run. @default []
   */
  readonly disruptions?: readonly Disruption[];
  /** How often `persistState` is sent. @default 60 (as on the platform) */
  readonly persistIntervalSecs?: number;
  /** How often `systemInfo` is sent, with readings of the job's processes. @default 1 */
  readonly systemInfoIntervalSecs?: number;
  /** Time between `migrating`/`aborting` and the kill (sent as `timeRemainingSecs`). @default 10 */
  readonly graceSecs?: number;
  /** How many times the job is started again after it stopped without exit code 0. @default one per disruption */
  readonly restarts?: number;
  /** The storage folder every run shares. @default CRAWLEE_STORAGE_DIR || APIFY_LOCAL_STORAGE_DIR || './storage' */
  readonly storageDir?: string;
  /** The job's environment, before the platform's variables are added. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives each timeline line. @default nothing is printed */
  readonly log?: (line: string) => void;
  /** Aborting it stops the simulation: SIGTERM to the job, SIGKILL after the grace time, no restart. */
  readonly signal?: AbortSignal;
}

/**
 * What happened to one run of the job.
 *
 * @example
 * for (const run of result.runs) console.log(`run ${run.run}: ${run.disruption?.kind ?? 'undisturbed'}, exit ${run.exit.code ?? run.exit.signal}`);
 */
export interface RunRecord {
  readonly run: number;
  readonly pid: number;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly exit: JobExit;
  /** The disruption of this run, with whether it happened before the job ended, and when (ms since the simulation started). */
  readonly disruption: (Disruption & { readonly happened: boolean; readonly atMs?: number }) | undefined;
  readonly rebootRequested: boolean;
}

/**
 * What `simulate` resolves to, once the job finished or the restarts ran out.
 *
 * @example
 * const { succeeded, runs, restarts } = await simulate(options);
 * console.log(`${runs.length} runs, ${restarts} restarts`);
 * if (!succeeded) process.exitCode = 1;
 */
export interface SimulationResult {
  readonly succeeded: boolean;
  /** The simulation was stopped from outside (`signal`). */
  readonly stopped: boolean;
  readonly runs: readonly RunRecord[];
  readonly restarts: number;
  readonly durationMs: number;
}

/**
 * Runs a job the way the Apify platform does, on this machine: the platform's events socket and
 * the run's part of its API on 127.0.0.1, `persistState` and `systemInfo` on their timers, and
 * the disruptions asked for (`migrating` or `aborting`, then a kill after the grace time; or a
 * kill without warning), each after a time or when the job prints a given text (see
 * `Disruption`). A disrupted or failed run is started again on the same storage until the job
 * exits 0 or the restarts run out. An option that is not what its type says is refused with
 * `InvalidOptionError` before anything starts.
 *
 * @example
 * const result = await simulate({ command: 'node', args: ['job.js'], disruptions: [{ kind: 'migrate', onText: 'page 100 done' }], log: console.log });
 * if (!result.succeeded) process.exitCode = 1;
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const settings = settingsOf(options);
  const { log, storageDir } = settings;
  const started = Date.now();
  const platform = await startSimulatedPlatform(storageDir, log);
  const stop = stopSwitch(options.signal);
  const context: RunContext = {
    ...settings,
    started,
    platform,
    stop,
    env: (run) => runEnv(settings.baseEnv, platform, storageDir, settings.persistMs, run),
  };
  let outcome: { runs: RunRecord[]; succeeded: boolean };
  try {
    log(`storage: ${storageDir}; platform API and events socket on ${platform.server.url}`);
    outcome = await runUntilDone(context, settings.disruptions, settings.restarts);
  } finally {
    stop.dispose();
    await platform.close();
  }
  const { runs, succeeded } = outcome;
  const result: SimulationResult = { succeeded, stopped: stop.stopped, runs, restarts: runs.length - 1, durationMs: Date.now() - started };
  for (const line of summarize(result, platform.api.queueLoad())) log(line);
  return result;
}

/** The options with their defaults. */
function settingsOf(options: SimulateOptions) {
  assertValidSimulateOptions(options);
  const disruptions = options.disruptions ?? [];
  const baseEnv = options.env ?? process.env;
  return {
    command: options.command,
    args: options.args ?? [],
    commandLine: [options.command, ...(options.args ?? [])].join(' '),
    disruptions,
    watchOutput: disruptions.some((disruption) => 'onText' in disruption),
    persistMs: (options.persistIntervalSecs ?? 60) * 1000,
    systemInfoMs: (options.systemInfoIntervalSecs ?? 1) * 1000,
    graceSecs: options.graceSecs ?? 10,
    restarts: options.restarts ?? disruptions.length,
    baseEnv,
    storageDir: options.storageDir === undefined ? localStorageRoot(baseEnv) : path.resolve(options.storageDir),
    log: options.log ?? (() => {}),
  };
}

/**
 * Runs the job, and again on the same storage after a disruption, a reboot or a failure, until it
 * exits 0 undisrupted, the restarts run out or the simulation is stopped.
 */
async function runUntilDone(context: RunContext, disruptions: readonly Disruption[], restarts: number): Promise<{ runs: RunRecord[]; succeeded: boolean }> {
  const runs: RunRecord[] = [];
  for (let number = 1; ; number++) {
    const record = await runOnce(context, number, disruptions[number - 1]);
    runs.push(record);
    const interrupted = record.disruption?.happened === true || record.rebootRequested;
    if (context.stop.stopped) return { runs, succeeded: false };
    if (!interrupted && record.exit.code === 0) return { runs, succeeded: true };
    if (runs.length - 1 >= restarts) {
      context.log(`no restarts left (--restarts ${restarts})`);
      return { runs, succeeded: false };
    }
    context.log(`restarting on the same storage (restart ${runs.length} of ${restarts})`);
  }
}
