import { describeValue, InvalidOptionError } from '../../errors.js';
import { isDuration, MAX_DURATION_MS } from '../../time/duration.js';
import { DISRUPTION_KINDS } from './disruption.js';
import type { SimulateOptions } from './simulate.js';

/**
 * Throws `InvalidOptionError` naming the first option of `simulate` that is not what its type
 * says, before anything starts: from JavaScript, a number for `storageDir` or an empty `command`
 * would otherwise fail deep inside, with Node's own TypeError or after the platform was up.
 *
 * @example assertValidSimulateOptions({ command: 'node', args: ['job.js'], graceSecs: 5 });
 */
export function assertValidSimulateOptions(options: SimulateOptions): void {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  const { command, args, disruptions, storageDir, env, log, signal, restarts } = options;
  if (typeof command !== 'string' || command.trim() === '') throw invalid('command', "the job's command, a non-empty string", command);
  if (args !== undefined && (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string'))) throw invalid('args', 'an array of strings', args);
  if (disruptions !== undefined && !Array.isArray(disruptions)) throw invalid('disruptions', 'an array', disruptions);
  disruptions?.forEach((disruption, i) => assertDisruption(`disruptions[${i}]`, disruption));
  assertSeconds('persistIntervalSecs', options.persistIntervalSecs);
  assertSeconds('systemInfoIntervalSecs', options.systemInfoIntervalSecs);
  assertSeconds('graceSecs', options.graceSecs, { allowZero: true });
  if (restarts !== undefined && !(Number.isSafeInteger(restarts) && restarts >= 0)) throw invalid('restarts', 'a whole number ≥ 0', restarts);
  if (storageDir !== undefined && (typeof storageDir !== 'string' || storageDir === ''))
    throw invalid('storageDir', 'a folder, a non-empty string', storageDir);
  if (env !== undefined && (typeof env !== 'object' || env === null)) throw invalid('env', 'an object of environment variables', env);
  if (log !== undefined && typeof log !== 'function') throw invalid('log', 'a function', log);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal', 'an AbortSignal', signal);
}

function assertDisruption(name: string, disruption: unknown): void {
  if (typeof disruption !== 'object' || disruption === null) throw invalid(name, '{ kind, afterSecs } or { kind, onText }', disruption);
  const { kind, afterSecs, onText } = disruption as { kind?: unknown; afterSecs?: unknown; onText?: unknown };
  if (typeof kind !== 'string' || !(DISRUPTION_KINDS as readonly string[]).includes(kind))
    throw invalid(`${name}.kind`, `one of ${DISRUPTION_KINDS.join(', ')}`, kind);
  if ((afterSecs === undefined) === (onText === undefined)) throw new InvalidOptionError(name, 'expected either afterSecs or onText (one of them)');
  if (afterSecs !== undefined) assertSeconds(`${name}.afterSecs`, afterSecs, { allowZero: true });
  // Looked for in each line the job prints: a text on two lines would never be found.
  if (onText !== undefined && (typeof onText !== 'string' || onText === '' || /[\r\n]/.test(onText)))
    throw invalid(`${name}.onText`, 'a non-empty text on one line', onText);
}

function assertSeconds(name: string, secs: unknown, { allowZero = false } = {}): void {
  if (secs === undefined || (typeof secs === 'number' && isDuration(secs * 1000, { allowZero }))) return;
  throw invalid(name, `a number of seconds (${allowZero ? '≥ 0' : '> 0'}, at most ${Math.floor(MAX_DURATION_MS / 1000)})`, secs);
}

const invalid = (name: string, expected: string, value: unknown): InvalidOptionError =>
  new InvalidOptionError(name, `expected ${expected}, got ${describeValue(value)}`);
