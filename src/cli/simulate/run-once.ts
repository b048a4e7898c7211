import { CommandError } from '../cli-error.js';
import { armDisruption } from './disruption.js';
import { startJob, type JobExit, type JobProcess } from './job-process.js';
import { jobReadings } from './job-readings.js';
import { groupGone } from './process-group.js';
import type { Disruption, RunRecord } from './simulate.js';
import { killAfterGrace, runTimers, type LiveRun, type RunContext, type RunTimers } from './live-run.js';
import { describeExit, describeTrigger } from './timeline-words.js';

/** Runs the job once: starts it, sends the platform's events and its disruption, and waits for it to end. */
export async function runOnce(context: RunContext, number: number, disruption: Disruption | undefined): Promise<RunRecord> {
  const { log, platform, started } = context;
  platform.server.disconnectAll(); // a socket the previous run left must not count as this run's
  const output: LiveRun['output'] = {};
  const job = await startRunJob(context, number, output);
  const current = platform.runStarted(job, number);
  const startedAtMs = Date.now() - started;
  log(`run ${number} started (pid ${job.pid}): ${context.commandLine}`);
  const timers = runTimers();
  const run: LiveRun = { number, job, timers, output, ...watchConnection(context, number, timers) };
  sendPlatformEvents(context, run);
  const outcome = armDisruption(context, run, disruption);
  context.stop.whileRunning(() => {
    log(`stopping: SIGTERM to run ${number}, SIGKILL in ${context.graceSecs} s if still alive`);
    job.signal('SIGTERM');
    killAfterGrace(context, run, 'stopped');
  });

  const exit = await job.exited;
  timers.end();
  output.onLine = undefined;
  context.stop.runEnded();
  await endRun(context, run, exit);
  if (disruption && !outcome.happened) {
    const why = disruption.kind !== 'kill' && !run.isConnected() ? ': it never connected to the events socket' : '';
    log(`run ${number} ended before its ${disruption.kind} (${describeTrigger(disruption)})${why}`);
  }
  return {
    run: number,
    pid: job.pid,
    startedAtMs,
    endedAtMs: Date.now() - started,
    exit,
    disruption: disruption && { ...disruption, happened: outcome.happened, ...(outcome.atMs !== undefined && { atMs: outcome.atMs }) },
    rebootRequested: current.rebootRequested,
  };
}

/** Starts the job with the run's environment, its output lines handed to `output.onLine` when watched. */
async function startRunJob(context: RunContext, number: number, output: LiveRun['output']): Promise<JobProcess> {
  try {
    return await startJob(context.command, context.args, context.env(number), context.watchOutput ? (line) => output.onLine?.(line) : undefined);
  } catch (error) {
    throw new CommandError(`cannot start ${JSON.stringify(context.command)}: ${(error as Error).message}`);
  }
}

/** Tells the timeline when the run connects to the events socket (unless it ended first). */
function watchConnection(context: RunContext, number: number, timers: RunTimers): Pick<LiveRun, 'connected' | 'isConnected'> {
  let isConnected = false;
  const connected = context.platform.server.whenConnected().then(() => {
    if (timers.ended) return;
    isConnected = true;
    context.log(`run ${number} connected to the events socket`);
  });
  return { connected, isConnected: () => isConnected };
}

/** `persistState` and `systemInfo` (with readings of the job's processes) on their timers, as the platform sends them. */
function sendPlatformEvents(context: RunContext, run: LiveRun): void {
  const { platform } = context;
  const readings = jobReadings(run.job.pid);
  void readings().catch(() => {}); // a first reading, so that the first event has a CPU figure
  run.timers.every(context.persistMs, () => platform.announce({ name: 'persistState', data: { isMigrating: false } }, ''));
  run.timers.every(
    context.systemInfoMs,
    () =>
      void readings().then(
        (data) => platform.server.send({ name: 'systemInfo', data }),
        () => {},
      ),
  );
}

/** Once the job exited: what it left in its group killed, its last output passed on, its exit told. */
async function endRun(context: RunContext, run: LiveRun, exit: JobExit): Promise<void> {
  const { log } = context;
  const { job, number } = run;
  job.signal('SIGKILL'); // whatever the job left behind in its group
  if (!(await groupGone(job.pid, 5_000))) log(`run ${number}: processes of its group outlived SIGKILL for 5 s`);
  // The job's last lines before the simulator's own (bounded: a process outside its group may hold the pipe).
  let bound: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([job.outputDone, new Promise((resolve) => (bound = setTimeout(resolve, 1_000)))]);
  clearTimeout(bound);
  log(`run ${number} ${describeExit(exit)}`);
  context.platform.runEnded(number);
}
