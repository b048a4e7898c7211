import type { PlatformEvent } from '../../events/event-types.js';
import { killAfterGrace, type LiveRun, type RunContext } from './live-run.js';
import type { Disruption } from './simulate.js';
import { warningOf } from './timeline-words.js';

/** What the platform does to a run: `migrate` and `abort` warn over the socket first, `kill` does not. */
export const DISRUPTION_KINDS = ['migrate', 'abort', 'kill'] as const;
export type DisruptionKind = (typeof DISRUPTION_KINDS)[number];

/** What came of a run's disruption, final once the run ended. */
export interface DisruptionOutcome {
  readonly happened: boolean;
  /** When it hit, in ms since the simulation started. */
  readonly atMs?: number;
}

/**
 * Sets the run's disruption to hit on its trigger (see `Disruption`): a warning only once the
 * run is connected to the events socket, since one sent earlier would be lost; a kill at once.
 */
export function armDisruption(context: RunContext, run: LiveRun, disruption: Disruption | undefined): DisruptionOutcome {
  const outcome: { happened: boolean; atMs?: number } = { happened: false };
  const hit = (kind: DisruptionKind): void => {
    if (run.timers.ended || outcome.happened) return;
    outcome.happened = true;
    outcome.atMs = Date.now() - context.started;
    disrupt(context, run, kind);
  };
  if (disruption && 'onText' in disruption) {
    const { kind, onText } = disruption;
    run.output.onLine = (line) => {
      if (!line.includes(onText)) return;
      run.output.onLine = undefined;
      const waits = kind !== 'kill' && context.platform.server.connections === 0;
      context.log(`run ${run.number} printed ${JSON.stringify(onText)}${waits ? `; ${warningOf(kind)} waits until it connects to the events socket` : ''}`);
      if (waits) void run.connected.then(() => hit(kind));
      else hit(kind);
    };
  } else if (disruption?.kind === 'kill') {
    run.timers.later(disruption.afterSecs * 1000, () => hit('kill'));
  } else if (disruption) {
    const { kind, afterSecs } = disruption;
    void run.connected.then(() => run.timers.later(afterSecs * 1000, () => hit(kind)));
  }
  return outcome;
}

/** A kill without warning, like a crashed server; or `migrating`/`aborting`, then a kill after the grace time. */
function disrupt(context: RunContext, run: LiveRun, kind: DisruptionKind): void {
  const { log, graceSecs } = context;
  if (kind === 'kill') {
    log(`run ${run.number}: killing it without warning (SIGKILL), like a crashed server`);
    run.job.signal('SIGKILL');
    return;
  }
  const name = warningOf(kind);
  const data = kind === 'migrate' ? { timeRemainingSecs: graceSecs } : {};
  context.platform.announce({ name, data } as Pick<PlatformEvent, 'name' | 'data'>, kind === 'migrate' ? ` (timeRemainingSecs: ${graceSecs})` : '');
  log(`run ${run.number} is killed in ${graceSecs} s if still alive`);
  killAfterGrace(context, run, `${name} sent`);
}
