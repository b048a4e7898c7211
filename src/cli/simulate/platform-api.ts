import type { IncomingMessage, ServerResponse } from 'node:http';
import * as os from 'node:os';
import { errorMessage } from '../../errors.js';
import { datasets } from './api/datasets.js';
import { ApiError, apiCall, data, reply, type ApiCall } from './api/http.js';
import { keyValueStores } from './api/key-value-stores.js';
import { lockReporter } from './api/lock-report.js';
import { requestQueues } from './api/request-queues.js';
import { at, router, type Router } from './api/routes.js';

export interface PlatformApiOptions {
  /** The storage folder, in Crawlee's local layout (`key_value_stores/<id>/<key>.<ext>`, `datasets/<id>/`, `request_queues/<id>/`). */
  readonly storageDir: string;
  readonly runId: string;
  readonly token: string;
  /** The job asked to be rebooted (the Apify SDK does on `migrating`). */
  readonly onReboot: () => void;
  readonly onStatusMessage: (message: string) => void;
  /** A call this emulation does not cover; answered 501. */
  readonly onNotEmulated: (route: string) => void;
  /** The simulated run going now (1, 2, …), which request locks are taken for. @default none */
  readonly currentRun?: () => number | undefined;
  /** Receives timeline lines about request locks across runs. @default nothing */
  readonly log?: (line: string) => void;
  /** The time request locks are measured by. @default Date.now */
  readonly clock?: () => number;
}

/** How much the emulated request queues were asked. */
export interface QueueLoad {
  readonly calls: number;
  /** Time spent answering them, in ms (they are answered one after the other per request, some at once). */
  readonly busyMs: number;
}

export interface PlatformApi {
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Marks a run's start and end, for what the timeline says of request locks. */
  runStarted(run: number): void;
  runEnded(run: number): void;
  queueLoad(): QueueLoad;
  /** Stops the lock expiry timers. */
  close(): void;
}

/**
 * The part of the Apify API (v2) that a job written with the Apify SDK and Crawlee uses, served
 * from the local storage folder in Crawlee's layout: the run (read, status message, reboot), its
 * key-value stores, datasets and request queues (with locks, which live in this process, so that
 * they outlive the job's kills as they do on the platform). It lets `apify` run "at home" (where
 * alone it listens to the events socket) without the cloud. Any other call answers 501, named
 * once through `onNotEmulated`.
 */
export function platformApi(options: PlatformApiOptions): PlatformApi {
  const startedAt = new Date().toISOString();
  const log = options.log ?? (() => {});
  let statusMessage: string | null = null;
  const run = () => ({
    id: options.runId,
    actId: 'local-simulation',
    status: 'RUNNING',
    statusMessage,
    startedAt,
    options: { build: 'latest', timeoutSecs: 0, memoryMbytes: Math.floor(os.totalmem() / 2 ** 20) },
    chargedEventCounts: {},
    defaultKeyValueStoreId: 'default',
    defaultDatasetId: 'default',
    defaultRequestQueueId: 'default',
  });
  const load = { calls: 0, busyMs: 0 };
  const clock = options.clock ?? Date.now;
  const locks = lockReporter(() => queues.loaded(), log, clock); // reads the queues only later, once they exist
  const queues = requestQueues({ storageDir: options.storageDir, currentRun: options.currentRun ?? (() => undefined), locks, clock });
  const thisRun = async (_call: ApiCall, { runId }: { readonly runId: string }): Promise<void> => {
    if (runId !== options.runId) throw new ApiError(404, 'record-not-found', `no run ${runId} here`);
  };
  const actorRuns = router([
    at(':runId', {
      open: thisRun,
      GET: async () => data(run()),
      PUT: async (call) => {
        const body = (await call.json()) as { statusMessage?: unknown } | null;
        if (typeof body?.statusMessage === 'string') {
          statusMessage = body.statusMessage;
          options.onStatusMessage(statusMessage);
        }
        return data(run());
      },
    }),
    at(':runId/reboot', {
      open: thisRun,
      POST: async () => {
        options.onReboot();
        return data(run());
      },
    }),
  ]);
  /** The resources by name (`/v2/<name>/…`), each with its own routes. */
  const resources = new Map<string, Router>([
    ['actor-runs', actorRuns],
    ['key-value-stores', keyValueStores(options.storageDir).route],
    ['datasets', datasets(options.storageDir).route],
    [
      'request-queues',
      async (call) => {
        const started = performance.now();
        try {
          return await queues.route(call);
        } finally {
          load.calls++;
          load.busyMs += performance.now() - started;
        }
      },
    ],
  ]);

  /** `GET /v2/request-queues/:id/requests/:requestId`, as the timeline names a route. */
  const routeName = (method: string, parts: readonly string[]): string =>
    `${method} /${parts.map((part, i) => (i === 2 ? ':id' : i === 4 && parts[3] !== 'records' ? ':requestId' : i === 4 ? ':key' : part)).join('/')}`;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auth = req.headers.authorization ?? (url.searchParams.has('token') ? `Bearer ${url.searchParams.get('token')}` : undefined);
    if (auth !== `Bearer ${options.token}`) throw new ApiError(401, 'token-not-valid', "the API token is missing or not the run's token");
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [v2, resource, ...rest] = parts;
    if (v2 !== 'v2') throw new ApiError(404, 'page-not-found', `no such route: ${url.pathname}`);
    const call = apiCall(req, rest, url.searchParams);
    const answer = await resources.get(resource ?? '')?.(call);
    if (answer) return reply(res, answer);
    const name = routeName(call.method, parts);
    options.onNotEmulated(name);
    throw new ApiError(501, 'not-emulated', `rx-persistent-store simulate does not emulate ${name}`);
  }

  return {
    handle(req, res) {
      route(req, res).catch((error: unknown) => {
        const { status, type } = error instanceof ApiError ? error : { status: 500, type: 'internal-error' };
        if (!res.headersSent) reply(res, { status, body: { error: { type, message: errorMessage(error) } } });
        else res.destroy();
      });
    },
    runStarted: (number) => locks.runStarted(number),
    runEnded: (number) => locks.runEnded(number),
    queueLoad: () => ({ ...load }),
    close: () => locks.close(),
  };
}
