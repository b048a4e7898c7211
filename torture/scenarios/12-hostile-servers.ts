import { format, inspect } from 'node:util';
import { EMPTY } from 'rxjs';
import {
  apifyDialect,
  createEventSource,
  createPersistentStore,
  etcdDialect,
  PersistentStoreError,
  remoteKvAdapter,
  webDavDialect,
  type EventDiagnostic,
  type EventSourceOptions,
  type PersistentStore,
  type RemoteKvAdapterOptions,
} from '../../src/index.js';
import { APACHE_BINARY, startApacheDav } from '../../spec/support/apache-server.js';
import { ETCD_BINARY, startEtcd } from '../../spec/support/etcd-server.js';
import { startFakeApify } from '../../spec/support/fake-apify-server.js';
import { requireBinary } from '../../spec/support/server-binaries.js';
import { frame, startFront, startRawWebSocketServer, startRecorder, startSilentServer, type Answer, type Seen } from '../hostile-servers.js';
import { mustBeZero, random, type Figure, type Scenario } from '../scenario.js';
import { Hang, within as withinMs } from '../within.js';

/*
 * Hostile servers, all real, on 127.0.0.1 (one free port each: each is its own origin).
 *
 * Redirects: a front before a real backend (the Apify API as documented, a real etcd, a real
 * Apache mod_dav) answers a seeded share of requests with a redirect, in three phases: to itself
 * keeping the method (any code on GET, 307/308 on writes: must simply work); to itself with
 * 301/302/303 on writes (which turn them into GETs: never to be acknowledged as written); to
 * another origin: a thief that acknowledges everything and records it, or, for a GET, a storage
 * location serving the real record (Apify documents a 302 there). Stores write
 * through the front; after each flush that resolved, storage must hold every update acknowledged
 * so far; stores opened through the front must restore exactly what storage holds; nothing
 * secret, and no body, may reach another origin.
 *
 * Credential echoes: servers that answer 4xx/5xx, or a 200 that is not JSON, with the whole
 * request echoed back; base URLs with user:password@ or ?token=, Bearer tokens, Basic headers.
 * Every text a user could see (errors as console.error would print them, `cause` chains,
 * status$'s lastError, whatever the library writes on the console, event diagnostics) is
 * searched for each secret, plain, URL-encoded and base64.
 *
 * The events socket: a server that accepts the TCP connection and never answers the upgrade (the
 * source must say so and reconnect), then one that answers it and sends garbage frames.
 *
 * Hostile answers: a gateway's own 200 JSON page on GET (no schema given) must not be adopted nor
 * overwrite the real record; etcd answers that are not etcd's JSON: a typed error, no crash.
 */

interface State {
  readonly n: number;
  readonly items: Record<string, number>;
}
type Dialect = 'apify' | 'etcd' | 'webdav';
/** What the front redirects where: GETs anywhere and writes by 307/308 to itself; writes by 301/302/303 to itself; anything to other origins. */
type Phase = 'same origin' | 'same origin, writes 301/302/303' | 'other origins';
type DialectOption = RemoteKvAdapterOptions['dialect'];

const initial = (): State => ({ n: 0, items: {} });
const REDIRECT_CODES = [301, 302, 303, 307, 308] as const;
/** Share of requests the front redirects. */
const SHARE = 0.35;
const UPDATES = 24;
const FLUSH_EVERY = 3;
/** Flushes (each a new write) tried before one counts as never succeeding. */
const TRIES = 12;
/** Any single open, flush or close that takes longer hangs (counted, then left behind). */
const HANG_MS = 20_000;
/** How long the source may take to give up on an unanswered upgrade and try again. */
const HUNG_BOUND_MS = 8_000;
/** How long the garbage section may take in all (ten short connections). */
const GARBAGE_BOUND_MS = 15_000;
const ERROR_CODES = [400, 401, 403, 409, 422, 500, 502, 503];
const PHASES: readonly Phase[] = ['same origin', 'same origin, writes 301/302/303', 'other origins'];
const STORE_ID = 'hostile-store';
const USER = 'torture';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const within = <T>(promise: Promise<T>, what: string, ms = HANG_MS): Promise<T> => withinMs(promise, what, ms);

const b64 = (text: string): string => Buffer.from(text).toString('base64').replace(/=+$/, '');

/** The forms a secret could be printed in. */
function formsOf(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), b64(secret), b64(`${USER}:${secret}`)])];
}

/** Every text a user could see of an error: as console.error prints it, and each `cause`'s message. */
function userTexts(error: unknown): string[] {
  const texts = [inspect(error, { depth: 10 })];
  let current: unknown = error;
  for (let i = 0; i < 10 && current !== undefined && current !== null; i++) {
    texts.push(String(current));
    if (current instanceof Error) texts.push(current.message, current.stack ?? '');
    current = (current as { cause?: unknown }).cause;
  }
  try {
    texts.push(JSON.stringify(error) ?? '');
  } catch {
    // circular: inspect above has it
  }
  return texts;
}

const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` (${code})` : ''}: ${error.message.slice(0, 160)}`;
};

/** What a user could have seen, by where, and each problem's first examples. */
class Exposure {
  private readonly texts: Array<{ where: string; text: string }> = [];
  private readonly seenErrors = new WeakSet<object>();
  readonly untyped: string[] = [];
  readonly hangs: string[] = [];

  text(where: string, text: string): void {
    this.texts.push({ where, text });
  }
  /** An error a user could catch or see; counted once per object. */
  error(where: string, error: unknown): void {
    if (typeof error === 'object' && error !== null) {
      if (this.seenErrors.has(error)) return;
      this.seenErrors.add(error);
    }
    if (error instanceof Hang) this.hangs.push(`${where}: ${error.message}`);
    else if (!(error instanceof PersistentStoreError)) this.untyped.push(`${where}: ${describeError(error)}`);
    for (const text of userTexts(error)) this.texts.push({ where, text });
  }
  /** Occurrences of each secret, in any of its forms. */
  count(secrets: Readonly<Record<string, string>>): { total: number; by: Map<string, number>; examples: string[] } {
    const by = new Map<string, number>();
    const examples: string[] = [];
    const exampleKinds = new Set<string>();
    let total = 0;
    for (const { where, text } of this.texts) {
      for (const [name, secret] of Object.entries(secrets)) {
        for (const form of formsOf(secret)) {
          const n = text.split(form).length - 1;
          if (n === 0) continue;
          total += n;
          const label = `${name} in ${where.split(':')[0]}`;
          by.set(label, (by.get(label) ?? 0) + n);
          // One example per secret and configuration.
          const kind = `${name} | ${where.replace(/, .*$/, '')}`;
          if (!exampleKinds.has(kind) && exampleKinds.size < 12) {
            exampleKinds.add(kind);
            const at = text.indexOf(form);
            examples.push(`${name}, ${where}: …${text.slice(Math.max(0, at - 80), at + form.length + 20).replace(/\s+/g, ' ')}…`);
          }
        }
      }
    }
    return { total, by, examples };
  }
}

interface Backend {
  readonly dialect: Dialect;
  readonly url: string;
  readonly option: (base: string) => DialectOption;
  readonly front: { readonly url: string };
  /** How the front answers right now; each phase sets it. */
  readonly route: { current: Route };
}
type Route = (seen: Seen, forward: (seen: Seen) => Promise<Answer>) => Promise<Answer>;
const pass: Route = (seen, forward) => forward(seen);

/** The servers, secrets and helpers every section of the scenario shares. */
type Lab = Awaited<ReturnType<typeof startLab>>;

async function startLab(seed: number, log: (line: string) => void, exposure: Exposure, stops: Array<() => Promise<void>>, failures: Figure[]) {
  const rnd = random(seed ^ 0x40571e);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rnd() * values.length)]!;
  const secrets = {
    'Apify token': `apify_api_${hex(16)}`,
    password: `pw@${hex(10)}+/x`,
    '?token=': `qt${hex(16)}`,
    'x-api-key': `key-${hex(16)}`,
  };
  const basic = `Basic ${Buffer.from(`${USER}:${secrets.password}`).toString('base64')}`;
  const withUser = (url: string) => url.replace(/^(https?|wss?):\/\//, `$1://${USER}:${encodeURIComponent(secrets.password)}@`);
  const stores = new Set<PersistentStore<State>>();

  // The other origins: a thief that acknowledges everything, a storage location for GETs.
  const thief = await startRecorder(() => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"header":{"revision":"999999"},"succeeded":true}',
  }));
  stops.push(thief.stop);
  const objects = new Map<string, Answer>();
  const storage = await startRecorder((seen) => {
    const match = /^\/signed\/(\d+)/.exec(seen.url);
    return (match && objects.get(match[1]!)) || { status: 404, body: 'NoSuchKey' };
  });
  stops.push(storage.stop);

  // The real backends, each behind a front.
  const backends: Backend[] = [];
  const addBackend = async (dialect: Dialect, url: string, option: (base: string) => DialectOption) => {
    const route = { current: pass };
    const front = await startFront(url, (seen, forward) => route.current(seen, forward));
    stops.push(front.stop);
    backends.push({ dialect, url, option, front, route });
  };
  // Hostile answers are the point here, not the rate limit: readers straight to the API and writers
  // through the front each pace on their own, and this scenario's clients retry once after 50 ms.
  const apify = await startFakeApify(secrets['Apify token'], STORE_ID, { requestsPerSecond: 10_000 });
  stops.push(apify.stop);
  await addBackend('apify', apify.url, (base) => apifyDialect({ token: secrets['Apify token'], storeId: STORE_ID, baseUrl: base }));
  if (requireBinary(ETCD_BINARY, 'etcd-server').available) {
    const etcd = await startEtcd();
    stops.push(etcd.stop);
    await addBackend('etcd', etcd.url, (base) => etcdDialect({ endpoint: base, prefix: `torture-${seed}/` }));
  } else failures.push({ name: 'etcd', value: `${ETCD_BINARY} is missing`, must: 'installed', ok: false });
  if (requireBinary(APACHE_BINARY, 'apache2').available) {
    const apache = await startApacheDav();
    stops.push(apache.stop);
    await addBackend('webdav', apache.url, (base) =>
      webDavDialect({
        baseUrl: base,
        headers: { authorization: basic, 'x-api-key': secrets['x-api-key'] },
      }),
    );
  } else failures.push({ name: 'Apache (WebDAV)', value: `${APACHE_BINARY} is missing`, must: 'installed', ok: false });
  log(`thief ${thief.url}, storage ${storage.url}; ${backends.map((b) => `${b.dialect} ${b.url} behind ${b.front.url}`).join('; ')}`);

  const storeOn = (b: Backend, base: string, key: string) =>
    createPersistentStore<State>({
      key,
      initial: initial(),
      adapter: remoteKvAdapter({ dialect: b.option(base), retries: 1, retryDelayMs: 10, maxRetryDelayMs: 50, timeoutMs: 3_000 }),
      events: EMPTY,
      debounceMs: 5,
      maxWaitMs: 20,
      flushTimeoutMs: 3_000,
    });
  /** What storage holds, read by a fresh store straight on the backend. */
  const stored = async (b: Backend, key: string): Promise<{ restored: boolean; state: State }> => {
    const check = await within(storeOn(b, b.url, key), `reading ${b.dialect} ${key} straight`);
    const result = { restored: check.restored, state: check.getState() };
    await within(check.close(), 'closing a check');
    return result;
  };
  let objectId = 0;
  const lab = {
    seed,
    log,
    rnd,
    hex,
    pick,
    secrets,
    basic,
    withUser,
    exposure,
    stops,
    stores,
    thief,
    storage,
    backends,
    storeOn,
    stored,
    /** Writes `updates` updates straight to the backend; resolves to what storage then holds. */
    async writeStraight(b: Backend, key: string, updates: number) {
      const writer = await within(storeOn(b, b.url, key), 'writing a record straight');
      for (let i = 0; i < updates; i++) writer.update((s) => void ((s.n += 1), (s.items[`u${i}`] = i)));
      await within(writer.close(), 'closing the writer');
      return stored(b, key);
    },
    /** A store opened through the front, tried up to TRIES times; each failure is what a user sees. */
    async openThrough(b: Backend, key: string, where: string, failing = (error: unknown) => error) {
      for (let t = 0; t < TRIES; t++) {
        try {
          const store = await within(storeOn(b, b.front.url, key), `opening ${key} through the front`);
          stores.add(store);
          return store;
        } catch (error) {
          exposure.error(`${where}: open`, failing(error));
          if (t === TRIES - 1) log(`${where}: could not open in ${TRIES} tries: ${describeError(error)}`);
        }
      }
      return undefined;
    },
    /** Every lastError status$ shows is user-visible. */
    watch(store: PersistentStore<State>, where: string) {
      return store.status$.subscribe((status) => void (status.lastError && exposure.error(`${where}: status$.lastError`, status.lastError)));
    },
    async closeQuietly(store: PersistentStore<State>, where: string) {
      await within(store.close(), `closing ${where}`).catch((error: unknown) => exposure.error(`${where}: close`, error));
      stores.delete(store);
    },
    /** A GET answered with a redirect to a storage location on another origin, serving the real record there. */
    async toStorage(seen: Seen, forward: (seen: Seen) => Promise<Answer>, status: number): Promise<Answer> {
      const real = await forward(seen);
      if (real.status !== 200) return real;
      const id = String(++objectId);
      objects.set(id, {
        status: 200,
        headers: { 'content-type': real.headers?.['content-type'] ?? 'application/json', ...(real.headers?.etag && { etag: real.headers.etag }) },
        body: real.body ?? '',
      });
      return { status, headers: { location: `${storage.url}/signed/${id}?X-Amz-Signature=${hex(16)}` } };
    },
  };
  return lab;
}

const mark = (url: string) => `${url}${url.includes('?') ? '&' : '?'}__again=1`;
const unmark = (url: string) => (/[?&]__again=1$/.test(url) ? url.replace(/[?&]__again=1$/, '') : undefined);

/** How the front redirects a seeded share of requests in each phase. */
function redirecting(lab: Lab, phase: Phase, frontUrl: string, tally: (what: string) => void): Route {
  return async (seen, forward) => {
    const original = unmark(seen.url);
    if (original !== undefined) return forward({ ...seen, url: original });
    const write = seen.method !== 'GET';
    if (lab.rnd() >= SHARE || (phase === 'same origin, writes 301/302/303' && !write)) return forward(seen);
    if (phase !== 'other origins') {
      // 307/308 keep the method and body; 301/302/303 turn a write into a GET (RFC 9110 §15.4).
      const status = phase === 'same origin' ? lab.pick(write ? ([307, 308] as const) : REDIRECT_CODES) : lab.pick([301, 302, 303] as const);
      tally(`${seen.method} ${status} to the same origin`);
      return { status, headers: { location: lab.rnd() < 0.5 ? mark(seen.url) : `${frontUrl}${mark(seen.url)}` } };
    }
    const status = lab.pick(REDIRECT_CODES);
    if (seen.method === 'GET') {
      tally(`GET ${status} to a storage location`);
      return lab.toStorage(seen, forward, status);
    }
    tally(`${seen.method} ${status} to the thief`);
    return { status, headers: { location: `${lab.thief.url}${seen.url}` } };
  };
}

/**
 * Per backend and phase, a store writes through the redirecting front, flushing every few updates
 * (a refused flush is tried again, up to TRIES times); after each flush that resolved, storage must
 * hold every update acknowledged so far. Then stores opened through the front must restore exactly
 * what storage holds. Then Apify's documented GET 302 to a storage location, with every code.
 */
async function redirects(lab: Lab): Promise<Figure[]> {
  const { log, exposure, seed } = lab;
  const redirected = new Map<string, number>();
  const tally = (what: string) => void redirected.set(what, (redirected.get(what) ?? 0) + 1);
  const lost = new Map<string, Set<number>>();
  const checkLost = (where: string, state: State, acknowledged: number) => {
    for (let j = 0; j < acknowledged; j++) if (state.items[`u${j}`] !== j) lost.set(where, (lost.get(where) ?? new Set()).add(j));
  };
  let neverDurable = 0;
  let corrupt = 0;
  let unopened = 0;
  let sameRefused = 0;
  for (const b of lab.backends) {
    for (const [index, phase] of PHASES.entries()) {
      const where = `redirects, ${phase} (${b.dialect})`;
      const key = `REDIRECT_${index}_${seed}`;
      const reference = `REFERENCE_${index}_${seed}`;
      const referenceState = await lab.writeStraight(b, reference, 7);
      b.route.current = redirecting(lab, phase, b.front.url, tally);
      // Same-origin redirects that keep the method must simply work.
      const failing = (error: unknown) => ((sameRefused += phase === 'same origin' ? 1 : 0), error);
      const store = await lab.openThrough(b, key, where, failing);
      if (store === undefined) {
        unopened++;
        continue;
      }
      const watching = lab.watch(store, where);
      let acknowledged = 0;
      for (let i = 0; i < UPDATES; i++) {
        store.update((s) => {
          s.n += 1;
          s.items[`u${i}`] = i;
        });
        if ((i + 1) % FLUSH_EVERY !== 0) continue;
        let ok = false;
        for (let t = 0; t < TRIES && !ok; t++) {
          ok = await within(store.flush({ timeoutMs: 3_000 }), `${where}: flush`).then(
            () => true,
            (error: unknown) => (exposure.error(`${where}: flush`, failing(error)), false),
          );
        }
        if (!ok) {
          neverDurable++;
          log(`${where}: update ${i} not durable after ${TRIES} flushes`);
          continue;
        }
        acknowledged = i + 1;
        checkLost(where, (await lab.stored(b, key)).state, acknowledged);
      }
      watching.unsubscribe();
      await lab.closeQuietly(store, where);
      const after = await lab.stored(b, key);
      checkLost(where, after.state, acknowledged);
      // The phase's key, and a reference record written straight (the phase's key may hold nothing).
      for (let r = 0; r < 4; r++) {
        const expected = r % 2 === 0 ? after : referenceState;
        const reader = await lab.openThrough(b, r % 2 === 0 ? key : reference, `${where}: restore`, failing);
        if (reader === undefined) {
          unopened++;
          continue;
        }
        const got = { restored: reader.restored, state: reader.getState() };
        await lab.closeQuietly(reader, where);
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          if (corrupt++ < 3)
            log(`corrupt restore, ${where}: ${got.restored ? `n ${got.state.n}` : 'nothing (started from initial)'}; storage holds n ${expected.state.n}`);
        }
      }
      log(`${where}: ${acknowledged} of ${UPDATES} updates acknowledged; ${lost.get(where)?.size ?? 0} of them missing from storage`);
    }
    b.route.current = pass;
  }
  log(`redirects served: ${[...redirected].map(([what, n]) => `${what} ×${n}`).join(', ')}`);

  // Apify documents a 302 on GET record to a storage location: every code must work, bare.
  let storageFailed = 0;
  const apify = lab.backends.find((b) => b.dialect === 'apify');
  if (apify) {
    const key = `REFERENCE_${PHASES.length - 1}_${seed}`;
    const expected = await lab.stored(apify, key);
    for (const status of REDIRECT_CODES) {
      apify.route.current = (seen, forward) => (seen.method === 'GET' ? lab.toStorage(seen, forward, status) : forward(seen));
      const where = `GET ${status} to a storage location (apify)`;
      try {
        const reader = await within(lab.storeOn(apify, apify.front.url, key), where);
        lab.stores.add(reader);
        const same = JSON.stringify({ restored: reader.restored, state: reader.getState() }) === JSON.stringify(expected);
        await lab.closeQuietly(reader, where);
        if (!same) {
          storageFailed++;
          log(`${where}: restored other than what storage holds`);
        }
      } catch (error) {
        exposure.error(`${where}: open`, error);
        storageFailed++;
        log(`${where}: ${describeError(error)}`);
      }
    }
    apify.route.current = pass;
  }

  const lostCount = [...lost.values()].reduce((sum, set) => sum + set.size, 0);
  return [
    {
      name: `redirects (${SHARE * 100} % of requests; to the same origin, 301/302/303 on writes, to other origins): acknowledged updates lost (storage must hold each one once its flush resolved)`,
      value: lostCount === 0 ? 0 : `${lostCount} (${[...lost].map(([w, set]) => `${w}: ${set.size}`).join('; ')})`,
      must: '= 0',
      ok: lostCount === 0,
    },
    mustBeZero(`redirects: updates not durable after ${TRIES} flushes`, neverDurable),
    mustBeZero(
      'redirects to the same origin that keep the method (any code on GET, 307/308 on writes): opens and flushes refused (they must work)',
      sameRefused,
    ),
    mustBeZero(`redirects: stores that could not open through the front in ${TRIES} tries`, unopened),
    mustBeZero('redirects: corrupt restores (a store opened through the front restores other than storage holds)', corrupt),
    mustBeZero(
      `GET ${REDIRECT_CODES.join('/')} to a storage location on another origin (Apify documents a 302): restores that failed or differed`,
      storageFailed,
    ),
  ];
}

/**
 * A gateway's own 200 JSON page on GET (no schema given), and etcd answers that are not etcd's
 * JSON: a store opened through such a front must not adopt them (a typed error is right), and an
 * update then must not overwrite the real record.
 */
async function hostileAnswers(lab: Lab): Promise<Figure[]> {
  const json = { 'content-type': 'application/json' };
  const cases: Array<{ dialect: Dialect; what: string; answer: Answer; applies: (seen: Seen) => boolean }> = [
    ...(['apify', 'webdav'] as const).map((dialect) => ({
      dialect,
      what: 'a 200 JSON page of a gateway on GET',
      answer: { status: 200, headers: json, body: '{"status":"ok","service":"edge-gateway","message":"Welcome! The service is up."}' },
      applies: (seen: Seen) => seen.method === 'GET',
    })),
    ...[
      ['HTML', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
      ['null', 'null'],
      ['a JSON string', '"maintenance"'],
      ['kvs without a header', '{"kvs":[{"key":"eA==","value":"e30=","mod_revision":"7"}]}'],
      // With etcd's header, so that the answer gets past a first look.
      ['a value not base64', '{"header":{"revision":"7"},"kvs":[{"key":"eA==","value":"!!not base64!!","mod_revision":"7"}]}'],
      ['kvs of the wrong type', '{"header":{"revision":"7"},"kvs":[42]}'],
      ['kvs not an array', '{"header":{"revision":"7"},"kvs":{"0":{"value":"e30="}}}'],
      ['a value of the wrong type', '{"header":{"revision":"7"},"kvs":[{"key":"eA==","value":12345,"mod_revision":"7"}]}'],
      ['a value that is a bare {}', `{"header":{"revision":"7"},"kvs":[{"key":"eA==","value":"${Buffer.from('{}').toString('base64')}","mod_revision":"7"}]}`],
      ['a value that is a bare []', `{"header":{"revision":"7"},"kvs":[{"key":"eA==","value":"${Buffer.from('[]').toString('base64')}","mod_revision":"7"}]}`],
    ].map(([what, body]) => ({
      dialect: 'etcd' as const,
      what: `etcd answer: ${what!}`,
      answer: { status: 200, headers: json, body: body! },
      applies: (seen: Seen) => seen.url.startsWith('/v3/kv/range'),
    })),
  ];
  let adopted = 0;
  let overwritten = 0;
  for (const [index, hostile] of cases.entries()) {
    const b = lab.backends.find((x) => x.dialect === hostile.dialect);
    if (b === undefined) continue;
    const key = `HOSTILE_${index}_${lab.seed}`;
    const where = `${hostile.what} (${b.dialect})`;
    const real = await lab.writeStraight(b, key, 5);
    b.route.current = (seen, forward) => (hostile.applies(seen) ? Promise.resolve(hostile.answer) : forward(seen));
    try {
      const store = await within(lab.storeOn(b, b.front.url, key), where);
      lab.stores.add(store);
      if (JSON.stringify({ restored: store.restored, state: store.getState() }) !== JSON.stringify(real)) {
        adopted++;
        lab.log(`${where}: opened with ${JSON.stringify(store.getState()).slice(0, 100)} (restored ${store.restored})`);
      }
      // An update that works on any adopted object, so that a write replaces the record if one can.
      try {
        store.update((s) => void (s.n = 100));
      } catch (error) {
        lab.exposure.text(`${where}: update`, userTexts(error).join('\n')); // an adopted array: the adoption is what counts
      }
      await within(store.flush({ timeoutMs: 3_000 }), `${where}: flush`).catch((error: unknown) => lab.exposure.error(`${where}: flush`, error));
      await lab.closeQuietly(store, where);
    } catch (error) {
      lab.exposure.error(`${where}: open`, error);
      lab.log(`${where}: ${describeError(error)}`);
    }
    b.route.current = pass;
    const after = await lab.stored(b, key);
    if (JSON.stringify(after) !== JSON.stringify(real)) {
      overwritten++;
      lab.log(`${where}: the real record was overwritten (now ${JSON.stringify(after.state).slice(0, 80)})`);
    }
  }
  return [
    mustBeZero('hostile answers (a gateway page on GET, etcd answers that are not etcd JSON): adopted as the stored state (corrupt restores)', adopted),
    mustBeZero('hostile answers: real records overwritten (acknowledged updates lost)', overwritten),
  ];
}

/**
 * Servers that echo the whole request (URL, headers, body) in their error pages, under base URLs
 * with credentials of every kind. What the user could see goes to `lab.exposure`, counted at the end.
 */
async function credentialEchoes(lab: Lab): Promise<void> {
  const { secrets, exposure } = lab;
  const echo = await startRecorder(() => ({ status: 500 }));
  lab.stops.push(echo.stop);
  const echoOf = (seen: Seen) => JSON.stringify({ url: seen.url, headers: seen.headers, method: seen.method, body: seen.body });
  const isRead = (seen: Seen) => seen.method === 'GET' || seen.url.includes('kv/range');
  const apify = { token: secrets['Apify token'], storeId: STORE_ID };
  // Made inside the try below, as the adapter is: a dialect may refuse its options.
  const configs: Array<{ name: string; dialect: () => DialectOption }> = [
    { name: 'apify Bearer token', dialect: () => apifyDialect({ ...apify, baseUrl: echo.url }) },
    { name: 'apify user:password@', dialect: () => apifyDialect({ ...apify, baseUrl: lab.withUser(echo.url) }) },
    { name: 'apify ?token=', dialect: () => apifyDialect({ ...apify, baseUrl: `${echo.url}/?token=${secrets['?token=']}` }) },
    { name: 'etcd user:password@', dialect: () => etcdDialect({ endpoint: lab.withUser(echo.url) }) },
    { name: 'etcd ?token=', dialect: () => etcdDialect({ endpoint: `${echo.url}/?token=${secrets['?token=']}` }) },
    {
      name: 'webdav Basic + x-api-key',
      dialect: () => webDavDialect({ baseUrl: `${echo.url}/dav`, headers: { authorization: lab.basic, 'x-api-key': secrets['x-api-key'] } }),
    },
    { name: 'webdav user:password@', dialect: () => webDavDialect({ baseUrl: lab.withUser(`${echo.url}/dav`) }) },
    { name: 'webdav ?token=', dialect: () => webDavDialect({ baseUrl: `${echo.url}/dav?token=${secrets['?token=']}` }) },
  ];
  let echoed = 0;
  for (const config of configs) {
    for (const mode of ['reads refused', 'reads answered 200, not JSON', 'writes refused'] as const) {
      const where = `echo: ${config.name}, ${mode}`;
      const status = lab.pick(ERROR_CODES);
      echo.answer = (seen) => {
        echoed++;
        if (mode === 'reads answered 200, not JSON' && isRead(seen))
          return { status: 200, headers: { 'content-type': 'text/plain' }, body: `you sent: ${echoOf(seen)}` };
        if (mode === 'writes refused' && isRead(seen)) {
          return seen.method === 'GET'
            ? { status: 404, body: echoOf(seen) }
            : { status: 200, headers: { 'content-type': 'application/json' }, body: '{"header":{"revision":"1"}}' };
        }
        return { status, headers: { 'content-type': 'application/json' }, body: echoOf(seen) };
      };
      try {
        const adapter = remoteKvAdapter({ dialect: config.dialect(), retries: 1, retryDelayMs: 10, maxRetryDelayMs: 20, timeoutMs: 2_000 });
        exposure.text(`${where}: adapter.locate`, adapter.locate('ECHO')); // "for messages", says StorageAdapter
        const store = await within(
          createPersistentStore<State>({ key: 'ECHO', initial: initial(), adapter, events: EMPTY, debounceMs: 5, maxWaitMs: 20, flushTimeoutMs: 1_000 }),
          where,
        );
        lab.stores.add(store);
        const watching = lab.watch(store, where);
        store.update((s) => void (s.n += 1));
        await within(store.flush({ timeoutMs: 1_000 }), `${where}: flush`).catch((error: unknown) => exposure.error(`${where}: flush`, error));
        watching.unsubscribe();
        await lab.closeQuietly(store, where);
      } catch (error) {
        exposure.error(`${where}: open`, error);
      }
    }
  }
  lab.log(`credential echoes: ${configs.length} configurations × 3 modes, ${echoed} requests echoed`);
}

/** Options for both socket sources; `handshakeTimeoutMs` is ignored by versions without it. */
const socketOptions = (url: string) =>
  ({ mode: 'apify', url, signals: false, reconnectDelayMs: 50, maxReconnectDelayMs: 200, handshakeTimeoutMs: 500 }) as EventSourceOptions;

/** A server that accepts the events socket's TCP connection and never answers the upgrade. */
async function hungUpgrade(lab: Lab, socketUrl: (port: number) => string, crashes: string[]): Promise<Figure> {
  const silent = await startSilentServer();
  lab.stops.push(silent.stop);
  // A version with the option refuses a bad value for it, naming it.
  let supported = false;
  try {
    createEventSource({ mode: 'apify', url: 'ws://127.0.0.1:1', handshakeTimeoutMs: -1 } as EventSourceOptions);
  } catch (error) {
    supported = error instanceof PersistentStoreError && error.message.includes('handshakeTimeoutMs');
  }
  const source = createEventSource(socketOptions(socketUrl(silent.port)));
  const diagnostics: EventDiagnostic[] = [];
  const watching = source.diagnostics$.subscribe((d) => {
    diagnostics.push(d);
    lab.exposure.text(`event diagnostic: ${d.type}`, d.message);
  });
  const listening = source.subscribe({ error: (error: unknown) => crashes.push(`socket source errored: ${describeError(error)}`) });
  const reached = await silent.untilConnections(2, HUNG_BOUND_MS);
  listening.unsubscribe();
  watching.unsubscribe();
  const diagnosed = diagnostics.some((d) => d.type !== 'connected');
  const value =
    reached >= 2 && diagnosed
      ? 0
      : `hung: ${diagnosed ? 'a diagnostic' : 'no diagnostic'}, ${reached >= 2 ? 'a reconnect' : 'no reconnect'} within ${HUNG_BOUND_MS / 1000} s`;
  lab.log(
    `hung upgrade (handshakeTimeoutMs ${supported ? 'supported: 500 ms' : 'not an option of this version'}): ${reached} connections in ${HUNG_BOUND_MS / 1000} s; diagnostics ${diagnostics.map((d) => d.type).join(', ') || 'none'}`,
  );
  return { name: `events socket, upgrade never answered: a diagnostic and a reconnect within ${HUNG_BOUND_MS / 1000} s`, value, must: '= 0', ok: value === 0 };
}

/**
 * A server that answers the upgrade, sends an event, goes silent, then sends one kind of garbage
 * per connection and drops it; the last connection sends `migrating`. No crash; the source should
 * still hear that last event.
 */
async function socketGarbage(lab: Lab, socketUrl: (port: number) => string, crashes: string[]): Promise<Figure> {
  const valid = (name: string, data: object) => frame(0x1, Buffer.from(JSON.stringify({ name, data })));
  const garbage: Array<[string, Buffer]> = [
    ['text that is not JSON', frame(0x1, Buffer.from('not json {{{'))],
    ['an event with bad data', frame(0x1, Buffer.from('{"name":"migrating","data":{"timeRemainingSecs":"soon"}}'))],
    ['a __proto__ payload', frame(0x1, Buffer.from('{"name":"persistState","data":{"__proto__":{"polluted":true}},"__proto__":{"polluted":true}}'))],
    ['invalid UTF-8 in a text frame', frame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28]))],
    ['a binary frame of random bytes', frame(0x2, Buffer.from(Array.from({ length: 300 }, () => Math.floor(lab.rnd() * 256))))],
    ['1 MB of text', frame(0x1, Buffer.alloc(1024 * 1024, 'x'))],
    ['a frame with reserved bits set', frame(0x1, Buffer.from('{}'), 0xf0)],
    ['a frame claiming 2^62 bytes', Buffer.from([0x81, 127, 0x40, 0, 0, 0, 0, 0, 0, 0])],
    ['an HTTP answer instead of a frame', Buffer.from('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n')],
    ['a ping flood', Buffer.concat(Array.from({ length: 2000 }, () => frame(0x9, Buffer.from('p'))))],
  ];
  const server = await startRawWebSocketServer((socket, n) => {
    socket.write(valid('persistState', { isMigrating: false }));
    if (n >= garbage.length) {
      socket.write(valid('migrating', { timeRemainingSecs: 30 }));
      return;
    }
    setTimeout(() => {
      if (!socket.destroyed) socket.write(garbage[n]![1]);
      setTimeout(() => socket.destroy(), 200);
    }, 150);
  });
  lab.stops.push(server.stop);
  const source = createEventSource(socketOptions(socketUrl(server.port)));
  const types = new Set<string>();
  const watching = source.diagnostics$.subscribe((d) => {
    types.add(d.type);
    lab.exposure.text(`event diagnostic: ${d.type}`, d.message);
  });
  const events: string[] = [];
  let migrated: () => void = () => undefined;
  const migrating = new Promise<void>((resolve) => (migrated = resolve));
  const listening = source.subscribe({
    next: (event) => void (events.push(event.name), event.name === 'migrating' && migrated()),
    error: (error: unknown) => crashes.push(`socket source errored: ${describeError(error)}`),
  });
  const heard = await Promise.race([migrating.then(() => true), sleep(GARBAGE_BOUND_MS).then(() => false)]);
  listening.unsubscribe();
  watching.unsubscribe();
  if (({} as { polluted?: unknown }).polluted !== undefined) crashes.push('Object.prototype polluted by a socket message');
  lab.log(`socket garbage: ${server.connections} connections, ${events.length} events, diagnostics ${[...types].join(', ')}`);
  return {
    name: `events socket, upgrade answered, then silence and ${garbage.length} kinds of garbage: the event after the garbage`,
    value: heard
      ? `heard (${events.length} events on ${server.connections} connections)`
      : `not heard: the source stopped after ${garbage[Math.max(0, server.connections - 1)]?.[0] ?? 'the last connection'}`,
  };
}

function hostileServers(): Scenario {
  return {
    name: 'Hostile servers: redirects to other origins, credential echoes, a hung socket upgrade, gateway pages',
    async run({ log: print, seed }) {
      const exposure = new Exposure();
      // What the library prints on the console is user-visible; the scenario's own lines are not.
      let own = false;
      const log = (line: string): void => {
        own = true;
        try {
          print(line);
        } finally {
          own = false;
        }
      };
      const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
      const originals = methods.map((m) => console[m]);
      methods.forEach((m, i) => {
        console[m] = (...args: unknown[]) => {
          if (!own) exposure.text(`console.${m}`, format(...args));
          (originals[i] as (...a: unknown[]) => void)(...args);
        };
      });
      const crashes: string[] = [];
      const onUncaught = (error: unknown) => void crashes.push(`uncaught: ${describeError(error)}`);
      const onUnhandled = (error: unknown) => void crashes.push(`unhandled rejection: ${describeError(error)}`);
      process.on('uncaughtException', onUncaught);
      process.on('unhandledRejection', onUnhandled);
      const stops: Array<() => Promise<void>> = [];
      const figures: Figure[] = [];
      let lab: Lab | undefined;
      try {
        lab = await startLab(seed, log, exposure, stops, figures);
        figures.push(...(await redirects(lab)));
        const hostile = await hostileAnswers(lab);
        await credentialEchoes(lab);
        const socketUrl = (port: number) => `${lab!.withUser(`ws://127.0.0.1:${port}`)}/events?token=${lab!.secrets['?token=']}`;
        const hung = await hungUpgrade(lab, socketUrl, crashes);
        const noisy = await socketGarbage(lab, socketUrl, crashes);

        const { thief, storage, secrets } = lab;
        const cross = [...thief.requests.map((r) => ({ at: 'thief', r })), ...storage.requests.map((r) => ({ at: 'storage', r }))].filter(({ r }) => {
          const text = `${r.url} ${JSON.stringify(r.headers)}`;
          return r.body !== '' || r.headers.authorization !== undefined || Object.values(secrets).some((s) => formsOf(s).some((f) => text.includes(f)));
        });
        for (const { at, r } of cross.slice(0, 3))
          log(
            `sent to another origin (${at}): ${r.method} ${r.url.slice(0, 60)}; authorization ${r.headers.authorization ? 'yes' : 'no'}; body ${r.body.length} bytes`,
          );
        const printed = exposure.count(secrets);
        for (const example of printed.examples) log(`secret printed: ${example.slice(0, 300)}`);
        for (const example of exposure.untyped.slice(0, 5)) log(`untyped error: ${example}`);
        crashes.push(...exposure.hangs);
        for (const crash of crashes.slice(0, 5)) log(`crash: ${crash}`);
        figures.push(
          {
            name: `data sent to another origin (requests with a secret or a body at the thief or the storage location, of ${thief.requests.length + storage.requests.length})`,
            value:
              cross.length === 0
                ? 0
                : `${cross.length} (thief ${cross.filter((c) => c.at === 'thief').length}, storage ${cross.filter((c) => c.at === 'storage').length})`,
            must: '= 0',
            ok: cross.length === 0,
          },
          {
            name: 'secrets printed (token, password, ?token=, API key; plain, URL-encoded, base64; occurrences) in errors and their causes, status$, console, event diagnostics',
            value: printed.total === 0 ? 0 : `${printed.total}: ${[...printed.by].map(([w, n]) => `${w} ×${n}`).join(', ')}`,
            must: '= 0',
            ok: printed.total === 0,
          },
          hung,
          noisy,
          ...hostile,
          {
            name: 'errors a user can catch that are not a PersistentStoreError',
            value: exposure.untyped.length === 0 ? 0 : `${exposure.untyped.length}: ${exposure.untyped[0]!.slice(0, 200)}`,
            must: '= 0',
            ok: exposure.untyped.length === 0,
          },
          {
            name: `crashes (uncaught exceptions, unhandled rejections, a source that errors, prototype pollution, a call hung over ${HANG_MS / 1000} s)`,
            value: crashes.length === 0 ? 0 : `${crashes.length}: ${crashes[0]!.slice(0, 200)}`,
            must: '= 0',
            ok: crashes.length === 0,
          },
        );
      } finally {
        for (const store of lab?.stores ?? []) await within(store.close(), 'closing a store', 5_000).catch(() => undefined);
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        process.off('uncaughtException', onUncaught);
        process.off('unhandledRejection', onUnhandled);
        methods.forEach((m, i) => (console[m] = originals[i] as (typeof console)[typeof m]));
      }
      return figures;
    },
  };
}

export default hostileServers();
