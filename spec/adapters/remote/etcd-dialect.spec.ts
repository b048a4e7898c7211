import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import type { FetchLike } from '../../../src/adapters/remote/http.js';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { ConflictError } from '../../../src/errors.js';
import { createPersistentStore } from '../../../src/store/create-persistent-store.js';
import { ETCD_BINARY, startEtcd } from '../../support/etcd-server.js';
import { startFaultProxy } from '../../support/fault-proxy.js';
import { startFixture } from '../../support/processes.js';
import { describeWithBinary } from '../../support/server-binaries.js';

describeWithBinary(ETCD_BINARY, 'etcd-server')('remote KV adapter, etcd dialect (real etcd)', () => {
  let etcd: Awaited<ReturnType<typeof startEtcd>>;
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 30_000);
  afterAll(() => etcd?.stop());

  let prefix = '';
  beforeEach(() => void (prefix = `spec-${expect.getState().currentTestName?.length}-${Date.now()}-`));
  const adapter = (endpoint = etcd.url, extra: object = {}) => remoteKvAdapter({ dialect: { dialect: 'etcd', endpoint, prefix }, retryDelayMs: 5, ...extra });

  test('read, write, delete and rename, with unicode intact', async () => {
    const a = adapter();
    expect(await a.read('K')).toBeUndefined();
    await a.write('K', { text: 'žluťoučký kůň 🐎' });
    expect(await a.read('K')).toEqual({ text: 'žluťoučký kůň 🐎' });
    await a.rename('K', 'K2');
    expect(await a.read('K')).toBeUndefined();
    expect(await a.read('K2')).toEqual({ text: 'žluťoučký kůň 🐎' });
    await a.delete('K2');
    expect(await a.read('K2')).toBeUndefined();
  });

  test('a write that lost a race raises ConflictError and overwrites nothing', async () => {
    const prefix = `race-${Date.now()}-`;
    const one = remoteKvAdapter({ dialect: { dialect: 'etcd', endpoint: etcd.url, prefix } });
    const two = remoteKvAdapter({ dialect: { dialect: 'etcd', endpoint: etcd.url, prefix } });
    expect(await one.read('K')).toBeUndefined();
    expect(await two.read('K')).toBeUndefined();
    await one.write('K', 'first');
    await expect(two.write('K', 'second')).rejects.toBeInstanceOf(ConflictError); // create-if-absent lost
    expect(await two.read('K')).toBe('first');
    await two.write('K', 'second'); // now it has seen the current version
    await expect(one.write('K', 'third')).rejects.toThrow(/Another writer changed "K"/);
    expect(await one.read('K')).toBe('second');
  });

  test("a store with onConflict 'fail' keeps its state and reports the conflict; 'rebase' merges", async () => {
    const prefix = `merge-${Date.now()}-`;
    const open = (onConflict: 'fail' | 'rebase') =>
      createPersistentStore({ key: 'C', initial: { n: 0 }, adapter: remoteKvAdapter({ dialect: { dialect: 'etcd', endpoint: etcd.url, prefix } }), events: EMPTY, onConflict });
    const a = await open('fail');
    const b = await open('rebase');
    a.update((s) => void (s.n += 1));
    await a.flush();
    b.update((s) => void (s.n += 10));
    await b.flush(); // conflict, re-read n = 1, re-apply: 11
    expect(b.getState()).toEqual({ n: 11 });
    a.update((s) => void (s.n += 100));
    const error = (await a.flush().catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/Another writer changed "C"/);
    expect(error.cause).toBeInstanceOf(ConflictError);
    expect(a.getState()).toEqual({ n: 101 });
    expect(a.getStatus().phase).toBe('error');
    await a.close().catch(() => undefined);
    await b.close();
    const c = await open('fail');
    expect(c.getState()).toEqual({ n: 11 }); // a's write never replaced b's
    await c.close();
  });

  test("'rebase' applies a write once when its answer was lost after it landed and another writer wrote on top", async () => {
    let interfere: (() => Promise<void>) | undefined;
    // The first snapshot write lands in etcd, then its answer is lost; before the retry, b writes.
    const losingFetch: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      const now = interfere;
      if (now && url.endsWith('/v3/kv/txn')) {
        interfere = undefined;
        await response.text();
        await now();
        throw new TypeError('fetch failed (connection reset)');
      }
      return response;
    };
    const open = (fetchImpl?: FetchLike) => createPersistentStore({ key: 'C', initial: { n: 0 }, adapter: adapter(etcd.url, fetchImpl && { fetch: fetchImpl }), events: EMPTY, onConflict: 'rebase' });
    const a = await open(losingFetch);
    interfere = async () => {
      const b = await open();
      expect(b.getState()).toEqual({ n: 1 }); // a's write landed
      b.update((s) => void (s.n += 10));
      await b.close();
    };
    a.update((s) => void (s.n += 1));
    await a.flush(); // retried: a conflict with b's write, which already holds a's +1
    expect(interfere).toBeUndefined();
    expect(a.getState()).toEqual({ n: 11 });
    a.update((s) => void (s.n += 100));
    await a.close();
    const check = await open();
    expect(check.getState()).toEqual({ n: 111 });
    await check.close();
  });

  test('through a proxy that drops, stalls and answers 503 or 429, the final state arrives intact', async () => {
    const proxy = await startFaultProxy(etcd.url);
    try {
      const store = await createPersistentStore({
        key: 'FAULTY',
        initial: { items: [] as number[] },
        adapter: adapter(proxy.url, { timeoutMs: 200, retries: 2 }),
        events: EMPTY,
        debounceMs: 5,
        maxWaitMs: 20,
      });
      proxy.inject(0.3);
      for (let i = 0; i < 40; i++) {
        store.update((s) => void s.items.push(i));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      proxy.inject(0);
      await store.close();
      const faults = proxy.counts.drop + proxy.counts.stall + proxy.counts['503'] + proxy.counts['429'];
      expect(faults).toBeGreaterThan(0);
      const check = await createPersistentStore({ key: 'FAULTY', initial: { items: [] as number[] }, adapter: adapter(proxy.url), events: EMPTY });
      expect(check.getState().items).toEqual(Array.from({ length: 40 }, (_, i) => i));
      await check.close();
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  test('several worker processes share one work queue: no item is claimed by two of them', async () => {
    const log = path.join(tmpdir(), `rxps-etcd-queue-${process.pid}-${Date.now()}.log`);
    try {
      const workers = Array.from({ length: 3 }, () => startFixture('etcd-queue-worker', [etcd.url, '60', log]));
      const codes = await Promise.all(workers.map(async (w) => ((await once(w, 'exit')) as [number])[0]));
      expect(codes).toEqual([0, 0, 0]);
      const claims = readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split(' ')[1]!);
      expect(claims.length).toBe(60);
      expect(new Set(claims).size).toBe(60);
      const byWorker = new Set(readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split(' ')[0]));
      expect(byWorker.size).toBeGreaterThan(1); // the work really was shared
    } finally {
      rmSync(log, { force: true });
    }
  }, 60_000);

  test('several worker processes share one counter: the total is exact', async () => {
    const workers = Array.from({ length: 4 }, () => startFixture('etcd-counter-worker', [etcd.url, '15']));
    const codes = await Promise.all(workers.map(async (w) => ((await once(w, 'exit')) as [number])[0]));
    expect(codes).toEqual([0, 0, 0, 0]);
    const store = await createPersistentStore({ key: 'SHARED_COUNTER', initial: { n: 0, by: {} as Record<string, number> }, adapter: remoteKvAdapter({ dialect: { dialect: 'etcd', endpoint: etcd.url } }), events: EMPTY });
    expect(store.getState().n).toBe(60);
    expect(Object.values(store.getState().by).sort()).toEqual([15, 15, 15, 15]);
    await store.close();
  }, 60_000);
});
