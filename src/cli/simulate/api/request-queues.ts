import * as path from 'node:path';
import { data, flag, invalidInput, numberParam, type ApiAnswer, type ApiCall } from './http.js';
import type { LockReporter } from './lock-report.js';
import { RequestQueueState, requestIdOf, type Caller } from './request-queue-state.js';
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

  async function route(call: ApiCall): Promise<ApiAnswer | undefined> {
    const { method, query } = call;
    const [id, sub, requestId, tail, ...rest] = call.path;
    if (rest.length > 0) return undefined;
    if (id === undefined) {
      if (method === 'POST') return data((await queues.getOrCreate(query.get('name') || null)).info(), 201);
      return undefined;
    }
    if (sub === undefined) {
      if (method === 'GET') return data((await queues.get(id)).info());
      if (method === 'DELETE') {
        await queues.get(id);
        await queues.drop(id);
        return { status: 204 };
      }
      return undefined;
    }
    const queue = await queues.get(id);
    const caller: Caller = { clientKey: clientKeyOf(query), run: options.currentRun() };
    const forefront = flag(query, 'forefront');

    if (sub === 'head' && requestId === undefined && method === 'GET') {
      return data(queue.head(numberParam(query, 'limit', { min: 0, max: MAX_LIST_LIMIT, integer: true }, DEFAULT_HEAD_LIMIT)!, caller));
    }
    if (sub === 'head' && requestId === 'lock' && tail === undefined && method === 'POST') {
      const lockSecs = lockSecsOf(query);
      const limit = numberParam(query, 'limit', { min: 0, max: MAX_LOCKED_HEAD, integer: true }, MAX_LOCKED_HEAD)!;
      options.locks.headLocked(queue, caller.run);
      const head = queue.lockHead(limit, lockSecs, caller);
      if (head.items.length === 0) options.locks.headEmpty(queue, caller.run);
      return data(head);
    }
    if (sub !== 'requests') return undefined;

    if (requestId === undefined) {
      if (method === 'POST') return data(await queue.add(await call.json(), forefront, caller), 201);
      if (method === 'GET') {
        const cursor = query.get('cursor') || query.get('exclusiveStartId') || undefined;
        const filter = new Set((query.get('filter') ?? '').split(',').filter(Boolean));
        for (const name of filter)
          if (name !== 'pending' && name !== 'locked') throw invalidInput(`filter takes "pending" and "locked", got ${JSON.stringify(name)}`);
        return data(queue.list(numberParam(query, 'limit', { min: 1, max: MAX_LIST_LIMIT, integer: true }, 1000)!, cursor, filter, caller));
      }
      return undefined;
    }
    if (requestId === 'batch' && tail === undefined) {
      const body = await call.json();
      if (!Array.isArray(body) || body.length === 0) throw invalidInput('the body must be a non-empty array of requests');
      if (body.length > MAX_BATCH_REQUESTS) throw invalidInput(`at most ${MAX_BATCH_REQUESTS} requests per batch, got ${body.length}`);
      if (method === 'POST') return data({ processedRequests: await queue.addMany(body, forefront, caller), unprocessedRequests: [] }, 201);
      if (method === 'DELETE') return data(await batchDelete(queue, body, caller));
      return undefined;
    }
    if (requestId === 'unlock' && tail === undefined && method === 'POST') return data({ unlockedCount: queue.unlockAll(caller) });
    if (tail === undefined) {
      if (method === 'GET') return data(queue.get(requestId, caller));
      if (method === 'PUT') return data(await queue.update(requestId, await call.json(), forefront, caller));
      if (method === 'DELETE') {
        await queue.delete(requestId, caller);
        return { status: 204 };
      }
      return undefined;
    }
    if (tail === 'lock' && method === 'PUT') return data(await queue.prolongLock(requestId, lockSecsOf(query), forefront, caller));
    if (tail === 'lock' && method === 'DELETE') {
      await queue.deleteLock(requestId, forefront, caller);
      return { status: 204 };
    }
    return undefined;
  }

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
