import * as os from 'node:os';
import type { SimulatedPlatform } from './simulated-platform.js';

/** The environment of run `run`: `baseEnv` with the variables the platform gives a run. */
export function runEnv(
  baseEnv: NodeJS.ProcessEnv,
  platform: Pick<SimulatedPlatform, 'runId' | 'token' | 'server'>,
  storageDir: string,
  persistMs: number,
  run: number,
): NodeJS.ProcessEnv {
  const { runId, token, server } = platform;
  return {
    ...baseEnv,
    APIFY_IS_AT_HOME: '1',
    ACTOR_ID: 'local-simulation',
    ACTOR_RUN_ID: runId,
    APIFY_ACTOR_RUN_ID: runId,
    APIFY_TOKEN: token,
    APIFY_API_BASE_URL: server.url,
    APIFY_API_PUBLIC_BASE_URL: server.url,
    ACTOR_EVENTS_WEBSOCKET_URL: server.socketUrl,
    APIFY_ACTOR_EVENTS_WS_URL: server.socketUrl,
    ACTOR_DEFAULT_KEY_VALUE_STORE_ID: 'default',
    ACTOR_DEFAULT_DATASET_ID: 'default',
    ACTOR_DEFAULT_REQUEST_QUEUE_ID: 'default',
    ACTOR_MEMORY_MBYTES: String(Math.floor(os.totalmem() / 2 ** 20)),
    CRAWLEE_STORAGE_DIR: storageDir,
    APIFY_LOCAL_STORAGE_DIR: storageDir,
    // A restarted run keeps its storage; Crawlee would empty it on start otherwise.
    CRAWLEE_PURGE_ON_START: '0',
    APIFY_PURGE_ON_START: '0',
    CRAWLEE_PERSIST_STATE_INTERVAL_MILLIS: String(persistMs),
    APIFY_PERSIST_STATE_INTERVAL_MILLIS: String(persistMs),
    RXPS_SIMULATED_RUN: String(run),
  };
}
