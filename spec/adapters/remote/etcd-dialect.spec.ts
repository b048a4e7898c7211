import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { toBase64 } from '../../../src/adapters/remote/base64.js';
import { etcdDialect, etcdMaxValueBytes } from '../../../src/adapters/remote/dialects/etcd.js';
import { EndpointNotFoundError, RemoteStorageError, type FetchLike } from '../../../src/adapters/remote/http.js';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { ConflictError } from '../../../src/errors.js';
import { createPersistentStore } from '../../../src/store/create-persistent-store.js';
import { dialectSend } from '../../support/dialect-send.js';
import { ETCD_BINARY, startEtcd } from '../../support/etcd-server.js';
import { startFaultProxy } from '../../support/fault-proxy.js';
import { startFixture } from '../../support/processes.js';
import { startScriptedServer } from '../../support/scripted-server.js';
import { describeWithBinary } from '../../support/server-binaries.js';

/** A snapshot as the store writes it, and a journal record that sets `v` (see logAdapter). */
const envelope = (seq: number, state: unknown) => ({ $rxps: 1, version: 0, savedAt: '', seq, state });
const set = (seq: number, value: unknown) => ({ seq, ops: [{ op: 'replace', path: ['v'], value }] });

describeWithBinary(ETCD_BINARY, 'etcd-server')('remote KV adapter, etcd dialect (real etcd)', () => {
  let etcd: Awaited<ReturnType<typeof startEtcd>>;
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 30_000);
  afterAll(() => etcd?.stop());

  let prefix = '';
  beforeEach(() => void (prefix = `spec-${expect.getState().currentTestName?.length}-${Date.now()}-`));
  const adapter = (endpoint = etcd.url, extra: object = {}) => remoteKvAdapter({ dialect: etcdDialect({ endpoint, prefix }), retryDelayMs: 5, ...extra });

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

  test('an endpoint with a path etcd does not serve (/v3, a wrong proxy path): EndpointNotFoundError at open, never "nothing stored"', async () => {
    for (const endpoint of [`${etcd.url}/v3`, `${etcd.url}/etcd/`]) {
      const error = await createPersistentStore({ key: 'JOB', initial: { n: 0 }, adapter: adapter(endpoint), events: EMPTY }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EndpointNotFoundError);
      const { code, status, retryable, url, message } = error as EndpointNotFoundError;
      expect({ code, status, retryable }).toEqual({ code: 'ENDPOINT_NOT_FOUND', status: 404, retryable: false });
      expect(url).toBe(`${endpoint.replace(/\/+$/, '')}/v3/kv/range`);
      expect(message).toContain(`${url} answered 404`);
      expect(message).toContain("The endpoint must be etcd's client URL");
    }
    expect(await adapter().read('JOB')).toBeUndefined(); // nothing was written at the right place either
  });

  test('a write that lost a race raises ConflictError and overwrites nothing: the first head, a journal segment, a compaction left behind', async () => {
    const prefix = `race-${Date.now()}-`;
    const one = remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url, prefix }) });
    const two = remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url, prefix }) });
    expect(await one.read('K')).toBeUndefined();
    expect(await two.read('K')).toBeUndefined();
    await one.write('K', envelope(0, 'first'));
    await expect(two.write('K', envelope(0, 'second'))).rejects.toBeInstanceOf(ConflictError); // the head's create-if-absent lost
    expect(await two.read('K')).toEqual(envelope(0, 'first'));
    expect(await two.readJournal!('K')).toEqual([]);
    // Both append record 1: segment 1 is created if absent, so the second append loses.
    await one.append!('K', [set(1, 'one')]);
    await expect(two.append!('K', [set(1, 'two')])).rejects.toThrow(/Another writer changed "K" .*; nothing was overwritten/);
    expect(await two.readJournal!('K', 0)).toEqual([set(1, 'one')]); // caught up: one's record, not its own
    await two.append!('K', [set(2, 'two')]);
    await expect(one.append!('K', [set(2, 'one')])).rejects.toBeInstanceOf(ConflictError);
    expect(await one.readJournal!('K', 1)).toEqual([set(2, 'two')]);
    // one compacts to record 2; two, which has not seen that head, compacts to record 1: its head
    // swap loses (the head is compared by revision) and is dropped, since the newer head holds more.
    await one.write('K', envelope(2, 'one and two'));
    await two.write('K', envelope(1, 'stale'));
    const reader = remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url, prefix }) });
    expect(await reader.read('K')).toEqual(envelope(2, 'one and two'));
    expect(await reader.readJournal!('K')).toEqual([]);
  });

  test("a store with onConflict 'fail' keeps its state and reports the conflict; 'rebase' merges", async () => {
    const prefix = `merge-${Date.now()}-`;
    const open = (onConflict: 'fail' | 'rebase') =>
      createPersistentStore({
        key: 'C',
        initial: { n: 0 },
        adapter: remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url, prefix }) }),
        events: EMPTY,
        onConflict,
      });
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
    let transactions = 0;
    // a's first change (its second transaction: the first creates the key with the state as read)
    // lands in etcd, then its answer is lost; before the retry, b writes.
    const losingFetch: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      const now = interfere;
      if (now && url.endsWith('/v3/kv/txn') && ++transactions === 2) {
        interfere = undefined;
        await response.text();
        await now();
        throw new TypeError('fetch failed (connection reset)');
      }
      return response;
    };
    const open = (fetchImpl?: FetchLike) =>
      createPersistentStore({
        key: 'C',
        initial: { n: 0 },
        adapter: adapter(etcd.url, fetchImpl && { fetch: fetchImpl }),
        events: EMPTY,
        onConflict: 'rebase',
      });
    const a = await open(losingFetch);
    interfere = async () => {
      const b = await open();
      expect(b.getState()).toEqual({ n: 1 }); // a's write landed
      b.update((s) => void (s.n += 10));
      await b.close();
    };
    a.update((s) => void (s.n += 1));
    await a.flush(); // retried: its own segment is found there, so the write landed; no conflict
    expect(interfere).toBeUndefined();
    expect(a.getState()).toEqual({ n: 1 }); // b's +10 is taken in at a's next write
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
      // Each worker holds its first items until all three have claimed one (see the fixture): a
      // worker that keeps losing races on the shared key would otherwise back off while the others drain it.
      const workers = Array.from({ length: 3 }, () => startFixture('etcd-queue-worker', [etcd.url, '60', log, '3']));
      const codes = await Promise.all(workers.map(async (w) => ((await once(w, 'exit')) as [number])[0]));
      expect(codes).toEqual([0, 0, 0]);
      const claims = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' ')[1]!);
      expect(claims.length).toBe(60);
      expect(new Set(claims).size).toBe(60);
      const byWorker = new Set(
        readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(' ')[0]),
      );
      expect(byWorker.size).toBe(3); // the work really was shared: another worker's leases never kept one from claiming
    } finally {
      rmSync(log, { force: true });
    }
  }, 60_000);

  test('several worker processes share one counter: the total is exact', async () => {
    const workers = Array.from({ length: 4 }, () => startFixture('etcd-counter-worker', [etcd.url, '15']));
    const codes = await Promise.all(workers.map(async (w) => ((await once(w, 'exit')) as [number])[0]));
    expect(codes).toEqual([0, 0, 0, 0]);
    const store = await createPersistentStore({
      key: 'SHARED_COUNTER',
      initial: { n: 0, by: {} as Record<string, number> },
      adapter: remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url }) }),
      events: EMPTY,
    });
    expect(store.getState().n).toBe(60);
    expect(Object.values(store.getState().by).sort()).toEqual([15, 15, 15, 15]);
    await store.close();
  }, 60_000);
});

describeWithBinary(ETCD_BINARY, 'etcd-server')('etcd dialect: listing, create-then-get and the request limit (real etcd, --max-request-bytes 1572864)', () => {
  let etcd: Awaited<ReturnType<typeof startEtcd>>;
  beforeAll(async () => {
    etcd = await startEtcd({ maxRequestBytes: 1_572_864 });
  }, 30_000);
  afterAll(() => etcd?.stop());

  let prefix = '';
  let ranges = 0;
  beforeEach(() => {
    prefix = `dialect-${Date.now()}-${Math.random().toString(36).slice(2)}/`;
    ranges = 0;
  });
  const countingFetch: FetchLike = async (url, init) => {
    if (url.endsWith('/v3/kv/range')) ranges++;
    return (globalThis.fetch as unknown as FetchLike)(url, init);
  };
  const dialect = () => etcdDialect({ endpoint: etcd.url, prefix });
  const send = dialectSend({ fetch: countingFetch });
  /** Writes many keys in few requests: etcd takes up to 128 operations per transaction. */
  const seed = async (entries: Array<[string, string]>) => {
    for (let i = 0; i < entries.length; i += 128) {
      const success = entries.slice(i, i + 128).map(([key, value]) => ({ request_put: { key: toBase64(prefix + key), value: toBase64(value) } }));
      const response = await fetch(`${etcd.url}/v3/kv/txn`, { method: 'POST', body: JSON.stringify({ success }) });
      expect(response.status).toBe(200);
    }
  };

  test('list follows every page, strips the dialect prefix and decodes each value', async () => {
    const entries = Array.from({ length: 500 }, (_, i): [string, string] => [`S.seg.${String(i).padStart(5, '0')}`, `{"n":${i},"t":"kůň 🐎"}`]);
    await seed([...entries, ['S.empty', ''], ['T.other', 'x']]);
    const listed = await dialect().list!(send, 'S.');
    expect(listed.sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual([{ name: 'S.empty', text: '' }, ...entries.map(([name, text]) => ({ name, text }))]);
    expect(ranges).toBeGreaterThan(2); // 501 values at up to 1.5 MiB each do not go in one answer
    expect(await dialect().list!(send, 'nothing-here')).toEqual([]);
  });

  test('a prefix is a prefix of the key: AB(rxps)x is not under A(rxps); other prefixes stay apart', async () => {
    await seed([
      ['A(rxps)', '1'],
      ['A(rxps).2', '2'],
      ['AB(rxps)x', '3'],
      ['A(rxps', '4'],
      ['B', '5'],
    ]);
    expect((await dialect().list!(send, 'A(rxps)')).map((r) => r.name).sort()).toEqual(['A(rxps)', 'A(rxps).2']);
    const nextDoor = etcdDialect({ endpoint: etcd.url, prefix: prefix.replace(/\/$/, '-other/') });
    await nextDoor.put(send, 'A(rxps).3', 'h', undefined);
    expect((await dialect().list!(send, 'A(rxps)')).map((r) => r.name).sort()).toEqual(['A(rxps)', 'A(rxps).2']);
    expect(await nextDoor.list!(send, '')).toEqual([{ name: 'A(rxps).3', text: 'h' }]);
  });

  test('createThenGet creates if absent and reads the other key in the same transaction', async () => {
    const d = dialect();
    const first = await d.createThenGet!(send, 'seg.1', 'one', 'head');
    expect(first).toEqual({ created: true, then: undefined });
    await d.put(send, 'head', 'H', undefined);
    const lost = await d.createThenGet!(send, 'seg.1', 'other', 'head');
    expect(lost).toEqual({ created: false, then: { text: 'H', version: expect.stringMatching(/^\d+$/) } });
    expect((await d.get(send, 'seg.1'))?.text).toBe('one'); // nothing written by the loser
    const own = await d.createThenGet!(send, 'seg.2', 'two', 'seg.2');
    expect(own).toEqual({ created: true, then: { text: 'two', version: (await d.get(send, 'seg.2'))?.version } });
  });

  test("createThenGet is atomic: with a deleter racing, a creator never reads its key gone or another writer's", async () => {
    const d = dialect();
    let stop = false;
    let deletes = 0;
    const deleter = (async () => {
      while (!stop) {
        await d.delete(send, 'contested');
        deletes++;
      }
    })();
    const outcomes = { created: 0, found: 0 };
    await Promise.all(
      Array.from({ length: 4 }, async (_, writer) => {
        for (let round = 0; round < 60; round++) {
          const mine = `writer ${writer} round ${round}`;
          const { created, then } = await d.createThenGet!(send, 'contested', mine, 'contested');
          // Read in the same transaction as the compare: the key is there, and ours when we created it.
          expect(then).toBeDefined();
          if (created) expect(then!.text).toBe(mine);
          outcomes[created ? 'created' : 'found']++;
        }
      }),
    );
    stop = true;
    await deleter;
    expect(outcomes.created).toBeGreaterThan(0);
    expect(outcomes.found).toBeGreaterThan(0); // the race really happened both ways
    expect(deletes).toBeGreaterThan(0);
  }, 60_000);

  test('exactly one of many concurrent creators wins; every one reads the winner', async () => {
    const d = dialect();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => d.createThenGet!(send, 'race', `creator ${i}`, 'race')));
    const winners = results.filter((r) => r.created);
    expect(winners).toHaveLength(1);
    expect(new Set(results.map((r) => JSON.stringify(r.then))).size).toBe(1);
  });

  test('maxValueBytes: a text of exactly that many bytes fits next to the longest keys; etcd refuses a request-limit-sized one', async () => {
    const d = etcdDialect({ endpoint: etcd.url, maxRequestBytes: 1_572_864 }); // the default prefix
    expect(d.maxValueBytes).toBe(etcdMaxValueBytes(1_572_864, 'rx-persistent-store/'));
    expect(d.maxValueBytes).toBe(1_572_864 - 3 * (20 + 256) - 512);
    expect(etcdDialect({ endpoint: etcd.url }).maxValueBytes).toBe(d.maxValueBytes); // 1.5 MiB is the default
    const max = d.maxValueBytes!;
    const text = `${'x'.repeat(max - 4)}🐎`; // bytes, not characters: the horse is four
    expect(new TextEncoder().encode(text).length).toBe(max);
    const longKey = (c: string) => `${prefix.replace(/\W/g, '')}${c.repeat(256)}`.slice(0, 256);
    expect(await d.createThenGet!(send, longKey('a'), text, longKey('b'))).toEqual({ created: true, then: undefined });
    await d.put(send, longKey('b'), text, null);
    expect((await d.get(send, longKey('b')))?.text).toBe(text);
    const tooBig = await d.put(send, longKey('c'), 'x'.repeat(1_572_864), null).catch((e: unknown) => e);
    expect(tooBig).toBeInstanceOf(RemoteStorageError);
    expect((tooBig as Error).message).toMatch(/etcd answered 400 .*request is too large/);
  });

  test('a journal segment of exactly maxValueBytes is one transaction; one byte over goes in pieces within the limit', async () => {
    let requests = 0;
    const a = remoteKvAdapter({
      dialect: etcdDialect({ endpoint: etcd.url, prefix }),
      fetch: async (url, init) => (requests++, (globalThis.fetch as unknown as FetchLike)(url, init)),
    });
    const max = etcdDialect({ endpoint: etcd.url, prefix }).maxValueBytes!;
    await a.read('K');
    await a.write('K', envelope(0, {}));
    await a.append!('K', [set(1, '')]);
    // A segment's text is its records and a frame of fixed length (generation, writer): measured on the first one.
    const [segment] = (await dialect().list!(send, 'K(rxps)s.')).map((r) => r.text);
    const fits = max - segment!.length; // the value of record 2 that makes its segment exactly `max` bytes
    requests = 0;
    await a.append!('K', [set(2, 'x'.repeat(fits))]);
    expect(requests).toBe(1); // create the segment and read the head: one transaction
    const stored = (await dialect().list!(send, 'K(rxps)s.')).map((r) => new TextEncoder().encode(r.text).length);
    expect(Math.max(...stored)).toBe(max); // etcd took it: the limit leaves room for the request around it
    await a.append!('K', [set(3, 'y'.repeat(fits + 1))]);
    const pieces = (await dialect().list!(send, 'K(rxps)p.')).map((r) => new TextEncoder().encode(r.text).length);
    expect(pieces).toHaveLength(2);
    for (const bytes of pieces) expect(bytes).toBeLessThanOrEqual(max);
    const reader = remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url, prefix }) });
    await reader.read('K');
    expect(await reader.readJournal!('K')).toEqual([set(1, ''), set(2, 'x'.repeat(fits)), set(3, 'y'.repeat(fits + 1))]);
  });

  test('a snapshot larger than maxValueBytes is stored in chunks within it, and read back whole', async () => {
    const a = remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url, prefix }) });
    const max = etcdDialect({ endpoint: etcd.url, prefix }).maxValueBytes!;
    const big = envelope(0, 'ž'.repeat(Math.ceil(max * 0.6))); // two bytes a character: 1.2 × the limit
    await a.read('BIG');
    await a.write('BIG', big);
    const chunks = (await dialect().list!(send, 'BIG(rxps)c.')).map((r) => r.text!);
    expect(chunks.length).toBe(2);
    for (const chunk of chunks) expect(new TextEncoder().encode(chunk).length).toBeLessThanOrEqual(max);
    expect(await remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url, prefix }) }).read('BIG')).toEqual(big);
  });
});

describe('etcd dialect: hostile answers to a listing or a create-then-get (scripted server)', () => {
  const header = { revision: '9' };
  const kv = (key: string, value = 'dg==') => ({ key: toBase64(key), value, mod_revision: '9' });
  const listCases: Array<[string, unknown, RegExp]> = [
    ['a body that is not JSON', 'oops', /a body that is not JSON/],
    ['no header', { kvs: [kv('p/K1')] }, /without etcd's "header"/],
    ['kvs not an array', { header, kvs: { 0: kv('p/K1') } }, /a malformed "kvs"/],
    ['a key that is not base64', { header, kvs: [{ key: '!!', value: 'dg==' }] }, /a malformed "kvs"/],
    ['a value that is not base64', { header, kvs: [kv('p/K1', '!!')] }, /a malformed "kvs"/],
    ['a malformed more', { header, kvs: [kv('p/K1')], more: 'yes' }, /a malformed "more"/],
    ['more without kvs', { header, more: true }, /a malformed "kvs"/],
    ['a key outside the prefix', { header, kvs: [kv('p/L1')] }, /a key outside the range asked for/],
    ['a page that repeats itself', { header, kvs: [kv('p/K1')], more: true }, /a key outside the range asked for/],
  ];
  test.each(listCases)('list: %s', async (_name, answer, message) => {
    const server = await startScriptedServer(() => ({ status: 200, body: typeof answer === 'string' ? answer : JSON.stringify(answer) }));
    try {
      const error = await etcdDialect({ endpoint: server.origin, prefix: 'p/' }).list!(dialectSend(), 'K').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteStorageError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/^list keys starting p\/K: etcd answered 200 with .*, not etcd's answer: /);
      expect((error as RemoteStorageError).retryable).toBe(false);
      expect(server.requests.length).toBeLessThanOrEqual(2);
    } finally {
      await server.stop();
    }
  });

  const txnCases: Array<[string, unknown, RegExp]> = [
    ['no responses', { header, succeeded: true }, /a malformed "responses"/],
    ['responses of the other branch', { header, succeeded: true, responses: [{ response_range: { header } }] }, /a malformed "responses"/],
    ['a range answer without its header', { header, responses: [{ response_range: {} }] }, /a malformed "responses"/],
    ['a malformed succeeded', { header, succeeded: 'yes', responses: [] }, /a malformed "succeeded"/],
    ['a malformed kvs', { header, responses: [{ response_range: { header, kvs: [7] } }] }, /a malformed "kvs"/],
  ];
  test.each(txnCases)('createThenGet: %s', async (_name, answer, message) => {
    const server = await startScriptedServer(() => ({ status: 200, body: JSON.stringify(answer) }));
    try {
      const error = await etcdDialect({ endpoint: server.origin, prefix: 'p/' }).createThenGet!(dialectSend(), 'K', 'v', 'H').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteStorageError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/^create p\/K then read p\/H: etcd answered 200 with/);
    } finally {
      await server.stop();
    }
  });

  test('createThenGet sends one transaction: create_revision 0, then [put, range] or [range]', async () => {
    const server = await startScriptedServer(() => ({ status: 200, body: JSON.stringify({ header, responses: [{ response_range: { header } }] }) }));
    try {
      expect(await etcdDialect({ endpoint: server.origin, prefix: 'p/' }).createThenGet!(dialectSend(), 'K', 'v', 'H')).toEqual({
        created: false,
        then: undefined,
      });
      expect(server.requests).toHaveLength(1);
      expect(JSON.parse(server.requests[0]!.body)).toEqual({
        compare: [{ key: toBase64('p/K'), target: 'CREATE', result: 'EQUAL', create_revision: '0' }],
        success: [{ request_put: { key: toBase64('p/K'), value: toBase64('v') } }, { request_range: { key: toBase64('p/H') } }],
        failure: [{ request_range: { key: toBase64('p/H') } }],
      });
    } finally {
      await server.stop();
    }
  });

  test('maxRequestBytes too small for any value is refused when the dialect is made', () => {
    expect(() => etcdDialect({ endpoint: 'http://127.0.0.1:1', maxRequestBytes: 1000 })).toThrow(/Invalid option "maxRequestBytes"/);
    expect(etcdDialect({ endpoint: 'http://127.0.0.1:1', maxValueBytes: 10 * 1024 * 1024 }).maxValueBytes).toBe(
      etcdMaxValueBytes(10 * 1024 * 1024, 'rx-persistent-store/'),
    ); // the old name
  });
});
