import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { localStorageRoot } from '../../adapters/file-adapter.js';
import type { PlatformEvent } from '../../events/event-types.js';
import { CommandError } from '../cli-error.js';
import { jobReadings } from './job-readings.js';
import { groupGone } from './process-group.js';
import { startJob, type JobExit, type JobProcess } from './job-process.js';
import { platformApi } from './platform-api.js';
import { startPlatformServer } from './platform-server.js';

/** What the platform does to a run: `migrate` and `abort` warn over the socket first, `kill` does not. */
type DisruptionKind = 'migrate' | 'abort' | 'kill';

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

const describeExit = ({ code, signal }: JobExit): string => (signal ? `killed by ${signal}` : `exited with code ${code}`);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const warningOf = (kind: DisruptionKind): string => (kind === 'migrate' ? 'migrating' : 'aborting');

/** What a disruption waits for, as the timeline says it. */
function describeTrigger(disruption: Disruption): string {
  if ('onText' in disruption) return `on ${JSON.stringify(disruption.onText)}`;
  return `${disruption.afterSecs} s after the run ${disruption.kind === 'kill' ? 'started' : 'connected'}`;
}

/**
 * Runs a job the way the Apify platform does, on this machine: the platform's events socket and
 * the run's part of its API on 127.0.0.1, `persistState` and `systemInfo` on their timers, and
 * the disruptions asked for (`migrating` or `aborting`, then a kill after the grace time; or a
 * kill without warning), each after a time or when the job prints a given text (see
 * `Disruption`). A disrupted or failed run is started again on the same storage until the job
 * exits 0 or the restarts run out.
 *
 * @example
 * const result = await simulate({ command: 'node', args: ['job.js'], disruptions: [{ kind: 'migrate', onText: 'page 100 done' }], log: console.log });
 * if (!result.succeeded) process.exitCode = 1;
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const disruptions = options.disruptions ?? [];
  const persistMs = (options.persistIntervalSecs ?? 60) * 1000;
  const systemInfoMs = (options.systemInfoIntervalSecs ?? 1) * 1000;
  const graceSecs = options.graceSecs ?? 10;
  const restarts = options.restarts ?? disruptions.length;
  const baseEnv = options.env ?? process.env;
  const storageDir = options.storageDir === undefined ? localStorageRoot(baseEnv) : path.resolve(options.storageDir);
  const log = options.log ?? (() => {});
  const commandLine = [options.command, ...(options.args ?? [])].join(' ');
  const watchOutput = disruptions.some((disruption) => 'onText' in disruption);
  const started = Date.now();
  const runId = `simulated-${randomUUID().slice(0, 8)}`;
  const token = randomUUID();

  let current: { job: JobProcess; number: number; rebootRequested: boolean } | undefined;
  const reported = new Set<string>();
  const api = platformApi({
    storageDir,
    runId,
    token,
    currentRun: () => current?.number,
    log,
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
  });
  const server = await startPlatformServer(api.handle);
  /** Logs, then sends, so the timeline line comes before the job's reaction to it. */
  const announce = (event: Pick<PlatformEvent, 'name' | 'data'>, detail: string): void => {
    const reached = server.connections;
    const lost = reached === 0 ? ' (no job is connected: it is lost, as it would be on the platform)' : '';
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
    server.disconnectAll(); // a socket the previous run left must not count as this run's
    let onLine: ((line: string) => void) | undefined;
    let job: JobProcess;
    try {
      job = await startJob(options.command, options.args ?? [], env(number), watchOutput ? (line) => onLine?.(line) : undefined);
    } catch (error) {
      throw new CommandError(`cannot start ${JSON.stringify(options.command)}: ${(error as Error).message}`);
    }
    const run = { job, number, rebootRequested: false };
    current = run;
    api.runStarted(number);
    const startedAtMs = Date.now() - started;
    log(`run ${number} started (pid ${job.pid}): ${commandLine}`);
    let ended = false;
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    const later = (ms: number, action: () => void): void => {
      if (!ended) timers.push(setTimeout(action, ms));
    };
    const killAfterGrace = (why: string) =>
      later(graceSecs * 1000, () => {
        if (!job.alive()) return;
        log(`run ${number}: ${why}; grace time over, killing it (SIGKILL)`);
        job.signal('SIGKILL');
      });
    let isConnected = false;
    const connected = server.whenConnected().then(() => {
      if (ended) return;
      isConnected = true;
      log(`run ${number} connected to the events socket`);
    });

    const readings = jobReadings(job.pid);
    void readings().catch(() => {}); // a first reading, so that the first event has a CPU figure
    timers.push(setInterval(() => announce({ name: 'persistState', data: { isMigrating: false } }, ''), persistMs));
    timers.push(
      setInterval(
        () =>
          void readings().then(
            (data) => server.send({ name: 'systemInfo', data }),
            () => {},
          ),
        systemInfoMs,
      ),
    );

    let happened = false;
    let atMs: number | undefined;
    const hit = (kind: DisruptionKind): void => {
      if (ended || happened) return;
      happened = true;
      atMs = Date.now() - started;
      if (kind === 'kill') {
        log(`run ${number}: killing it without warning (SIGKILL), like a crashed server`);
        job.signal('SIGKILL');
        return;
      }
      const name = warningOf(kind);
      const data = kind === 'migrate' ? { timeRemainingSecs: graceSecs } : {};
      announce({ name, data } as Pick<PlatformEvent, 'name' | 'data'>, kind === 'migrate' ? ` (timeRemainingSecs: ${graceSecs})` : '');
      log(`run ${number} is killed in ${graceSecs} s if still alive`);
      killAfterGrace(`${name} sent`);
    };
    if (disruption && 'onText' in disruption) {
      const { kind, onText } = disruption;
      onLine = (line) => {
        if (!line.includes(onText)) return;
        onLine = undefined;
        const waits = kind !== 'kill' && server.connections === 0;
        log(`run ${number} printed ${JSON.stringify(onText)}${waits ? `; ${warningOf(kind)} waits until it connects to the events socket` : ''}`);
        if (waits) void connected.then(() => hit(kind));
        else hit(kind);
      };
    } else if (disruption?.kind === 'kill') {
      later(disruption.afterSecs * 1000, () => hit('kill'));
    } else if (disruption) {
      const { kind, afterSecs } = disruption;
      void connected.then(() => later(afterSecs * 1000, () => hit(kind)));
    }
    stopJob = () => {
      log(`stopping: SIGTERM to run ${number}, SIGKILL in ${graceSecs} s if still alive`);
      job.signal('SIGTERM');
      killAfterGrace('stopped');
    };
    if (stopped) stopJob();

    const exit = await job.exited;
    ended = true;
    onLine = undefined;
    for (const timer of timers) clearTimeout(timer);
    stopJob = undefined;
    job.signal('SIGKILL'); // whatever the job left behind in its group
    if (!(await groupGone(job.pid, 5_000))) log(`run ${number}: processes of its group outlived SIGKILL for 5 s`);
    // The job's last lines before the simulator's own (bounded: a process outside its group may hold the pipe).
    let bound: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([job.outputDone, new Promise((resolve) => (bound = setTimeout(resolve, 1_000)))]);
    clearTimeout(bound);
    log(`run ${number} ${describeExit(exit)}`);
    api.runEnded(number);
    if (disruption && !happened) {
      const why = disruption.kind !== 'kill' && !isConnected ? ': it never connected to the events socket' : '';
      log(`run ${number} ended before its ${disruption.kind} (${describeTrigger(disruption)})${why}`);
    }
    return {
      run: number,
      pid: job.pid,
      startedAtMs,
      endedAtMs: Date.now() - started,
      exit,
      disruption: disruption && { ...disruption, happened, ...(atMs !== undefined && { atMs }) },
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
    api.close();
    await server.close();
  }
  const result: SimulationResult = { succeeded, stopped, runs, restarts: runs.length - 1, durationMs: Date.now() - started };
  for (const line of summarize(result)) log(line);
  const load = api.queueLoad();
  if (load.calls > 0) log(`  request queues: ${load.calls} calls answered, ${(load.busyMs / load.calls).toFixed(2)} ms each on average`);
  return result;
}

/** The closing lines: the outcome, then one line per run. */
function summarize({ succeeded, stopped, runs, restarts, durationMs }: SimulationResult): string[] {
  const last = runs.at(-1);
  const outcome = succeeded
    ? 'the job finished (exit code 0)'
    : stopped
      ? 'stopped from outside'
      : `the job did not finish: its last run ${last ? describeExit(last.exit) : 'never started'}`;
  const lines = [`summary: ${outcome}; ${plural(runs.length, 'run')}, ${plural(restarts, 'restart')}, ${(durationMs / 1000).toFixed(1)} s`];
  for (const run of runs) {
    const { disruption } = run;
    const what = disruption?.happened ? `${disruption.kind} at ${((disruption.atMs ?? 0) / 1000).toFixed(1)} s (${describeTrigger(disruption)}), then ` : '';
    const reboot = run.rebootRequested ? 'asked for a reboot, then ' : '';
    lines.push(`  run ${run.run}: ${(run.startedAtMs / 1000).toFixed(1)}–${(run.endedAtMs / 1000).toFixed(1)} s, ${what}${reboot}${describeExit(run.exit)}`);
  }
  return lines;
}
