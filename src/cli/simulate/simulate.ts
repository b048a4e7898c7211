import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PlatformEvent } from '../../events/event-types.js';
import { CommandError } from '../cli-error.js';
import { jobReadings } from './job-readings.js';
import { groupGone } from './process-group.js';
import { startJob, type JobExit, type JobProcess } from './job-process.js';
import { platformApi } from './platform-api.js';
import { startPlatformServer } from './platform-server.js';

/** What the platform does to a run: `migrate` and `abort` warn over the socket first, `kill` does not. */
export type DisruptionKind = 'migrate' | 'abort' | 'kill';

export interface Disruption {
  readonly kind: DisruptionKind;
  /** Seconds after the start of the run it hits. */
  readonly afterSecs: number;
}

export interface SimulateOptions {
  readonly command: string;
  readonly args?: readonly string[];
  /** One disruption per run, in order: the first hits run 1, the second run 2, and so on. @default [] */
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

export interface RunRecord {
  readonly run: number;
  readonly pid: number;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly exit: JobExit;
  /** The disruption of this run, with whether it happened before the job ended. */
  readonly disruption: (Disruption & { readonly happened: boolean }) | undefined;
  readonly rebootRequested: boolean;
}

export interface SimulationResult {
  readonly succeeded: boolean;
  /** The simulation was stopped from outside (`signal`). */
  readonly stopped: boolean;
  readonly runs: readonly RunRecord[];
  readonly restarts: number;
  readonly durationMs: number;
}

const describeExit = ({ code, signal }: JobExit): string => (signal ? `killed by ${signal}` : `exited with code ${code}`);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Runs a job the way the Apify platform does, on this machine: the platform's events socket and
 * the run's part of its API on 127.0.0.1, `persistState` and `systemInfo` on their timers, and
 * the disruptions asked for (`migrating` or `aborting`, then a kill after the grace time; or a
 * kill without warning). A disrupted or failed run is started again on the same storage until
 * the job exits 0 or the restarts run out.
 *
 * @example
 * const result = await simulate({ command: 'node', args: ['job.js'], disruptions: [{ kind: 'migrate', afterSecs: 5 }], log: console.log });
 * if (!result.succeeded) process.exitCode = 1;
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const disruptions = options.disruptions ?? [];
  const persistMs = (options.persistIntervalSecs ?? 60) * 1000;
  const systemInfoMs = (options.systemInfoIntervalSecs ?? 1) * 1000;
  const graceSecs = options.graceSecs ?? 10;
  const restarts = options.restarts ?? disruptions.length;
  const baseEnv = options.env ?? process.env;
  const storageDir = path.resolve(options.storageDir ?? (baseEnv.CRAWLEE_STORAGE_DIR || baseEnv.APIFY_LOCAL_STORAGE_DIR || './storage'));
  const log = options.log ?? (() => {});
  const commandLine = [options.command, ...(options.args ?? [])].join(' ');
  const started = Date.now();
  const runId = `simulated-${randomUUID().slice(0, 8)}`;
  const token = randomUUID();

  let current: { job: JobProcess; number: number; rebootRequested: boolean } | undefined;
  const reported = new Set<string>();
  const server = await startPlatformServer(
    platformApi({
      storageDir,
      runId,
      token,
      onReboot: () => {
        if (!current || current.rebootRequested) return;
        current.rebootRequested = true;
        log(`run ${current.number} asked for a reboot: killing it (SIGKILL), as the platform does`);
        current.job.signal('SIGKILL');
      },
      onStatusMessage: (message) => log(`run ${current?.number ?? '?'} status: ${message}`),
      onNotEmulated: (route) => {
        if (!reported.has(route)) log(`the job called ${route}, which the simulator does not emulate (answered 501)`);
        reported.add(route);
      },
    }),
  );
  /** Logs, then sends, so the timeline line comes before the job's reaction to it. */
  const announce = (event: Pick<PlatformEvent, 'name' | 'data'>, detail: string): void => {
    const reached = server.connections;
    const lost = reached === 0 ? ' (no job has connected yet: the warning is lost, as it would be on the platform)' : '';
    log(`sending ${event.name}${detail} to ${plural(reached, 'connection')}${lost}`);
    server.send(event);
  };

  const env = (run: number): NodeJS.ProcessEnv => ({
    ...baseEnv,
    APIFY_IS_AT_HOME: '1',
    ACTOR_ID: 'local-simulation',
    ACTOR_RUN_ID: runId,
    APIFY_ACTOR_RUN_ID: runId,
    APIFY_TOKEN: token,
    APIFY_API_BASE_URL: server.url,
    APIFY_API_PUBLIC_BASE_URL: server.url,
    ACTOR_EVENTS_WEBSOCKET_URL: server.socketUrl,
    APIFY_ACTOR_EVENTS_WS_URL: server.socketUrl,
    ACTOR_DEFAULT_KEY_VALUE_STORE_ID: 'default',
    ACTOR_DEFAULT_DATASET_ID: 'default',
    ACTOR_DEFAULT_REQUEST_QUEUE_ID: 'default',
    ACTOR_MEMORY_MBYTES: String(Math.floor(os.totalmem() / 2 ** 20)),
    CRAWLEE_STORAGE_DIR: storageDir,
    APIFY_LOCAL_STORAGE_DIR: storageDir,
    // A restarted run keeps its storage; Crawlee would empty it on start otherwise.
    CRAWLEE_PURGE_ON_START: '0',
    APIFY_PURGE_ON_START: '0',
    CRAWLEE_PERSIST_STATE_INTERVAL_MILLIS: String(persistMs),
    APIFY_PERSIST_STATE_INTERVAL_MILLIS: String(persistMs),
    RXPS_SIMULATED_RUN: String(run),
  });

  let stopped = false;
  let stopJob: (() => void) | undefined;
  const onStop = (): void => {
    if (stopped) return;
    stopped = true;
    stopJob?.();
  };
  options.signal?.addEventListener('abort', onStop);

  const runOnce = async (number: number, disruption: Disruption | undefined): Promise<RunRecord> => {
    let job: JobProcess;
    try {
      job = await startJob(options.command, options.args ?? [], env(number));
    } catch (error) {
      throw new CommandError(`cannot start ${JSON.stringify(options.command)}: ${(error as Error).message}`);
    }
    const run = { job, number, rebootRequested: false };
    current = run;
    const startedAtMs = Date.now() - started;
    log(`run ${number} started (pid ${job.pid}): ${commandLine}`);
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    const killAfterGrace = (why: string) =>
      timers.push(setTimeout(() => {
        if (!job.alive()) return;
        log(`run ${number}: ${why}; grace time over, killing it (SIGKILL)`);
        job.signal('SIGKILL');
      }, graceSecs * 1000));

    const readings = jobReadings(job.pid);
    void readings().catch(() => {}); // a first reading, so that the first event has a CPU figure
    timers.push(setInterval(() => announce({ name: 'persistState', data: { isMigrating: false } }, ''), persistMs));
    timers.push(setInterval(() => void readings().then((data) => server.send({ name: 'systemInfo', data }), () => {}), systemInfoMs));

    let happened = false;
    if (disruption) {
      timers.push(setTimeout(() => {
        happened = true;
        if (disruption.kind === 'kill') {
          log(`run ${number}: killing it without warning (SIGKILL), like a crashed server`);
          job.signal('SIGKILL');
          return;
        }
        const name = disruption.kind === 'migrate' ? 'migrating' : 'aborting';
        const data = disruption.kind === 'migrate' ? { timeRemainingSecs: graceSecs } : {};
        announce({ name, data } as Pick<PlatformEvent, 'name' | 'data'>, disruption.kind === 'migrate' ? ` (timeRemainingSecs: ${graceSecs})` : '');
        log(`run ${number} is killed in ${graceSecs} s if still alive`);
        killAfterGrace(`${name} sent`);
      }, disruption.afterSecs * 1000));
    }
    stopJob = () => {
      log(`stopping: SIGTERM to run ${number}, SIGKILL in ${graceSecs} s if still alive`);
      job.signal('SIGTERM');
      killAfterGrace('stopped');
    };
    if (stopped) stopJob();

    const exit = await job.exited;
    for (const timer of timers) clearTimeout(timer);
    stopJob = undefined;
    job.signal('SIGKILL'); // whatever the job left behind in its group
    if (!(await groupGone(job.pid, 5_000))) log(`run ${number}: processes of its group outlived SIGKILL for 5 s`);
    log(`run ${number} ${describeExit(exit)}`);
    if (disruption && !happened) log(`run ${number} ended before its ${disruption.kind} at ${disruption.afterSecs} s`);
    return {
      run: number,
      pid: job.pid,
      startedAtMs,
      endedAtMs: Date.now() - started,
      exit,
      disruption: disruption && { ...disruption, happened },
      rebootRequested: run.rebootRequested,
    };
  };

  const runs: RunRecord[] = [];
  let succeeded = false;
  try {
    log(`storage: ${storageDir}; platform API and events socket on ${server.url}`);
    for (let number = 1; ; number++) {
      const record = await runOnce(number, disruptions[number - 1]);
      runs.push(record);
      const interrupted = record.disruption?.happened === true || record.rebootRequested;
      if (stopped) break;
      if (!interrupted && record.exit.code === 0) {
        succeeded = true;
        break;
      }
      if (runs.length - 1 >= restarts) {
        log(`no restarts left (--restarts ${restarts})`);
        break;
      }
      log(`restarting on the same storage (restart ${runs.length} of ${restarts})`);
    }
  } finally {
    options.signal?.removeEventListener('abort', onStop);
    current = undefined;
    await server.close();
  }
  const result: SimulationResult = { succeeded, stopped, runs, restarts: runs.length - 1, durationMs: Date.now() - started };
  for (const line of summarize(result)) log(line);
  return result;
}

/** The closing lines: the outcome, then one line per run. */
export function summarize({ succeeded, stopped, runs, restarts, durationMs }: SimulationResult): string[] {
  const last = runs.at(-1);
  const outcome = succeeded ? 'the job finished (exit code 0)' : stopped ? 'stopped from outside' : `the job did not finish: its last run ${last ? describeExit(last.exit) : 'never started'}`;
  const lines = [`summary: ${outcome}; ${plural(runs.length, 'run')}, ${plural(restarts, 'restart')}, ${(durationMs / 1000).toFixed(1)} s`];
  for (const run of runs) {
    const what = run.disruption?.happened ? `${run.disruption.kind} at ${run.disruption.afterSecs} s, then ` : '';
    const reboot = run.rebootRequested ? 'asked for a reboot, then ' : '';
    lines.push(`  run ${run.run}: ${(run.startedAtMs / 1000).toFixed(1)}–${(run.endedAtMs / 1000).toFixed(1)} s, ${what}${reboot}${describeExit(run.exit)}`);
  }
  return lines;
}
