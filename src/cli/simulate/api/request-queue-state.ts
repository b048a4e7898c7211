import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileWriter, readJsonFile } from './files.js';
import { invalidInput, notFound } from './http.js';
import { QueueOrder } from './queue-order.js';
import { RequestLocks, type RequestLock } from './request-locks.js';

/** A request as stored in Crawlee's local layout (`request_queues/<id>/<requestId>.json`). */
interface StoredEntry {
  readonly id: string;
  /** The request as the client sent it, with its id: what `GET requests/:id` answers. */
  readonly json: string;
  readonly method: string;
  /** Its place in the queue (negative: added to the forefront); null once handled. */
  readonly orderNo: number | null;
  readonly retryCount: number;
  readonly uniqueKey: string;
  readonly url: string;
}

interface Entry {
  readonly id: string;
  readonly uniqueKey: string;
  request: Record<string, unknown>;
  orderNo: number | null;
}

/** What a write tells the client: `RequestQueueOperationInfo`. */
export interface OperationInfo {
  readonly requestId: string;
  readonly uniqueKey: string;
  readonly wasAlreadyPresent: boolean;
  readonly wasAlreadyHandled: boolean;
}

/** A queue-head item, as `head` and `head/lock` list them. */
export interface HeadItem {
  readonly id: string;
  readonly uniqueKey: string;
  readonly url: string;
  readonly method: string;
  readonly retryCount: number;
  readonly lockExpiresAt?: string;
}

/** Who is calling: the client key the request names, and the simulated run it comes from. */
export interface Caller {
  readonly clientKey: string | undefined;
  readonly run: number | undefined;
}

/** Crawlee's request id for a unique key (as its local storage computes it), so both layouts agree. */
export function requestIdOf(uniqueKey: string): string {
  return createHash('sha256').update(uniqueKey).digest('base64').replace(/[+/=]/g, '').slice(0, 15);
}

const METADATA = '__metadata__.json';
const iso = (ms: number) => new Date(ms).toISOString();

/** The fields every request must have; the platform refuses a request without them. */
function checkedRequest(value: unknown, where: string): Record<string, unknown> & { url: string; uniqueKey: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidInput(`${where}: a request must be a JSON object`);
  const request = value as Record<string, unknown>;
  if (typeof request.url !== 'string' || request.url === '') throw invalidInput(`${where}: "url" must be a non-empty string`);
  if (typeof request.uniqueKey !== 'string' || request.uniqueKey === '') throw invalidInput(`${where}: "uniqueKey" must be a non-empty string`);
  return request as Record<string, unknown> & { url: string; uniqueKey: string };
}

/**
 * One request queue of the simulated platform: its requests in Crawlee's local layout on the
 * storage folder (written before each answer, so a run after a kill finds them), their order,
 * whether handled, and their locks (kept in this process only: see `RequestLocks`).
 */
export class RequestQueueState {
  private readonly entries = new Map<string, Entry>();
  private readonly clients = new Set<string>();
  readonly locks: RequestLocks;
  private readonly files = fileWriter();
  private readonly order = new QueueOrder<Entry>();
  private handledCount = 0;
  private metadataWrite: Promise<void> = Promise.resolve();
  private nextMetadata: Promise<void> | undefined;
  private lastOrder = 0;
  private anonymousClients = 0;
  private createdAtMs: number;
  private modifiedAtMs: number;
  private accessedAtMs: number;

  private constructor(
    readonly id: string,
    readonly name: string | null,
    private readonly folder: string,
    private readonly clock: () => number,
  ) {
    this.locks = new RequestLocks(clock);
    this.createdAtMs = this.modifiedAtMs = this.accessedAtMs = clock();
  }

  /** Loads the queue stored in `folder` (or starts an empty one there). */
  static async load(id: string, name: string | null, folder: string, clock: () => number): Promise<RequestQueueState> {
    const queue = new RequestQueueState(id, name, folder, clock);
    const metadata = await readJsonFile<{ createdAt?: string; modifiedAt?: string }>(path.join(folder, METADATA));
    if (metadata?.createdAt) queue.createdAtMs = Date.parse(metadata.createdAt) || queue.createdAtMs;
    if (metadata?.modifiedAt) queue.modifiedAtMs = Date.parse(metadata.modifiedAt) || queue.modifiedAtMs;
    const names = await fs.readdir(folder).catch(() => [] as string[]);
    for (const file of names) {
      if (!file.endsWith('.json') || file === METADATA) continue;
      const stored = await readJsonFile<StoredEntry>(path.join(folder, file));
      if (!stored || typeof stored.id !== 'string' || typeof stored.json !== 'string') continue;
      const entry: Entry = { id: stored.id, uniqueKey: stored.uniqueKey, request: JSON.parse(stored.json) as Record<string, unknown>, orderNo: stored.orderNo };
      queue.entries.set(stored.id, entry);
      queue.order.place(entry);
      if (stored.orderNo === null) queue.handledCount++;
      else queue.lastOrder = Math.max(queue.lastOrder, Math.abs(stored.orderNo));
    }
    await queue.saveMetadata();
    return queue;
  }

  /** Every call names its client: `hadMultipleClients` says whether more than one did (no key counts as a new client). */
  private touch(caller: Caller, modified = false): void {
    if (caller.clientKey === undefined) this.anonymousClients++;
    else this.clients.add(caller.clientKey);
    this.accessedAtMs = this.clock();
    if (modified) this.modifiedAtMs = this.accessedAtMs;
  }

  private get hadMultipleClients(): boolean {
    return this.clients.size + this.anonymousClients > 1;
  }

  /** A place at the end (or, negative, at the front) that no earlier one shares. */
  private nextOrder(forefront: boolean): number {
    this.lastOrder = Math.max(this.clock(), this.lastOrder + 1);
    return forefront ? -this.lastOrder : this.lastOrder;
  }

  /** Gives `entry` a new place (or none: handled), keeping the order and the counts. */
  private reorder(entry: Entry, orderNo: number | null): void {
    if (entry.orderNo === null) this.handledCount--;
    else this.order.left();
    entry.orderNo = orderNo;
    if (orderNo === null) this.handledCount++;
    else this.order.place(entry);
  }

  private async save(entry: Entry): Promise<void> {
    const { id, uniqueKey, request, orderNo } = entry;
    const stored: StoredEntry = {
      id,
      json: JSON.stringify(request),
      method: String(request.method ?? 'GET'),
      orderNo,
      retryCount: Number(request.retryCount ?? 0),
      uniqueKey,
      url: String(request.url),
    };
    await this.files.write(path.join(this.folder, `${id}.json`), JSON.stringify(stored, null, 2));
    await this.saveMetadata();
  }

  /** Writes the metadata (counts, times) after every change, coalescing those that come while a write is under way. */
  private saveMetadata(): Promise<void> {
    if (this.nextMetadata) return this.nextMetadata;
    const write = async () => {
      this.nextMetadata = undefined;
      await this.files.write(path.join(this.folder, METADATA), JSON.stringify({ ...this.info(), forefrontRequestIds: [] }, null, 2));
    };
    this.nextMetadata = this.metadataWrite.then(write, write);
    this.metadataWrite = this.nextMetadata;
    return this.nextMetadata;
  }

  info() {
    const handled = this.handledCount;
    return {
      id: this.id,
      name: this.name,
      userId: 'local-simulation',
      createdAt: iso(this.createdAtMs),
      modifiedAt: iso(this.modifiedAtMs),
      accessedAt: iso(this.accessedAtMs),
      totalRequestCount: this.entries.size,
      handledRequestCount: handled,
      pendingRequestCount: this.entries.size - handled,
      hadMultipleClients: this.hadMultipleClients,
      stats: {},
    };
  }

  private entry(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry) throw notFound(`request ${id} is not in request queue ${this.id}`);
    return entry;
  }

  private infoOf(entry: Entry, wasAlreadyPresent: boolean, wasAlreadyHandled: boolean): OperationInfo {
    return { requestId: entry.id, uniqueKey: entry.uniqueKey, wasAlreadyPresent, wasAlreadyHandled };
  }

  /** Adds a request unless one with its unique key is there (then says so, as the platform does). */
  async add(value: unknown, forefront: boolean, caller: Caller): Promise<OperationInfo> {
    return (await this.addMany([value], forefront, caller))[0]!;
  }

  /** `add` for each request in turn, written together. */
  async addMany(values: readonly unknown[], forefront: boolean, caller: Caller): Promise<OperationInfo[]> {
    // All checked before any is added: a refused batch adds nothing.
    const requests = values.map((value, i) => {
      const where = values.length === 1 ? 'request' : `request ${i}`;
      const request = checkedRequest(value, where);
      const id = requestIdOf(request.uniqueKey);
      if (request.id !== undefined && request.id !== id) throw invalidInput(`${where}: "id" must not be given (the queue assigns it)`);
      return { request, id };
    });
    this.touch(caller, true);
    const added: Entry[] = [];
    const infos = requests.map(({ request, id }) => {
      const existing = this.entries.get(id);
      if (existing) return this.infoOf(existing, true, existing.orderNo === null);
      const entry: Entry = { id, uniqueKey: request.uniqueKey, request: { ...request, id }, orderNo: request.handledAt ? null : this.nextOrder(forefront) };
      this.entries.set(id, entry);
      if (entry.orderNo === null) this.handledCount++;
      else this.order.place(entry);
      added.push(entry);
      // The platform answers false even for a request added as handled.
      return this.infoOf(entry, false, false);
    });
    await Promise.all(added.map((entry) => this.save(entry)));
    return infos;
  }

  get(id: string, caller: Caller): Record<string, unknown> {
    this.touch(caller);
    return this.entry(id).request;
  }

  /**
   * Replaces a request (the client sends it whole). With `handledAt` it is handled: out of the
   * queue, its lock gone. Otherwise it goes back in line, at the end or the front, and keeps its
   * lock (Crawlee deletes that itself when it gives a request back).
   */
  async update(id: string, value: unknown, forefront: boolean, caller: Caller): Promise<OperationInfo> {
    const request = checkedRequest(value, 'request');
    if (request.id !== undefined && request.id !== id) throw invalidInput(`the request's "id" (${String(request.id)}) is not the one in the path (${id})`);
    if (requestIdOf(request.uniqueKey) !== id) throw invalidInput(`the request's uniqueKey does not belong to request ${id}`);
    this.touch(caller, true);
    const existing = this.entries.get(id);
    if (!existing) return this.add({ ...request, id: undefined }, forefront, caller);
    const wasHandled = existing.orderNo === null;
    existing.request = { ...request, id };
    if (request.handledAt) {
      this.reorder(existing, null);
      this.locks.release(id);
    } else {
      this.reorder(existing, this.nextOrder(forefront));
    }
    await this.save(existing);
    return this.infoOf(existing, true, wasHandled);
  }

  async delete(id: string, caller: Caller): Promise<void> {
    this.touch(caller, true);
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    if (entry.orderNo === null) this.handledCount--;
    else this.order.left();
    entry.orderNo = null; // its place in the order is stale now
    this.locks.release(id);
    await this.files.remove(path.join(this.folder, `${id}.json`));
    await this.saveMetadata();
  }

  private headItem(entry: Entry, lock?: RequestLock): HeadItem {
    const { id, uniqueKey, request } = entry;
    return {
      id,
      uniqueKey,
      url: String(request.url),
      method: String(request.method ?? 'GET'),
      retryCount: Number(request.retryCount ?? 0),
      ...(lock && { lockExpiresAt: iso(lock.expiresAtMs) }),
    };
  }

  /** The first `limit` requests not handled and not locked, without locking them. */
  head(limit: number, caller: Caller) {
    this.touch(caller);
    const items: HeadItem[] = [];
    for (const entry of this.order.pending()) {
      if (items.length === limit) break;
      if (!this.locks.isLocked(entry.id)) items.push(this.headItem(entry));
    }
    return { limit, queueModifiedAt: iso(this.modifiedAtMs), hadMultipleClients: this.hadMultipleClients, items };
  }

  /**
   * Locks the first `limit` requests nobody holds, for `lockSecs`, for the caller; and says
   * whether the queue still holds locked requests (the caller's or anyone's), which is how
   * Crawlee tells "done" from "waiting for other clients".
   */
  lockHead(limit: number, lockSecs: number, caller: Caller) {
    this.touch(caller, true);
    const expiresAtMs = this.clock() + lockSecs * 1000;
    const items: HeadItem[] = [];
    for (const entry of this.order.pending()) {
      if (items.length === limit) break;
      if (this.locks.isLocked(entry.id)) continue;
      const lock: RequestLock = { clientKey: caller.clientKey, run: caller.run, expiresAtMs };
      this.locks.set(entry.id, lock);
      items.push(this.headItem(entry, lock));
    }
    return {
      limit,
      lockSecs,
      queueModifiedAt: iso(this.modifiedAtMs),
      hadMultipleClients: this.hadMultipleClients,
      queueHasLockedRequests: this.locks.size > 0,
      clientKey: caller.clientKey,
      items,
    };
  }

  /**
   * A lock may be prolonged or deleted by its client or from the same run (the documented rule);
   * in the simulator every run of the job is the same platform run, so only a handled request
   * or an unknown one is refused.
   */
  private lockable(id: string, action: string): Entry {
    const entry = this.entry(id);
    if (entry.orderNo === null) throw invalidInput(`cannot ${action} the lock of request ${id}: it is already handled`);
    return entry;
  }

  async prolongLock(id: string, lockSecs: number, forefront: boolean, caller: Caller): Promise<{ lockExpiresAt: string }> {
    const entry = this.lockable(id, 'prolong');
    this.touch(caller, true);
    const expiresAtMs = this.clock() + lockSecs * 1000;
    this.locks.set(id, { clientKey: caller.clientKey, run: caller.run, expiresAtMs });
    if (forefront) {
      this.reorder(entry, this.nextOrder(true));
      await this.save(entry);
    }
    return { lockExpiresAt: iso(expiresAtMs) };
  }

  async deleteLock(id: string, forefront: boolean, caller: Caller): Promise<void> {
    const entry = this.lockable(id, 'delete');
    if (!this.locks.isLocked(id)) throw invalidInput(`request ${id} is not locked`);
    this.touch(caller, true);
    this.locks.release(id);
    if (forefront) {
      this.reorder(entry, this.nextOrder(true));
      await this.save(entry);
    }
  }

  /** Unlocks every request the caller's client key holds; how many. */
  unlockAll(caller: Caller): number {
    this.touch(caller, true);
    let count = 0;
    for (const [id, lock] of this.locks.live()) {
      if (caller.clientKey !== undefined && lock.clientKey === caller.clientKey && this.locks.release(id)) count++;
    }
    return count;
  }

  /** Every request (pending or handled) in id order, a page at a time. */
  list(limit: number, after: string | undefined, filter: ReadonlySet<string>, caller: Caller) {
    this.touch(caller);
    const wanted = (e: Entry) => (!filter.has('pending') || e.orderNo !== null) && (!filter.has('locked') || this.locks.isLocked(e.id));
    const all = [...this.entries.values()].filter(wanted).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const start = after === undefined ? 0 : all.findIndex((e) => e.id > after);
    const page = start === -1 ? [] : all.slice(start, start + limit);
    const items = page.map((e) => ({ ...e.request, ...(this.locks.get(e.id) && { lockExpiresAt: iso(this.locks.get(e.id)!.expiresAtMs) }) }));
    const last = page.at(-1);
    return { items, count: items.length, limit, exclusiveStartId: after, nextCursor: last && start + limit < all.length ? last.id : null };
  }

  /** The queue's live locks. */
  liveLocks(): RequestLock[] {
    return this.locks.live().map(([, lock]) => lock);
  }

  /** Forgets the queue and its folder. */
  async drop(): Promise<void> {
    this.entries.clear();
    await fs.rm(this.folder, { recursive: true, force: true });
  }
}
