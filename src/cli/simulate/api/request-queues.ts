import * as path from 'node:path';
import { data, flag, invalidInput, numberParam, type ApiAnswer, type ApiCall } from './http.js';
import type { LockReporter } from './lock-report.js';
import { RequestQueueState, requestIdOf, type Caller } from './request-queue-state.js';
import { at, router, storageRoutes } from './routes.js';
import { Storages } from './storages.js';

/** The documented limits: at most 25 requests per batch call and per `head/lock`. */
export const MAX_BATCH_REQUESTS = 25;
export const MAX_LOCKED_HEAD = 25;
const DEFAULT_HEAD_LIMIT = 100;
const MAX_LIST_LIMIT = 10_000;

export interface RequestQueuesOptions {
  readonly storageDir: string;
  /** The simulated run now going, for the locks it takes. */
  readonly currentRun: () => number | undefined;
  readonly locks: LockReporter;
  readonly clock?: () => number;
}

export interface RequestQueues {
  route(call: ApiCall): Promise<ApiAnswer | undefined>;
  /** The queues loaded so far (for the lock report). */
  loaded(): RequestQueueState[];
}

/** A client key as the API takes it: 1–32 characters. */
function clientKeyOf(query: URLSearchParams): string | undefined {
  const key = query.get('clientKey');
  if (key === null || key === '') return undefined;
  if (key.length > 32) throw invalidInput(`clientKey must be 1 to 32 characters long, got ${key.length}`);
  return key;
}

const lockSecsOf = (query: URLSearchParams): number => {
  const secs = numberParam(query, 'lockSecs', { min: 0, exclusiveMin: true });
  if (secs === undefined) throw invalidInput('lockSecs is required: how long to lock the requests for, in seconds');
  return secs;
};

/** What every call on a queue's requests, head or locks starts with: the queue, who calls, `forefront`. */
interface QueueCall {
  readonly queue: RequestQueueState;
  readonly caller: Caller;
  readonly forefront: boolean;
}

const head = async ({ query }: ApiCall, { queue, caller }: QueueCall) =>
  data(queue.head(numberParam(query, 'limit', { min: 0, max: MAX_LIST_LIMIT, integer: true }, DEFAULT_HEAD_LIMIT)!, caller));

async function listRequests({ query }: ApiCall, { queue, caller }: QueueCall): Promise<ApiAnswer> {
  const cursor = query.get('cursor') || query.get('exclusiveStartId') || undefined;
  const filter = new Set((query.get('filter') ?? '').split(',').filter(Boolean));
  for (const name of filter)
    if (name !== 'pending' && name !== 'locked') throw invalidInput(`filter takes "pending" and "locked", got ${JSON.stringify(name)}`);
  return data(queue.list(numberParam(query, 'limit', { min: 1, max: MAX_LIST_LIMIT, integer: true }, 1000)!, cursor, filter, caller));
}

/** `batch` answers every method itself, so that none reaches `:requestId` (no request is named `batch`); the body is checked first. */
async function batch(call: ApiCall, { queue, caller, forefront }: QueueCall): Promise<ApiAnswer | undefined> {
  const body = await call.json();
  if (!Array.isArray(body) || body.length === 0) throw invalidInput('the body must be a non-empty array of requests');
  if (body.length > MAX_BATCH_REQUESTS) throw invalidInput(`at most ${MAX_BATCH_REQUESTS} requests per batch, got ${body.length}`);
  if (call.method === 'POST') return data({ processedRequests: await queue.addMany(body, forefront, caller), unprocessedRequests: [] }, 201);
  if (call.method === 'DELETE') return data(await batchDelete(queue, body, caller));
  return undefined;
}

/**
 * The request queue part of the API, as apify-client 2.x and Crawlee 3.x's `RequestQueue` (v2,
 * with locking) call it: the queue, adding requests one at a time or 25 per batch, reading,
 * updating (marking handled) and deleting a request, the head with or without locks, prolonging
 * and deleting a lock, unlocking a client's locks, listing.
 */
export function requestQueues(options: RequestQueuesOptions): RequestQueues {
  const clock = options.clock ?? Date.now;
  const queues = new Storages('request queue', path.join(options.storageDir, 'request_queues'), (id, folder) =>
    RequestQueueState.load(id, id === 'default' ? null : id, folder, clock),
  );
  const open = async ({ query }: ApiCall, { id }: { readonly id: string }): Promise<QueueCall> => {
    const queue = await queues.get(id);
    return { queue, caller: { clientKey: clientKeyOf(query), run: options.currentRun() }, forefront: flag(query, 'forefront') };
  };
  const lockHead = async ({ query }: ApiCall, { queue, caller }: QueueCall) => {
    const lockSecs = lockSecsOf(query);
    const limit = numberParam(query, 'limit', { min: 0, max: MAX_LOCKED_HEAD, integer: true }, MAX_LOCKED_HEAD)!;
    options.locks.headLocked(queue, caller.run);
    const locked = queue.lockHead(limit, lockSecs, caller);
    if (locked.items.length === 0) options.locks.headEmpty(queue, caller.run);
    return data(locked);
  };

  // Order matters where paths overlap: `batch` answers every method itself, `unlock` only POST (other methods name a request).
  const route = router([
    ...storageRoutes(queues, (queue) => queue.info()),
    at(':id/head', { open, GET: head }),
    at(':id/head/lock', { open, POST: lockHead }),
    at(':id/requests', {
      open,
      POST: async (call, { queue, caller, forefront }) => data(await queue.add(await call.json(), forefront, caller), 201),
      GET: listRequests,
    }),
    at(':id/requests/batch', { open, ANY: batch }),
    at(':id/requests/unlock', { open, POST: async (_call, { queue, caller }) => data({ unlockedCount: queue.unlockAll(caller) }) }),
    at(':id/requests/:requestId', {
      open,
      GET: async (_call, { queue, caller }, { requestId }) => data(queue.get(requestId, caller)),
      PUT: async (call, { queue, caller, forefront }, { requestId }) => data(await queue.update(requestId, await call.json(), forefront, caller)),
      DELETE: async (_call, { queue, caller }, { requestId }) => {
        await queue.delete(requestId, caller);
        return { status: 204 };
      },
    }),
    at(':id/requests/:requestId/lock', {
      open,
      PUT: async ({ query }, { queue, caller, forefront }, { requestId }) => data(await queue.prolongLock(requestId, lockSecsOf(query), forefront, caller)),
      DELETE: async (_call, { queue, caller, forefront }, { requestId }) => {
        await queue.deleteLock(requestId, forefront, caller);
        return { status: 204 };
      },
    }),
  ]);

  return { route, loaded: () => queues.loaded() };
}

/** Deletes requests named by `id` or `uniqueKey`. */
async function batchDelete(queue: RequestQueueState, body: readonly unknown[], caller: Caller) {
  const processedRequests: Array<{ id?: string; uniqueKey?: string }> = [];
  for (const [i, item] of body.entries()) {
    const { id, uniqueKey } = (typeof item === 'object' && item !== null ? item : {}) as { id?: unknown; uniqueKey?: unknown };
    const requestId = typeof id === 'string' ? id : typeof uniqueKey === 'string' ? requestIdOf(uniqueKey) : undefined;
    if (requestId === undefined) throw invalidInput(`request ${i}: give its "id" or its "uniqueKey"`);
    await queue.delete(requestId, caller);
    processedRequests.push({ ...(typeof id === 'string' && { id }), ...(typeof uniqueKey === 'string' && { uniqueKey }) });
  }
  return { processedRequests, unprocessedRequests: [] };
}
