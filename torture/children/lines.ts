import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

// Shared by the scenarios (the parent's side): a child's stdout read line by line, and stopping it by PID.

/** A child's stdout as lines, read one at a time. */
export interface Lines {
  readonly child: ChildProcess;
  /** Resolves with the next line, or rejects when the child ends first or `timeoutMs` passes. */
  next(timeoutMs?: number): Promise<string>;
  /** Resolves once the child has exited and its output is all read. */
  readonly closed: Promise<unknown>;
  /** The last of its stderr, for messages. */
  stderr(): string;
}

export function linesOf(child: ChildProcess): Lines {
  const queue: string[] = [];
  let waiting: (() => void) | undefined;
  let buffer = '';
  let stderr = '';
  let ended = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    queue.push(...parts);
    waiting?.();
  });
  child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const closed = once(child, 'close').finally(() => {
    ended = true;
    waiting?.();
  });
  return {
    child,
    closed,
    stderr: () => stderr,
    async next(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (queue.length > 0) return queue.shift()!;
        if (ended) throw new Error(`child ${child.pid} ended (${child.exitCode ?? child.signalCode}) without a line; stderr: ${stderr.slice(-500)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no line from child ${child.pid} within ${timeoutMs} ms; stderr: ${stderr.slice(-500)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiting = () => {
            clearTimeout(timer);
            waiting = undefined;
            resolve();
          };
        });
      }
    },
  };
}

/**
 * SIGKILL by PID now (a stopped child too: SIGKILL needs no SIGCONT). False when the child had
 * exited already: it was not signalled, and its PID, perhaps another process's by now, is left alone.
 */
export function sigkill(child: ChildProcess): boolean {
  if (child.exitCode !== null || child.signalCode !== null) return false;
  try {
    process.kill(child.pid!, 'SIGKILL');
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    return false; // exited this instant; Node reports it soon
  }
}

/** `sigkill`, then wait until its output is read to the end. */
export async function killNow(lines: Lines): Promise<void> {
  sigkill(lines.child);
  await lines.closed;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads every line of a child as it comes, handing each to `onLine`; `until` waits (by events,
 * bounded by `timeoutMs`) for a condition that the lines make true, and says whether it came.
 */
export function follow(
  lines: Lines,
  onLine: (line: string) => void,
): { until(condition: () => boolean, timeoutMs: number): Promise<boolean>; readonly done: Promise<void> } {
  const waiters = new Set<() => void>();
  let ended = false;
  const done = (async () => {
    for (;;) {
      let line: string;
      try {
        line = await lines.next(24 * 3600_000);
      } catch {
        break; // the child ended and all its output is read
      }
      onLine(line);
      for (const wake of [...waiters]) wake();
    }
    ended = true;
    for (const wake of [...waiters]) wake();
  })();
  return {
    done,
    until(condition, timeoutMs) {
      if (condition()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => finish(false), timeoutMs);
        const finish = (result: boolean): void => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(result);
        };
        const check = (): void => {
          if (condition()) finish(true);
          else if (ended) finish(false);
        };
        waiters.add(check);
      });
    },
  };
}
