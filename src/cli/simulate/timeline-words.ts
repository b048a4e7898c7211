import type { JobExit } from './job-process.js';
import type { DisruptionKind } from './disruption.js';
import type { Disruption } from './simulate.js';

/** How the timeline names things: a job's exit, a count, a disruption's warning and trigger. */
export const describeExit = ({ code, signal }: JobExit): string => (signal ? `killed by ${signal}` : `exited with code ${code}`);
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
export const warningOf = (kind: DisruptionKind): string => (kind === 'migrate' ? 'migrating' : 'aborting');

/** What a disruption waits for, as the timeline says it. */
export function describeTrigger(disruption: Disruption): string {
  if ('onText' in disruption) return `on ${JSON.stringify(disruption.onText)}`;
  return `${disruption.afterSecs} s after the run ${disruption.kind === 'kill' ? 'started' : 'connected'}`;
}
