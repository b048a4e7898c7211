import { defer, EMPTY, lazyObservable, Observable, share, Subject } from '../rx.js';
import { InvalidOptionError } from '../errors.js';
import { nodeRuntime } from '../runtime/runtime.js';
import { assertDuration, isDuration } from '../time/duration.js';
import { browserSource } from './browser-source.js';
import type { EventDiagnostic } from './event-diagnostic.js';
import type { PlatformEvent } from './event-types.js';

/**
 * Options of `createEventSource`; each default follows the environment (the platform's variables in
 * Node, the page in a browser).
 *
 * @example
 * const events = createEventSource({ mode: 'local', persistStateIntervalMs: 10_000, signals: false });
 */
export interface EventSourceOptions {
  /**
   * Where events come from. `auto` picks `browser` in a page, `apify` when the platform's socket
   * URL is set, `local` otherwise; in the browser build outside a page (a worker), no events.
   * `local` and `apify` need Node (the Node entry).
   * @default 'auto'
   */
  readonly mode?: 'auto' | 'apify' | 'local' | 'browser';
  /**
   * The platform's events socket.
   * @default process.env.ACTOR_EVENTS_WEBSOCKET_URL ?? process.env.APIFY_ACTOR_EVENTS_WS_URL
   */
  readonly url?: string;
  /**
   * Local mode: `persistState` at once and then this often.
   * @default CRAWLEE_PERSIST_STATE_INTERVAL_MILLIS ?? APIFY_PERSIST_STATE_INTERVAL_MILLIS ?? 60000
   */
  readonly persistStateIntervalMs?: number;
  /** Local mode: `systemInfo` this often. @default 1000 */
  readonly systemInfoIntervalMs?: number;
  /**
   * Node: turn SIGTERM and SIGINT into `aborting` (stores write, then write every change at
   * once), then, unless another handler of the signal is installed (Crawlee's graceful pause, the
   * job's own), `exit` (stores close) and the end of the process with code 128 + the signal's
   * number. With another handler, ending the process is left to it.
   * @default true
   */
  readonly signals?: boolean;
  /** How long each shutdown step waits for the work handed to `waitUntil`. @default 10000 */
  readonly shutdownTimeoutMs?: number;
  /** First delay before reopening a dropped platform socket; doubles per attempt, with jitter. @default 500 */
  readonly reconnectDelayMs?: number;
  /** Longest delay between reconnect attempts. @default 30000 */
  readonly maxReconnectDelayMs?: number;
  /**
   * How long the platform socket's opening handshake may go unanswered before it is given up,
   * reported on `diagnostics$` and tried again like a dropped socket.
   * @default 10000
   */
  readonly handshakeTimeoutMs?: number;
}

/**
 * Platform events, plus what the source noticed along the way.
 *
 * @example
 * const events: EventSource = createEventSource();
 * events.diagnostics$.subscribe(({ type, message }) => console.log(`[${type}] ${message}`));
 * events.pipe(ofType('aborting')).subscribe(() => console.log('aborting'));
 */
export interface EventSource extends Observable<PlatformEvent> {
  /** Connection changes, dropped messages and failed readings; never errors. */
  readonly diagnostics$: Observable<EventDiagnostic>;
}

const env = (name: string): string | undefined => (typeof process === 'undefined' ? undefined : process.env[name]) || undefined;
const isBrowser = (): boolean => typeof window !== 'undefined' && typeof document !== 'undefined';

const DURATIONS = [
  'persistStateIntervalMs',
  'systemInfoIntervalMs',
  'shutdownTimeoutMs',
  'reconnectDelayMs',
  'maxReconnectDelayMs',
  'handshakeTimeoutMs',
] as const;

function assertValidOptions(options: EventSourceOptions): void {
  // None may be 0: an interval or a reconnect delay of 0 would spin, a timeout of 0 give up at once.
  for (const name of DURATIONS) if (options[name] !== undefined) assertDuration(name, options[name]);
  if (options.mode !== undefined && !['auto', 'apify', 'local', 'browser'].includes(options.mode)) {
    throw new InvalidOptionError('mode', `expected 'auto', 'apify', 'local' or 'browser', got ${String(options.mode)}`);
  }
}

export type ResolvedEventOptions = ReturnType<typeof resolve>;

/** The options with their defaults, read from the environment of this moment. */
function resolve(options: EventSourceOptions) {
  const url = options.url ?? env('ACTOR_EVENTS_WEBSOCKET_URL') ?? env('APIFY_ACTOR_EVENTS_WS_URL');
  const mode: 'browser' | 'local' | 'apify' | 'none' =
    options.mode === undefined || options.mode === 'auto' ? (isBrowser() ? 'browser' : !nodeRuntime() ? 'none' : url ? 'apify' : 'local') : options.mode;
  if (mode === 'apify' && !url) throw new InvalidOptionError('url', 'apify mode needs the socket URL (or ACTOR_EVENTS_WEBSOCKET_URL)');
  const intervalFromEnv = Number(env('CRAWLEE_PERSIST_STATE_INTERVAL_MILLIS') ?? env('APIFY_PERSIST_STATE_INTERVAL_MILLIS'));
  return {
    mode,
    url: url ?? '',
    persistStateIntervalMs: options.persistStateIntervalMs ?? (isDuration(intervalFromEnv) ? intervalFromEnv : 60_000),
    systemInfoIntervalMs: options.systemInfoIntervalMs ?? 1_000,
    signals: options.signals ?? true,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 10_000,
    reconnectDelayMs: options.reconnectDelayMs ?? 500,
    maxReconnectDelayMs: options.maxReconnectDelayMs ?? 30_000,
    handshakeTimeoutMs: options.handshakeTimeoutMs, // the socket's own default when absent
  };
}

/**
 * Makes a source of platform events: lazy (started by the first subscriber, with the options
 * and environment of that moment), shared, and stopped when the last subscriber leaves.
 *
 * @example
 * const events = createEventSource({ mode: 'local', persistStateIntervalMs: 10_000 });
 * events.pipe(ofType('persistState')).subscribe(() => console.log('persist now'));
 */
export function createEventSource(options: EventSourceOptions = {}): EventSource {
  assertValidOptions(options);
  const diagnostics = new Subject<EventDiagnostic>();
  const report = (diagnostic: EventDiagnostic): void => diagnostics.next(diagnostic);
  // Built at the first subscription, not here: the options and the environment are read then.
  let shared: Observable<PlatformEvent> | undefined;
  const sharedEvents = (): Observable<PlatformEvent> =>
    (shared ??= defer(() => {
      const o = resolve(options);
      const { mode } = o;
      if (mode === 'browser') return browserSource();
      if (mode === 'none') return EMPTY;
      const node = nodeRuntime();
      if (!node)
        throw new InvalidOptionError('mode', `'${mode}' events need Node, and this is the browser build (loaded through the \`browser\` export condition)`);
      return node.events({ ...o, mode }, report);
    }).pipe(share()));
  const events = new Observable<PlatformEvent>((subscriber) => sharedEvents().subscribe(subscriber));
  return Object.assign(events, { diagnostics$: diagnostics.asObservable() });
}

/**
 * The platform events of this job, from the source that fits the environment (see
 * `createEventSource`). Every store follows it unless given other `events`.
 *
 * @example
 * events$.pipe(ofType('migrating')).subscribe(({ data }) => console.log(`${data.timeRemainingSecs} s left`));
 */
// Made at its first use, so that importing the library loads no rxjs file in Node (see lazyObservable).
export const events$: EventSource = lazyObservable(() => createEventSource());
