import type { QueueLoad } from './platform-api.js';
import type { SimulationResult } from './simulate.js';
import { describeExit, describeTrigger, plural } from './timeline-words.js';

/** The closing lines: the outcome, one line per run, then how much the request queues were asked (if at all). */
export function summarize({ succeeded, stopped, runs, restarts, durationMs }: SimulationResult, load: QueueLoad): string[] {
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
  if (load.calls > 0) lines.push(`  request queues: ${load.calls} calls answered, ${(load.busyMs / load.calls).toFixed(2)} ms each on average`);
  return lines;
}
