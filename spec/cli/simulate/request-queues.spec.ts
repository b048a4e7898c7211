import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ApifyClient } from 'apify-client';
import { platformApi, type PlatformApi } from '../../../src/cli/simulate/platform-api.js';
import { startPlatformServer, type PlatformServer } from '../../../src/cli/simulate/platform-server.js';
import { useTempDir } from '../../support/temp-dir.js';

// The emulated request queues, datasets and key-value stores, called through the real
// apify-client (2.x), as the Apify SDK and Crawlee call them. The time of locks is a clock the
// test moves: no test waits for a lock to expire.
const storage = useTempDir('request-queues');
let now = Date.parse('2026-01-01T00:00:00Z');
let run: number | undefined = 1;
const lines: string[] = [];
let api: PlatformApi;
let server: PlatformServer;
beforeEach(async () => {
  lines.length = 0;
  run = 1;
  const ignore = () => {};
  api = platformApi({
    storageDir: storage(),
    runId: 'run-1',
    token: 'T',
    onReboot: ignore,
    onStatusMessage: ignore,
    onNotEmulated: ignore,
    currentRun: () => run,
    log: (line) => lines.push(line),
    clock: () => now,
  });
  server = await startPlatformServer(api.handle);
});
afterEach(async () => {
  api.close();
  await server.close();
});

const client = () => new ApifyClient({ baseUrl: server.url, token: 'T', maxRetries: 0 });
const queue = (clientKey: string) => client().requestQueue('default', { clientKey });
const call = (route: string, init: RequestInit = {}) =>
  fetch(`${server.url}${route}`, {
    ...init,
    headers: { authorization: 'Bearer T', 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
  });
const pages = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ url: `http://127.0.0.1/p${from + i}`, uniqueKey: `http://127.0.0.1/p${from + i}` }));

describe('the emulated request queue', () => {
  test("batch add: 25 a call (the client splits more), already present ones named; the queue counts them; stored in Crawlee's layout", async () => {
    const q = queue('a');
    const added = await q.batchAddRequests(pages(60));
    expect(added.processedRequests).toHaveLength(60);
    expect(added.unprocessedRequests).toEqual([]);
    const again = await q.batchAddRequests(pages(2, 59));
    expect(again.processedRequests.map((r) => r.wasAlreadyPresent)).toEqual([true, false]);
    expect(await q.get()).toMatchObject({ id: 'default', totalRequestCount: 61, handledRequestCount: 0, pendingRequestCount: 61 });
    const files = await fs.readdir(path.join(storage(), 'request_queues', 'default'));
    expect(files).toHaveLength(62); // 61 requests and __metadata__.json
    const stored = JSON.parse(
      await fs.readFile(
        path.join(storage(), 'request_queues', 'default', `${added.processedRequests.find((r) => r.uniqueKey.endsWith('/p0'))!.requestId}.json`),
        'utf8',
      ),
    );
    expect(stored).toMatchObject({ uniqueKey: 'http://127.0.0.1/p0', url: 'http://127.0.0.1/p0', orderNo: expect.any(Number) });
    // More than 25 in one call is refused, as documented.
    const tooMany = await call('/v2/request-queues/default/requests/batch', { method: 'POST', body: JSON.stringify(pages(26, 100)) });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({ error: { type: 'invalid-input', message: 'at most 25 requests per batch, got 26' } });
  });

  test('head/lock locks for lockSecs; other clients skip locked requests; marking handled ends the lock; a lock is prolonged and deleted', async () => {
    const a = queue('a');
    const b = queue('b');
    await a.batchAddRequests(pages(3));
    const headA = await a.listAndLockHead({ lockSecs: 60, limit: 2 });
    expect(headA.items.map((r) => r.url)).toEqual(['http://127.0.0.1/p0', 'http://127.0.0.1/p1']);
    expect(headA).toMatchObject({ lockSecs: 60, queueHasLockedRequests: true, clientKey: 'a' });
    expect(headA.items[0]!.lockExpiresAt).toEqual(new Date(now + 60_000));
    expect((await b.listAndLockHead({ lockSecs: 60, limit: 25 })).items.map((r) => r.url)).toEqual(['http://127.0.0.1/p2']);
    expect((await b.listAndLockHead({ lockSecs: 60 })).items).toEqual([]);
    // Handled: out of the queue, lock gone.
    const first = (await a.getRequest(headA.items[0]!.id))!;
    expect(await a.updateRequest({ ...first, handledAt: new Date(now).toISOString() })).toMatchObject({ wasAlreadyHandled: false, wasAlreadyPresent: true });
    expect(await a.get()).toMatchObject({ handledRequestCount: 1, pendingRequestCount: 2 });
    // Prolonged from now; deleted: the request is free for anyone.
    now += 30_000;
    expect((await a.prolongRequestLock(headA.items[1]!.id, { lockSecs: 60 })).lockExpiresAt).toEqual(new Date(now + 60_000));
    await a.deleteRequestLock(headA.items[1]!.id);
    expect((await b.listAndLockHead({ lockSecs: 60 })).items.map((r) => r.url)).toEqual(['http://127.0.0.1/p1']);
    // Expired locks free their requests by themselves.
    now += 61_000;
    expect((await a.listAndLockHead({ lockSecs: 60 })).items.map((r) => r.url).sort()).toEqual(['http://127.0.0.1/p1', 'http://127.0.0.1/p2']);
  });

  test('documented errors: record-not-found for an unknown request or queue, invalid-input for a missing lockSecs or a limit over 25', async () => {
    const q = queue('a');
    expect(await q.getRequest('nosuchrequest00')).toBeUndefined(); // the client reads 404 record-not-found as "none"
    expect(await client().requestQueue('nosuchqueue').get()).toBeUndefined();
    const noLock = await call('/v2/request-queues/default/head/lock', { method: 'POST' });
    expect([noLock.status, (await noLock.json()).error.type]).toEqual([400, 'invalid-input']);
    const overLimit = await call('/v2/request-queues/default/head/lock?lockSecs=60&limit=26', { method: 'POST' });
    expect((await overLimit.json()).error).toEqual({ type: 'invalid-input', message: 'limit must be a whole number ≥ 0 and ≤ 25, got "26"' });
    const badLock = await call('/v2/request-queues/default/head/lock?lockSecs=0', { method: 'POST' });
    expect(badLock.status).toBe(400);
    const prolong = await call('/v2/request-queues/default/requests/nosuchrequest00/lock?lockSecs=60', { method: 'PUT' });
    expect([prolong.status, (await prolong.json()).error.type]).toEqual([404, 'record-not-found']);
  });

  test('a named queue is created by name; forefront requests come first; a reclaimed request goes back in line', async () => {
    const named = await client().requestQueues().getOrCreate('my-queue');
    expect(named).toMatchObject({ id: 'my-queue', name: 'my-queue' });
    const q = client().requestQueue('my-queue', { clientKey: 'a' });
    await q.batchAddRequests(pages(2));
    await q.addRequest(pages(1, 9)[0]!, { forefront: true });
    const head = await q.listHead({ limit: 10 });
    expect(head.items.map((r) => r.url)).toEqual(['http://127.0.0.1/p9', 'http://127.0.0.1/p0', 'http://127.0.0.1/p1']);
    const locked = await q.listAndLockHead({ lockSecs: 60, limit: 1 });
    const request = (await q.getRequest(locked.items[0]!.id))!;
    await q.updateRequest({ ...request, retryCount: 1 });
    await q.deleteRequestLock(request.id);
    expect((await q.listHead()).items.map((r) => r.url)).toEqual(['http://127.0.0.1/p0', 'http://127.0.0.1/p1', 'http://127.0.0.1/p9']);
  });

  test('a long queue keeps its order as requests are handled (150 of 200), and a restarted simulator reads it back from the folder', async () => {
    const q = queue('a');
    for (let from = 0; from < 200; from += 25) await q.batchAddRequests(pages(25, from)); // one batch after the other: the client sends more in parallel
    for (let handled = 0; handled < 150;) {
      const { items } = await q.listAndLockHead({ lockSecs: 60, limit: 25 });
      for (const item of items) {
        const request = (await q.getRequest(item.id))!;
        await q.updateRequest({ ...request, handledAt: new Date(now).toISOString() });
        if (++handled === 150) break;
      }
    }
    const expected = pages(50, 150).map((p) => p.url);
    expect((await q.listHead({ limit: 100 })).items.map((r) => r.url)).toEqual(expected);
    api.close();
    await server.close();
    api = platformApi({
      storageDir: storage(),
      runId: 'run-1',
      token: 'T',
      onReboot: () => {},
      onStatusMessage: () => {},
      onNotEmulated: () => {},
      clock: () => now,
    });
    server = await startPlatformServer(api.handle);
    expect((await queue('b').listHead({ limit: 100 })).items.map((r) => r.url)).toEqual(expected);
    expect(await queue('b').get()).toMatchObject({ totalRequestCount: 200, handledRequestCount: 150, pendingRequestCount: 50 });
  });

  test('the timeline: locks a run leaves, the next run finding them, and how long they held it up', async () => {
    await queue('run1').batchAddRequests(pages(4));
    api.runStarted(1);
    await queue('run1').listAndLockHead({ lockSecs: 60, limit: 3 });
    api.runEnded(1);
    expect(lines).toEqual(['run 1 left 3 request locks in queue default, the last expiring in 60.0 s']);
    run = 2;
    api.runStarted(2);
    now += 20_000;
    expect((await queue('run2').listAndLockHead({ lockSecs: 60 })).items).toHaveLength(1);
    expect((await queue('run2').listAndLockHead({ lockSecs: 60 })).items).toHaveLength(0);
    expect(lines[1]).toBe(
      'run 2 finds 3 requests of queue default still locked by run 1: out of its queue head until the locks expire, in up to 40.0 s (as on the platform: crawlee#2870)',
    );
    const head = await queue('run2').listAndLockHead({ lockSecs: 60 });
    expect(head).toMatchObject({ items: [], queueHasLockedRequests: true }); // what keeps Crawlee waiting
  });

  test('a run that finds no lock of an earlier run says so (what a migration left)', async () => {
    await queue('run1').batchAddRequests(pages(1));
    run = 2;
    await queue('run2').listAndLockHead({ lockSecs: 60 });
    expect(lines).toEqual(['run 2 finds no request of queue default locked by an earlier run']);
  });
});

describe('the emulated dataset and key-value store, through the client', () => {
  test('items pushed gzipped (the client compresses from 1 KB on) are stored whole; listed with the pagination headers', async () => {
    const dataset = client().dataset('default');
    await dataset.pushItems(JSON.stringify(Array.from({ length: 30 }, (_, i) => ({ i, text: 'x'.repeat(100) }))));
    const page = await dataset.listItems({ offset: 10, limit: 5, desc: true });
    expect(page).toMatchObject({ total: 30, offset: 10, count: 5, limit: 5, desc: true });
    expect(page.items.map((item) => item.i)).toEqual([19, 18, 17, 16, 15]);
    expect((await dataset.get())?.itemCount).toBe(30);
  });

  test('keys are listed a page at a time, with a prefix', async () => {
    const store = client().keyValueStore('default');
    for (const key of ['A1', 'A2', 'A3', 'B1']) await store.setRecord({ key, value: { key } });
    const first = await store.listKeys({ limit: 2, prefix: 'A' });
    expect(first).toMatchObject({ count: 2, isTruncated: true, nextExclusiveStartKey: 'A2' });
    const next = await store.listKeys({ limit: 2, prefix: 'A', exclusiveStartKey: 'A2' });
    expect(next.items.map((item) => item.key)).toEqual(['A3']);
    expect(next.isTruncated).toBe(false);
    expect(await store.getRecord('A3')).toMatchObject({ key: 'A3', value: { key: 'A3' } });
  });
});
