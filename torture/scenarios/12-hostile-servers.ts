import type { Socket } from 'node:net';
import { format, inspect } from 'node:util';
import { EMPTY } from 'rxjs';
import {
  createEventSource, createPersistentStore, PersistentStoreError, remoteKvAdapter, type EventDiagnostic, type EventSourceOptions, type PersistentStore, type RemoteKvAdapterOptions,
} from '../../src/index.js';
import { APACHE_BINARY, startApacheDav } from '../../spec/support/apache-server.js';
import { ETCD_BINARY, startEtcd } from '../../spec/support/etcd-server.js';
import { startFakeApify } from '../../spec/support/fake-apify-server.js';
import { requireBinary } from '../../spec/support/server-binaries.js';
import { frame, startFront, startRawWebSocketServer, startRecorder, startSilentServer, type Answer, type Seen } from '../hostile-servers.js';
import { mustBeZero, random, type Figure, type Scenario } from '../scenario.js';

/*
 * Hostile servers, all real, on 127.0.0.1 (one free port each: each is its own origin).
 *
 * Redirects: a front before a real backend (the Apify API as documented, a real etcd, a real
 * Apache mod_dav) answers a seeded share of requests with 301/302/303/307/308, to itself (must keep
 * working) or to another origin: a thief that acknowledges everything and records it, or, for a
 * GET, a storage location serving the real record (Apify documents a 302 there). Stores write
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
const STORE_ID = 'hostile-store';
const USER = 'torture';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class Hang extends Error {}
function within<T>(promise: Promise<T>, what: string, ms = HANG_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  promise.catch(() => undefined);
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Hang(`${what} did not settle within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

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

function hostileServers(): Scenario {
  return {
    name: 'Hostile servers: redirects to other origins, credential echoes, a hung socket upgrade, gateway pages',
    async run({ log: print, seed }) {
      const figures: Figure[] = [];
      const rnd = random(seed ^ 0x40571e);
      const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
      const SECRETS = {
        'Apify token': `apify_api_${hex(16)}`,
        password: `pw@${hex(10)}+/x`,
        '?token=': `qt${hex(16)}`,
        'x-api-key': `key-${hex(16)}`,
      };
      const BASIC = `Basic ${Buffer.from(`${USER}:${SECRETS.password}`).toString('base64')}`;
      const withUser = (url: string) => url.replace('http://', `http://${USER}:${encodeURIComponent(SECRETS.password)}@`);
      const exposure = new Exposure();

      // What the library prints on the console is user-visible; the scenario's own lines are not counted.
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
      const stores = new Set<PersistentStore<State>>();
      try {
        // ---- the other origins: a thief that acknowledges everything, a storage location for GETs
        const thief = await startRecorder(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"header":{"revision":"999999"},"succeeded":true}' }));
        stops.push(thief.stop);
        const objects = new Map<string, Answer>();
        const storage = await startRecorder((seen) => {
          const match = /^\/signed\/(\d+)/.exec(seen.url);
          return (match && objects.get(match[1]!)) || { status: 404, body: 'NoSuchKey' };
        });
        stops.push(storage.stop);

        // ---- the real backends, each behind a front whose routing each phase sets
        const backends: Array<{ dialect: Dialect; url: string; option: (base: string) => DialectOption; front: { url: string }; route: { current: Route } }> = [];
        type Route = (seen: Seen, forward: (seen: Seen) => Promise<Answer>) => Promise<Answer>;
        const pass: Route = (seen, forward) => forward(seen);
        const addBackend = async (dialect: Dialect, url: string, option: (base: string) => DialectOption) => {
          const route = { current: pass };
          const front = await startFront(url, (seen, forward) => route.current(seen, forward));
          stops.push(front.stop);
          backends.push({ dialect, url, option, front, route });
        };
        const apify = await startFakeApify(SECRETS['Apify token'], STORE_ID);
        stops.push(apify.stop);
        await addBackend('apify', apify.url, (base) => ({ dialect: 'apify', token: SECRETS['Apify token'], storeId: STORE_ID, baseUrl: base }));
        if (requireBinary(ETCD_BINARY, 'etcd-server').available) {
          const etcd = await startEtcd();
          stops.push(etcd.stop);
          await addBackend('etcd', etcd.url, (base) => ({ dialect: 'etcd', endpoint: base, prefix: `torture-${seed}/` }));
        } else figures.push({ name: 'etcd', value: `${ETCD_BINARY} is missing`, must: 'installed', ok: false });
        if (requireBinary(APACHE_BINARY, 'apache2').available) {
          const apache = await startApacheDav();
          stops.push(apache.stop);
          await addBackend('webdav', apache.url, (base) => ({ dialect: 'webdav', baseUrl: base, headers: { authorization: BASIC, 'x-api-key': SECRETS['x-api-key'] } }));
        } else figures.push({ name: 'Apache (WebDAV)', value: `${APACHE_BINARY} is missing`, must: 'installed', ok: false });
        log(`thief ${thief.url}, storage ${storage.url}; ${backends.map((b) => `${b.dialect} ${b.url} behind ${b.front.url}`).join('; ')}`);

        const adapterOn = (b: (typeof backends)[number], base: string) => remoteKvAdapter({ dialect: b.option(base), retries: 1, retryDelayMs: 10, maxRetryDelayMs: 50, timeoutMs: 3_000 });
        const storeOn = (b: (typeof backends)[number], base: string, key: string) =>
          createPersistentStore<State>({ key, initial: initial(), adapter: adapterOn(b, base), events: EMPTY, debounceMs: 5, maxWaitMs: 20, flushTimeoutMs: 3_000 });
        /** What storage holds, read by a fresh store straight on the backend. */
        const stored = async (b: (typeof backends)[number], key: string): Promise<{ restored: boolean; state: State }> => {
          const check = await within(storeOn(b, b.url, key), `reading ${b.dialect} ${key} straight`);
          const result = { restored: check.restored, state: check.getState() };
          await within(check.close(), 'closing a check');
          return result;
        };
        /** Writes `updates` updates straight to the backend; resolves to what storage then holds. */
        const writeStraight = async (b: (typeof backends)[number], key: string, updates: number) => {
          const writer = await within(storeOn(b, b.url, key), 'writing a record straight');
          for (let i = 0; i < updates; i++) writer.update((s) => void ((s.n += 1), (s.items[`u${i}`] = i)));
          await within(writer.close(), 'closing the writer');
          return stored(b, key);
        };
        /** A store opened through the front, tried up to TRIES times; failures are what a user sees. */
        const openThrough = async (b: (typeof backends)[number], key: string, where: string, failing = (error: unknown) => error) => {
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
        };
        const watch = (store: PersistentStore<State>, where: string) =>
          store.status$.subscribe((status) => void (status.lastError && exposure.error(`${where}: status$.lastError`, status.lastError)));
        const closeQuietly = async (store: PersistentStore<State>, where: string) => {
          await within(store.close(), `closing ${where}`).catch((error: unknown) => exposure.error(`${where}: close`, error));
          stores.delete(store);
        };

        // ================= Redirects
        const mark = (url: string) => `${url}${url.includes('?') ? '&' : '?'}__again=1`;
        const unmark = (url: string) => (/[?&]__again=1$/.test(url) ? url.replace(/[?&]__again=1$/, '') : undefined);
        const pick = <T>(values: readonly T[]): T => values[Math.floor(rnd() * values.length)]!;
        const redirected = new Map<string, number>();
        const tally = (what: string) => redirected.set(what, (redirected.get(what) ?? 0) + 1);
        let objectId = 0;
        /** A GET answered with a redirect to a storage location serving the real record. */
        const toStorage = async (seen: Seen, forward: (seen: Seen) => Promise<Answer>, status: number): Promise<Answer> => {
          const real = await forward(seen);
          if (real.status !== 200) return real;
          const id = String(++objectId);
          objects.set(id, { status: 200, headers: { 'content-type': real.headers?.['content-type'] ?? 'application/json', ...(real.headers?.etag && { etag: real.headers.etag }) }, body: real.body ?? '' });
          tally(`GET ${status} to a storage location`);
          return { status, headers: { location: `${storage.url}/signed/${id}?X-Amz-Signature=${hex(16)}` } };
        };
        const redirecting =
          (phase: Phase, frontUrl: string): Route =>
          async (seen, forward) => {
            const original = unmark(seen.url);
            if (original !== undefined) return forward({ ...seen, url: original });
            const write = seen.method !== 'GET';
            if (rnd() >= SHARE || (phase === 'same origin, writes 301/302/303' && !write)) return forward(seen);
            if (phase !== 'other origins') {
              // 307/308 keep the method and body; 301/302/303 turn a write into a GET (RFC 9110 §15.4).
              const status = phase === 'same origin' ? pick(write ? ([307, 308] as const) : REDIRECT_CODES) : pick([301, 302, 303] as const);
              tally(`${seen.method} ${status} to the same origin`);
              return { status, headers: { location: rnd() < 0.5 ? mark(seen.url) : `${frontUrl}${mark(seen.url)}` } };
            }
            const status = pick(REDIRECT_CODES);
            if (seen.method === 'GET') return toStorage(seen, forward, status);
            tally(`${seen.method} ${status} to the thief`);
            return { status, headers: { location: `${thief.url}${seen.url}` } };
          };

        const lost = new Set<string>();
        const lostBy = new Map<string, number>();
        let neverFlushed = 0;
        let corruptRestores = 0;
        let unopened = 0;
        /** Opens and flushes that failed under same-origin redirects that keep the method: they must work. */
        let sameRefused = 0;
        const PHASES = ['same origin', 'same origin, writes 301/302/303', 'other origins'] as const;
        const corruptExamples: string[] = [];
        for (const b of backends) {
          for (const [index, phase] of PHASES.entries()) {
            const where = `redirects, ${phase} (${b.dialect})`;
            const key = `REDIRECT_${index}_${seed}`;
            const reference = `REFERENCE_${index}_${seed}`;
            const referenceState = await writeStraight(b, reference, 7);
            b.route.current = redirecting(phase, b.front.url);
            const failing = (error: unknown) => {
              if (phase === 'same origin') sameRefused++;
              return error;
            };
            const store = await openThrough(b, key, where, failing);
            if (store === undefined) {
              unopened++;
              continue;
            }
            const watching = watch(store, where);
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
                neverFlushed++;
                log(`${where}: update ${i} not durable after ${TRIES} flushes`);
                continue;
              }
              acknowledged = i + 1;
              // A flush that resolved promises durability: storage must hold every update acknowledged so far.
              const now = await stored(b, key);
              for (let j = 0; j < acknowledged; j++) {
                if (now.state.items[`u${j}`] !== j && !lost.has(`${where}/${j}`)) {
                  lost.add(`${where}/${j}`);
                  lostBy.set(where, (lostBy.get(where) ?? 0) + 1);
                }
              }
            }
            watching.unsubscribe();
            await closeQuietly(store, where);
            const after = await stored(b, key);
            for (let j = 0; j < acknowledged; j++) {
              if (after.state.items[`u${j}`] !== j && !lost.has(`${where}/${j}`)) {
                lost.add(`${where}/${j}`);
                lostBy.set(where, (lostBy.get(where) ?? 0) + 1);
              }
            }
            // Stores opened through the front must restore exactly what storage holds: the phase's
            // key, and a reference record written straight (the phase's key may hold nothing).
            for (let r = 0; r < 4; r++) {
              const reader = await openThrough(b, r % 2 === 0 ? key : reference, `${where}: restore`, failing);
              if (reader === undefined) {
                unopened++;
                continue;
              }
              const got = { restored: reader.restored, state: reader.getState() };
              await closeQuietly(reader, where);
              if (JSON.stringify(got) !== JSON.stringify(r % 2 === 0 ? after : referenceState)) {
                corruptRestores++;
                if (corruptExamples.length < 3) corruptExamples.push(`${where}: restored ${got.restored ? `n ${got.state.n}` : 'nothing (started from initial)'}, storage holds n ${(r % 2 === 0 ? after : referenceState).state.n}`);
              }
            }
            log(`${where}: ${acknowledged} of ${UPDATES} updates acknowledged; ${lostBy.get(where) ?? 0} of them missing from storage`);
          }
          b.route.current = pass;
        }
        log(`redirects served: ${[...redirected].map(([what, n]) => `${what} ×${n}`).join(', ')}`);

        // Apify documents a 302 on GET record to a storage location: every code must work, without credentials.
        let storageReadsFailed = 0;
        const apifyBackend = backends.find((b) => b.dialect === 'apify');
        if (apifyBackend) {
          const key = `REDIRECT_2_${seed}`; // written in the "other origins" phase
          const expected = await stored(apifyBackend, key);
          for (const status of REDIRECT_CODES) {
            apifyBackend.route.current = (seen, forward) => (seen.method === 'GET' ? toStorage(seen, forward, status) : forward(seen));
            const where = `GET ${status} to a storage location (apify)`;
            try {
              const reader = await within(storeOn(apifyBackend, apifyBackend.front.url, key), where);
              stores.add(reader);
              const same = JSON.stringify({ restored: reader.restored, state: reader.getState() }) === JSON.stringify(expected);
              await closeQuietly(reader, where);
              if (!same) {
                storageReadsFailed++;
                log(`${where}: restored other than what storage holds`);
              }
            } catch (error) {
              exposure.error(`${where}: open`, error);
              storageReadsFailed++;
              log(`${where}: ${describeError(error)}`);
            }
          }
          apifyBackend.route.current = pass;
        }

        // ================= Hostile answers: a gateway's own JSON page, etcd answers that are not etcd's
        let adopted = 0;
        let overwritten = 0;
        const hostileExamples: string[] = [];
        const hostileAnswers: Array<{ dialect: Dialect; what: string; answer: Answer; applies: (seen: Seen) => boolean }> = [
          ...(['apify', 'webdav'] as const).map((dialect) => ({
            dialect,
            what: 'a 200 JSON page of a gateway on GET',
            answer: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok","service":"edge-gateway","message":"Welcome! The service is up."}' },
            applies: (seen: Seen) => seen.method === 'GET',
          })),
          ...[
            ['HTML', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
            ['null', 'null'],
            ['a JSON string', '"maintenance"'],
            ['kvs not base64', '{"kvs":[{"key":"eA==","value":"!!not base64!!","mod_revision":"7"}]}'],
            ['kvs of the wrong type', '{"kvs":[42]}'],
            ['a value that is a bare {}', `{"kvs":[{"key":"eA==","value":"${Buffer.from('{}').toString('base64')}","mod_revision":"7"}]}`],
          ].map(([what, body]) => ({
            dialect: 'etcd' as const,
            what: `etcd answer: ${what!}`,
            answer: { status: 200, headers: { 'content-type': 'application/json' }, body: body! },
            applies: (seen: Seen) => seen.url.startsWith('/v3/kv/range'),
          })),
        ];
        for (const [index, hostile] of hostileAnswers.entries()) {
          const b = backends.find((x) => x.dialect === hostile.dialect);
          if (b === undefined) continue;
          const key = `HOSTILE_${index}_${seed}`;
          const where = `${hostile.what} (${b.dialect})`;
          const real = await writeStraight(b, key, 5);
          b.route.current = (seen, forward) => (hostile.applies(seen) ? Promise.resolve(hostile.answer) : forward(seen));
          try {
            const store = await within(storeOn(b, b.front.url, key), where);
            stores.add(store);
            if (JSON.stringify({ restored: store.restored, state: store.getState() }) !== JSON.stringify(real)) {
              adopted++;
              hostileExamples.push(`${where}: opened with ${JSON.stringify(store.getState()).slice(0, 100)} (restored ${store.restored})`);
            }
            // An update that works whatever was adopted, so that a write replaces the record if one can.
            store.update((s) => void (s.n = 100));
            await within(store.flush({ timeoutMs: 3_000 }), `${where}: flush`).catch((error: unknown) => exposure.error(`${where}: flush`, error));
            await closeQuietly(store, where);
          } catch (error) {
            exposure.error(`${where}: open`, error);
            if (!(error instanceof PersistentStoreError)) hostileExamples.push(`${where}: ${describeError(error)}`);
          }
          b.route.current = pass;
          const after = await stored(b, key);
          if (JSON.stringify(after) !== JSON.stringify(real)) {
            overwritten++;
            hostileExamples.push(`${where}: the real record was overwritten (now ${JSON.stringify(after.state).slice(0, 80)})`);
          }
        }
        for (const example of hostileExamples) log(example);

        // ================= Credential echoes
        const echo = await startRecorder(() => ({ status: 500 }));
        stops.push(echo.stop);
        const echoOf = (seen: Seen) => JSON.stringify({ url: seen.url, headers: seen.headers, method: seen.method, body: seen.body });
        const isRead = (seen: Seen) => seen.method === 'GET' || seen.url.includes('kv/range');
        const configs: Array<{ name: string; dialect: DialectOption }> = [
          { name: 'apify Bearer token', dialect: { dialect: 'apify', token: SECRETS['Apify token'], storeId: STORE_ID, baseUrl: echo.url } },
          { name: 'apify user:password@', dialect: { dialect: 'apify', token: SECRETS['Apify token'], storeId: STORE_ID, baseUrl: withUser(echo.url) } },
          { name: 'apify ?token=', dialect: { dialect: 'apify', token: SECRETS['Apify token'], storeId: STORE_ID, baseUrl: `${echo.url}/?token=${SECRETS['?token=']}` } },
          { name: 'etcd user:password@', dialect: { dialect: 'etcd', endpoint: withUser(echo.url) } },
          { name: 'etcd ?token=', dialect: { dialect: 'etcd', endpoint: `${echo.url}/?token=${SECRETS['?token=']}` } },
          { name: 'webdav Basic + x-api-key', dialect: { dialect: 'webdav', baseUrl: `${echo.url}/dav`, headers: { authorization: BASIC, 'x-api-key': SECRETS['x-api-key'] } } },
          { name: 'webdav user:password@', dialect: { dialect: 'webdav', baseUrl: withUser(`${echo.url}/dav`) } },
          { name: 'webdav ?token=', dialect: { dialect: 'webdav', baseUrl: `${echo.url}/dav?token=${SECRETS['?token=']}` } },
        ];
        const ERROR_CODES = [400, 401, 403, 409, 422, 500, 502, 503];
        let echoed = 0;
        for (const config of configs) {
          for (const mode of ['reads refused', 'reads answered 200, not JSON', 'writes refused'] as const) {
            const where = `echo: ${config.name}, ${mode}`;
            const status = pick(ERROR_CODES);
            echo.answer = (seen) => {
              echoed++;
              if (mode === 'reads answered 200, not JSON' && isRead(seen)) return { status: 200, headers: { 'content-type': 'text/plain' }, body: `you sent: ${echoOf(seen)}` };
              if (mode === 'writes refused' && isRead(seen)) {
                return seen.method === 'GET' ? { status: 404, body: echoOf(seen) } : { status: 200, headers: { 'content-type': 'application/json' }, body: '{"header":{"revision":"1"}}' };
              }
              return { status, headers: { 'content-type': 'application/json' }, body: echoOf(seen) };
            };
            try {
              const adapter = remoteKvAdapter({ dialect: config.dialect, retries: 1, retryDelayMs: 10, maxRetryDelayMs: 20, timeoutMs: 2_000 });
              exposure.text(`${where}: adapter.locate`, adapter.locate('ECHO'));
              const store = await within(createPersistentStore<State>({ key: 'ECHO', initial: initial(), adapter, events: EMPTY, debounceMs: 5, maxWaitMs: 20, flushTimeoutMs: 1_000 }), where);
              stores.add(store);
              const watching = watch(store, where);
              store.update((s) => void (s.n += 1));
              await within(store.flush({ timeoutMs: 1_000 }), `${where}: flush`).catch((error: unknown) => exposure.error(`${where}: flush`, error));
              watching.unsubscribe();
              await closeQuietly(store, where);
            } catch (error) {
              exposure.error(`${where}: open`, error);
            }
          }
        }
        echo.answer = () => ({ status: 500 });
        log(`credential echoes: ${configs.length} configurations × 3 modes, ${echoed} requests echoed`);

        // ================= The events socket: a hung upgrade
        const diagnosticsSeen: EventDiagnostic[] = [];
        const socketUrl = (port: number) => `ws://${USER}:${encodeURIComponent(SECRETS.password)}@127.0.0.1:${port}/events?token=${SECRETS['?token=']}`;
        const silent = await startSilentServer();
        stops.push(silent.stop);
        // Feature detection: a version with the option refuses a bad value for it, naming it.
        let handshakeOption = false;
        try {
          createEventSource({ mode: 'apify', url: 'ws://127.0.0.1:1', handshakeTimeoutMs: -1 } as EventSourceOptions);
        } catch (error) {
          handshakeOption = error instanceof PersistentStoreError && error.message.includes('handshakeTimeoutMs');
        }
        const hungOptions = { mode: 'apify', url: socketUrl(silent.port), signals: false, reconnectDelayMs: 50, maxReconnectDelayMs: 200, handshakeTimeoutMs: 500 } as const;
        const hungSource = createEventSource(hungOptions as EventSourceOptions);
        const hungDiagnostics: EventDiagnostic[] = [];
        const hungWatch = hungSource.diagnostics$.subscribe((d) => (hungDiagnostics.push(d), diagnosticsSeen.push(d)));
        const hungEvents = hungSource.subscribe({ error: (error: unknown) => crashes.push(`hung socket source errored: ${describeError(error)}`) });
        const reached = await silent.untilConnections(2, HUNG_BOUND_MS);
        const diagnosed = hungDiagnostics.some((d) => d.type !== 'connected');
        hungEvents.unsubscribe();
        hungWatch.unsubscribe();
        const hung = reached < 2 || !diagnosed;
        const hungText = hung ? `hung: ${diagnosed ? 'a diagnostic' : 'no diagnostic'}, ${reached >= 2 ? 'a reconnect' : 'no reconnect'} within ${HUNG_BOUND_MS / 1000} s` : 0;
        log(
          `hung upgrade (handshakeTimeoutMs ${handshakeOption ? 'supported: 500 ms' : 'not an option of this version'}): ${reached} connections in ${HUNG_BOUND_MS / 1000} s; diagnostics ${hungDiagnostics.map((d) => d.type).join(', ') || 'none'}`,
        );

        // ================= The events socket: an answered upgrade, then silence and garbage
        const valid = (name: string, data: object) => frame(0x1, Buffer.from(JSON.stringify({ name, data })));
        const garbage: Array<[string, Buffer]> = [
          ['text that is not JSON', frame(0x1, Buffer.from('not json {{{'))],
          ['an event with bad data', frame(0x1, Buffer.from('{"name":"migrating","data":{"timeRemainingSecs":"soon"}}'))],
          ['a __proto__ payload', frame(0x1, Buffer.from('{"name":"persistState","data":{"__proto__":{"polluted":true}},"__proto__":{"polluted":true}}'))],
          ['invalid UTF-8 in a text frame', frame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28]))],
          ['a binary frame of random bytes', frame(0x2, Buffer.from(Array.from({ length: 300 }, () => Math.floor(rnd() * 256))))],
          ['1 MB of text', frame(0x1, Buffer.alloc(1024 * 1024, 'x'))],
          ['a frame with reserved bits set', frame(0x1, Buffer.from('{}'), 0xf0)],
          ['a frame claiming 2^62 bytes', Buffer.from([0x81, 127, 0x40, 0, 0, 0, 0, 0, 0, 0])],
          ['an HTTP answer instead of a frame', Buffer.from('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n')],
          ['a ping flood', Buffer.concat(Array.from({ length: 2000 }, () => frame(0x9, Buffer.from('p'))))],
        ];
        let stoppedAfter: string | undefined;
        const rawSockets: Socket[] = [];
        const noisy = await startRawWebSocketServer((socket, n) => {
          rawSockets.push(socket);
          socket.write(valid('persistState', { isMigrating: false }));
          if (n >= garbage.length) {
            socket.write(valid('migrating', { timeRemainingSecs: 30 }));
            return;
          }
          // Silence, then the garbage, then the connection goes.
          setTimeout(() => {
            if (!socket.destroyed) socket.write(garbage[n]![1]);
            setTimeout(() => socket.destroy(), 200);
          }, 150);
        });
        stops.push(noisy.stop);
        const events: string[] = [];
        const noisySource = createEventSource({ ...hungOptions, url: socketUrl(noisy.port) } as EventSourceOptions);
        const noisyWatch = noisySource.diagnostics$.subscribe((d) => void diagnosticsSeen.push(d));
        let migrated: () => void = () => undefined;
        const migratingSeen = new Promise<void>((resolve) => (migrated = resolve));
        const noisyEvents = noisySource.subscribe({
          next: (event) => {
            events.push(event.name);
            if (event.name === 'migrating') migrated();
          },
          error: (error: unknown) => crashes.push(`socket source errored: ${describeError(error)}`),
        });
        const gotMigrating = await Promise.race([migratingSeen.then(() => true), sleep(15_000).then(() => false)]);
        if (!gotMigrating) stoppedAfter = garbage[Math.max(0, noisy.connections - 1)]?.[0] ?? 'the last connection';
        noisyEvents.unsubscribe();
        noisyWatch.unsubscribe();
        if (({} as { polluted?: unknown }).polluted !== undefined) crashes.push('Object.prototype polluted by a socket message');
        for (const d of diagnosticsSeen) exposure.text(`event diagnostic: ${d.type}`, d.message);
        log(`socket garbage: ${noisy.connections} connections, ${events.length} events, diagnostics ${[...new Set(diagnosticsSeen.map((d) => d.type))].join(', ')}`);

        // ================= Figures
        const cross = [...thief.requests.map((r) => ({ at: 'thief', r })), ...storage.requests.map((r) => ({ at: 'storage', r }))].filter(({ r }) => {
          const text = `${r.url} ${JSON.stringify(r.headers)}`;
          return r.body !== '' || r.headers.authorization !== undefined || Object.values(SECRETS).some((s) => formsOf(s).some((f) => text.includes(f)));
        });
        for (const { at, r } of cross.slice(0, 3)) log(`sent to another origin (${at}): ${r.method} ${r.url.slice(0, 60)}; authorization ${r.headers.authorization ? 'yes' : 'no'}; body ${r.body.length} bytes`);
        const printed = exposure.count(SECRETS);
        for (const example of printed.examples) log(`secret printed: ${example.slice(0, 300)}`);
        for (const example of corruptExamples) log(`corrupt restore: ${example}`);
        for (const example of exposure.untyped.slice(0, 5)) log(`untyped error: ${example}`);
        crashes.push(...exposure.hangs);
        for (const crash of crashes.slice(0, 5)) log(`crash: ${crash}`);

        const lostText = lost.size === 0 ? 0 : `${lost.size} (${[...lostBy].map(([w, n]) => `${w}: ${n}`).join('; ')})`;
        figures.push(
          { name: `redirects (${SHARE * 100} % of requests; to the same origin, 301/302/303 on writes, to other origins): acknowledged updates lost (storage must hold each update once its flush resolved)`, value: lostText, must: '= 0', ok: lost.size === 0 },
          mustBeZero(`redirects: updates not durable after ${TRIES} flushes`, neverFlushed),
          mustBeZero('redirects to the same origin that keep the method (any code on GET, 307/308 on writes): opens and flushes refused (they must keep working)', sameRefused),
          mustBeZero('redirects: stores that could not open through the front', unopened),
          { name: 'redirects: corrupt restores (a store opened through the front restores other than storage holds)', value: corruptRestores, must: '= 0', ok: corruptRestores === 0 },
          mustBeZero(`GET ${REDIRECT_CODES.join('/')} to a storage location on another origin (Apify documents a 302): restores that failed or differed`, storageReadsFailed),
          {
            name: `data sent to another origin (requests with a secret or a body at the thief or the storage location, of ${thief.requests.length + storage.requests.length})`,
            value: cross.length === 0 ? 0 : `${cross.length} (thief ${cross.filter((c) => c.at === 'thief').length}, storage ${cross.filter((c) => c.at === 'storage').length})`,
            must: '= 0',
            ok: cross.length === 0,
          },
          {
            name: 'secrets printed (token, password, ?token=, API key; plain, URL-encoded, base64) in errors and their causes, status$, console, event diagnostics',
            value: printed.total === 0 ? 0 : `${printed.total}: ${[...printed.by].map(([w, n]) => `${w} ×${n}`).join(', ')}`,
            must: '= 0',
            ok: printed.total === 0,
          },
          { name: `events socket, upgrade never answered: a diagnostic and a reconnect within ${HUNG_BOUND_MS / 1000} s`, value: hungText, must: '= 0', ok: hungText === 0 },
          { name: `events socket, upgrade answered then silence and ${garbage.length} kinds of garbage: events after the garbage`, value: gotMigrating ? `received (${events.length} events on ${noisy.connections} connections)` : `none: the source stopped after ${stoppedAfter}` },
          { name: 'hostile answers (a gateway page on GET, etcd answers that are not etcd JSON): adopted as the stored state (corrupt restores)', value: adopted, must: '= 0', ok: adopted === 0 },
          mustBeZero('hostile answers: real records overwritten (acknowledged updates lost)', overwritten),
          { name: 'errors a user can catch that are not a PersistentStoreError', value: exposure.untyped.length === 0 ? 0 : `${exposure.untyped.length}: ${exposure.untyped[0]!.slice(0, 200)}`, must: '= 0', ok: exposure.untyped.length === 0 },
          { name: `crashes (uncaught exceptions, unhandled rejections, a source that errors, prototype pollution, a call hung over ${HANG_MS / 1000} s)`, value: crashes.length === 0 ? 0 : `${crashes.length}: ${crashes[0]!.slice(0, 200)}`, must: '= 0', ok: crashes.length === 0 },
        );
      } finally {
        for (const store of stores) await within(store.close(), 'closing a store', 5_000).catch(() => undefined);
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
