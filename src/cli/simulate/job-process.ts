import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { outputLines } from './output-lines.js';

export interface JobExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface JobProcess {
  readonly pid: number;
  readonly exited: Promise<JobExit>;
  /** Resolves once the job's output has all been passed on (at once when it goes straight to the terminal). */
  readonly outputDone: Promise<void>;
  readonly alive: () => boolean;
  /** Signals the job's whole process group (a `npx`/`tsx` wrapper's children included). */
  readonly signal: (signal: NodeJS.Signals) => void;
}

/**
 * Starts the job in a process group of its own, so that a kill reaches every process the command
 * started (wrappers such as `npx` or `tsx` run the job in a grandchild), as a container kill does.
 * Its output goes straight to this terminal; or, given `onLine`, through this process, which hands
 * every line of stdout and stderr to `onLine` as it passes it on (the job then writes to a pipe,
 * not to a terminal).
 */
export async function startJob(command: string, args: readonly string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Promise<JobProcess> {
  const child: ChildProcess = spawn(command, args, { env, stdio: onLine ? ['inherit', 'pipe', 'pipe'] : 'inherit', detached: true });
  if (onLine) {
    for (const [from, to] of [
      [child.stdout!, process.stdout],
      [child.stderr!, process.stderr],
    ] as const) {
      const split = outputLines(onLine); // one per stream: their lines must not run together
      from.on('data', (chunk: Buffer) => {
        to.write(chunk);
        split(chunk);
      });
    }
  }
  await Promise.race([once(child, 'spawn'), once(child, 'error').then(([error]) => Promise.reject(error as Error))]);
  const pid = child.pid!;
  let running = true;
  const exited = new Promise<JobExit>((resolve) =>
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    }),
  );
  const outputDone = onLine ? new Promise<void>((resolve) => child.once('close', () => resolve())) : Promise.resolve();
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pid, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // the group is gone already
    }
  };
  return { pid, exited, outputDone, alive: () => running, signal };
}
