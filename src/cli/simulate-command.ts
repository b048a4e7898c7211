import { parseArgs } from 'node:util';
import { parseCount, parseSeconds, UsageError } from './cli-error.js';
import type { Disruption, SimulateOptions } from './simulate/simulate.js';

export const SIMULATE_USAGE = `usage: rx-persistent-store simulate [options] -- <command> [args…]

Runs <command> the way the Apify platform runs a job: its events socket and API on 127.0.0.1,
the run's environment, persistState and systemInfo events, and the disruptions you ask for.
A disrupted or failed run is started again on the same storage.

  --migrate-after SECS     send migrating (with timeRemainingSecs) SECS after the run connects to
                           the events socket (sent earlier, it would be lost); kill after the grace time
  --abort-after SECS       the same with aborting
  --kill-after SECS        kill with SIGKILL, no warning (a crashed server), SECS after the run starts
  --migrate-on TEXT        the same three, when the job prints a line containing TEXT (on stdout or
  --abort-on TEXT          stderr): paced by the job's own work, so a run goes the same way on a fast
  --kill-on TEXT           or a busy machine. A warning whose line comes before the job has connected
                           is sent when it connects. With any of these three, the job's output passes
                           through the simulator (the job writes to a pipe, not a terminal)
                           the six may repeat and mix: in the order given, the first hits run 1, the
                           next run 2, …
  --persist-interval SECS  how often persistState is sent (default 60)
  --grace SECS             time left after migrating/aborting before the kill (default 10)
  --restarts N             how often the job may be started again (default: one per disruption)
  --storage DIR            the storage every run shares (default $CRAWLEE_STORAGE_DIR or ./storage)`;

const AFTER_FLAGS = { 'migrate-after': 'migrate', 'abort-after': 'abort', 'kill-after': 'kill' } as const;
const ON_FLAGS = { 'migrate-on': 'migrate', 'abort-on': 'abort', 'kill-on': 'kill' } as const;

/** A text to wait for in the job's output: not empty, and on one line (it is looked for in one). */
function parseText(flag: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`--${flag}: expected a text to wait for in the job's output, got ""`);
  if (/[\r\n]/.test(value))
    throw new UsageError(`--${flag}: the text must be on one line (it is looked for in each line the job prints), got ${JSON.stringify(value)}`);
  return value;
}

/** Turns `simulate`'s arguments into options; every mistake is a one-line UsageError. */
export function parseSimulateArgs(argv: readonly string[]): SimulateOptions | 'help' {
  const dashes = argv.indexOf('--');
  const flags = dashes === -1 ? argv : argv.slice(0, dashes);
  const [command, ...args] = dashes === -1 ? [] : argv.slice(dashes + 1);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(flags);
  } catch (error) {
    throw new UsageError(`simulate: ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}`);
  }
  const { values, tokens, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`simulate: put the job's command after --, as in: simulate --migrate-after 5 -- ${positionals.join(' ')}`);
  if (command === undefined || command === '')
    throw new UsageError('simulate: no job command: give it after --, as in: simulate --migrate-after 5 -- node job.js');
  const disruptions: Disruption[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (token.name in AFTER_FLAGS) {
      const name = token.name as keyof typeof AFTER_FLAGS;
      disruptions.push({ kind: AFTER_FLAGS[name], afterSecs: parseSeconds(name, token.value, { allowZero: true }) });
    } else if (token.name in ON_FLAGS) {
      const name = token.name as keyof typeof ON_FLAGS;
      disruptions.push({ kind: ON_FLAGS[name], onText: parseText(name, token.value) });
    }
  }
  return {
    command,
    args,
    disruptions,
    ...(values['persist-interval'] !== undefined && { persistIntervalSecs: parseSeconds('persist-interval', values['persist-interval']) }),
    ...(values.grace !== undefined && { graceSecs: parseSeconds('grace', values.grace, { allowZero: true }) }),
    ...(values.restarts !== undefined && { restarts: parseCount('restarts', values.restarts) }),
    ...(values.storage !== undefined && { storageDir: values.storage }),
  };
}

function parse(flags: readonly string[]) {
  return parseArgs({
    args: [...flags],
    allowPositionals: true,
    tokens: true,
    options: {
      'migrate-after': { type: 'string', multiple: true },
      'abort-after': { type: 'string', multiple: true },
      'kill-after': { type: 'string', multiple: true },
      'migrate-on': { type: 'string', multiple: true },
      'abort-on': { type: 'string', multiple: true },
      'kill-on': { type: 'string', multiple: true },
      'persist-interval': { type: 'string' },
      grace: { type: 'string' },
      restarts: { type: 'string' },
      storage: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
