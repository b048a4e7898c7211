import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface JobExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface JobProcess {
  readonly pid: number;
  readonly exited: Promise<JobExit>;
  readonly alive: () => boolean;
  /** Signals the job's whole process group (a `npx`/`tsx` wrapper's children included). */
  readonly signal: (signal: NodeJS.Signals) => void;
}

/**
 * Starts the job in a process group of its own, so that a kill reaches every process the command
 * started (wrappers such as `npx` or `tsx` run the job in a grandchild), as a container kill does.
 * Output goes straight to this terminal.
 */
export async function startJob(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<JobProcess> {
  const child: ChildProcess = spawn(command, args, { env, stdio: 'inherit', detached: true });
  await Promise.race([once(child, 'spawn'), once(child, 'error').then(([error]) => Promise.reject(error as Error))]);
  const pid = child.pid!;
  let running = true;
  const exited = new Promise<JobExit>((resolve) =>
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    }),
  );
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pid, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // the group is gone already
    }
  };
  return { pid, exited, alive: () => running, signal };
}
