import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const running = new Set<ChildProcess>();

/** Starts a TypeScript file (through tsx) in a real Node process, tracked for killAll. */
function startTs(file: string, args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, file), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Starts `spec/fixtures/<name>.ts` in a real Node process (TypeScript through tsx). */
export function startFixture(name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return startTs(path.join('spec', 'fixtures', `${name}.ts`), args, env);
}

/** Starts the `rx-persistent-store` command (src/cli/main.ts through tsx). */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return startTs(path.join('src', 'cli', 'main.ts'), args, env);
}

/** Collects a child's whole output and its exit code; rejects (after killing it) past `timeoutMs`. */
export async function outputOf(child: ChildProcess, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  let late = false;
  // SIGTERM first: the simulator passes it on to its job's process group, which SIGKILL would orphan.
  const timers = [setTimeout(() => ((late = true), child.kill('SIGTERM')), timeoutMs), setTimeout(() => child.kill('SIGKILL'), timeoutMs + 15_000)];
  const [code] = (await once(child, 'exit')) as [number | null];
  for (const timer of timers) clearTimeout(timer);
  if (late) throw new Error(`still running after ${timeoutMs} ms; output so far:\n${stdout}\n${stderr}`);
  return { code, stdout, stderr };
}

/** Runs the `rx-persistent-store` command to its end. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000) {
  return outputOf(startCli(args, env), timeoutMs);
}

/** Resolves with the first stdout line that matches, or rejects when the child exits first. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n')) {
        const match = line.match(pattern);
        if (match) {
          cleanup();
          resolve(match);
          return;
        }
      }
    };
    const onErr = (chunk: Buffer) => void (stderr += chunk.toString());
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child exited (${code}) before printing ${pattern}: ${stderr}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no line ${pattern} within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

/** Sends `signal` to the child's PID and waits until it has exited (and been reaped). */
export async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  try {
    process.kill(child.pid!, signal);
  } catch (error) {
    // It ended on its own meanwhile; Node has not reported its exit yet, and will.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
  const [code] = (await exited) as [number | null];
  return code;
}

/** Kills every fixture still running; for afterEach/afterAll. */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((child) => kill(child)));
}
