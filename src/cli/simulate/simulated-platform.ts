import { randomUUID } from 'node:crypto';
import type { PlatformEvent } from '../../events/event-types.js';
import type { JobProcess } from './job-process.js';
import { platformApi, type PlatformApi } from './platform-api.js';
import { startPlatformServer, type PlatformServer } from './platform-server.js';
import { plural } from './timeline-words.js';

/** The run the platform's calls (a reboot, a status message) are about: the last one started. */
export interface CurrentRun {
  readonly job: JobProcess;
  readonly number: number;
  rebootRequested: boolean;
}

/** The platform one simulation talks to: the API and events socket on one port, for one run id and token. */
export interface SimulatedPlatform {
  readonly runId: string;
  readonly token: string;
  readonly server: PlatformServer;
  readonly api: PlatformApi;
  /** Logs, then sends, so the timeline line comes before the job's reaction to it. */
  announce(event: Pick<PlatformEvent, 'name' | 'data'>, detail: string): void;
  /** `job` becomes the run the platform's calls are about, until the next one starts. */
  runStarted(job: JobProcess, number: number): CurrentRun;
  runEnded(number: number): void;
  close(): Promise<void>;
}

/**
 * Starts the platform's API and events socket on 127.0.0.1. A reboot the job asks for kills its
 * run, as the platform does; a status message and the first call to each route it does not
 * emulate are told on the timeline.
 */
export async function startSimulatedPlatform(storageDir: string, log: (line: string) => void): Promise<SimulatedPlatform> {
  const runId = `simulated-${randomUUID().slice(0, 8)}`;
  const token = randomUUID();
  let current: CurrentRun | undefined;
  const reported = new Set<string>();
  const api = platformApi({
    storageDir,
    runId,
    token,
    currentRun: () => current?.number,
    log,
    onReboot: () => {
      if (!current || current.rebootRequested) return;
      current.rebootRequested = true;
      log(`run ${current.number} asked for a reboot: killing it (SIGKILL), as the platform does`);
      current.job.signal('SIGKILL');
    },
    onStatusMessage: (message) => log(`run ${current?.number ?? '?'} status: ${message}`),
    onNotEmulated: (route) => {
      if (!reported.has(route)) log(`the job called ${route}, which the simulator does not emulate (answered 501)`);
      reported.add(route);
    },
  });
  const server = await startPlatformServer(api.handle);
  return {
    runId,
    token,
    server,
    api,
    announce(event, detail) {
      const reached = server.connections;
      const lost = reached === 0 ? ' (no job is connected: it is lost, as it would be on the platform)' : '';
      log(`sending ${event.name}${detail} to ${plural(reached, 'connection')}${lost}`);
      server.send(event);
    },
    runStarted(job, number) {
      const run = { job, number, rebootRequested: false };
      current = run;
      api.runStarted(number);
      return run;
    },
    runEnded: (number) => api.runEnded(number),
    async close() {
      current = undefined;
      api.close();
      await server.close();
    },
  };
}
