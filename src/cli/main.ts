#!/usr/bin/env node
// The `rx-persistent-store` command. Every mistake ends in one line on stderr, never a stack trace;
// its own text goes out through printLine only, escaped.
import { CommandError, UsageError } from './cli-error.js';
import { runInspect } from './inspect-command.js';
import { parseSimulateArgs, SIMULATE_USAGE } from './simulate-command.js';
import { simulate } from './simulate/simulate.js';
import { timeline } from './simulate/timeline.js';
import { printLine } from './terminal.js';
import { readFileSync } from 'node:fs';

/** The package's version: package.json sits two folders up, from src/cli as from dist/cli. */
const version = (): string => (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const USAGE = `usage: rx-persistent-store <command>

  simulate [options] -- <command> [args…]   run a job as the Apify platform would, with migrations,
                                            aborts and kills (simulate --help)
  inspect <key-or-file> [--dir DIR] [--json] print what a store holds (inspect --help); on etcd,
                                            WebDAV or Apify with --etcd URL, --webdav URL, --apify
  --version                                 print the package's version`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    printLine('stdout', USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    printLine('stdout', version());
    return 0;
  }
  if (command === 'inspect') {
    printLine('stdout', await runInspect(rest));
    return 0;
  }
  if (command === 'simulate') {
    const options = parseSimulateArgs(rest);
    if (options === 'help') {
      printLine('stdout', SIMULATE_USAGE);
      return 0;
    }
    const stop = new AbortController();
    let signalled: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) process.exit(128 + (signal === 'SIGINT' ? 2 : 15)); // a second signal: at once
      signalled = signal;
      stop.abort();
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    const log = timeline((text) => process.stdout.write(text), Date.now, process.stdout.isTTY === true);
    const result = await simulate({ ...options, log, signal: stop.signal });
    if (signalled) return 128 + (signalled === 'SIGINT' ? 2 : 15);
    return result.succeeded ? 0 : 1;
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)}; expected simulate or inspect (--help for more)`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof UsageError || error instanceof CommandError;
    const hint = error instanceof UsageError ? ' (--help for usage)' : '';
    printLine('stderr', `rx-persistent-store: ${known ? error.message : `unexpected error: ${String(error)}`}${hint}`, { oneLine: true });
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
