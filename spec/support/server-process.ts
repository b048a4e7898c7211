import { once } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';

/** Polls `url` until it answers 2xx; fails early if the process dies. Bounded to 20 s. */
export async function waitUntilHealthy(child: ChildProcess, url: string, logs: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${logs()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stopProcess(child);
  throw new Error(`server not healthy at ${url} within 20 s: ${logs()}`);
}

/** SIGTERM by PID, then SIGKILL if it lingers; resolves when it has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts `binary` with `args`, waits until `url + healthPath` answers, and returns how to stop it
 * by PID and remove its temporary folder `dir`.
 */
export async function startServer(binary: string, args: readonly string[], url: string, healthPath: string, dir: string) {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  await waitUntilHealthy(child, `${url}${healthPath}`, () => stderr);
  return {
    url,
    pid: child.pid!,
    async stop(): Promise<void> {
      await stopProcess(child);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
