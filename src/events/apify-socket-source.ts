import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Observable } from '../rx.js';
import WebSocket from 'ws';
import { InvalidOptionError } from '../errors.js';
import { escapeControls } from '../text/escape-controls.js';
import { redactUrl } from '../text/redact-url.js';
import { backoffDelay } from '../time/backoff.js';
import { parsePlatformEvent, type PlatformEvent } from './event-types.js';
import type { EventDiagnostic } from './event-diagnostic.js';

/** Close codes that say the request itself is wrong: retrying would only repeat it. */
const FINAL_CLOSE_CODES = new Set([1002, 1003, 1007, 1008, 1010]);

export interface SocketSourceOptions {
  readonly url: string;
  /** First reconnect delay; doubles per failed attempt, with jitter. */
  readonly reconnectDelayMs: number;
  readonly maxReconnectDelayMs: number;
  /**
   * The whole opening handshake (connect, upgrade, response headers) must be done within this
   * long, or the socket is dropped (and retried): a silent or trickling server must not hang us.
   * @default 10000
   */
  readonly handshakeTimeoutMs?: number;
  readonly report: (diagnostic: EventDiagnostic) => void;
}

/**
 * The Apify platform's events socket: JSON `{ name, data }` messages. Unlike the Apify SDK, a
 * dropped socket is reopened (with backoff and jitter, except after a close code that says
 * retrying is pointless), so a later `migrating` is not missed. A `migrating` is followed by
 * `persistState { isMigrating: true }`, as the SDK does. Malformed or unknown messages are
 * reported and dropped. An opening handshake not done within `handshakeTimeoutMs` counts as a
 * dropped socket. Diagnostics never show the URL's userinfo or secret-looking query values, nor
 * raw control characters. The socket never keeps the process alive on its own.
 */
export function apifySocketSource({
  url,
  reconnectDelayMs,
  maxReconnectDelayMs,
  handshakeTimeoutMs = 10_000,
  report: reportRaw,
}: SocketSourceOptions): Observable<PlatformEvent> {
  // The URL may carry a token, a password, or arrive percent-decoded in ws's messages: every text shown goes through here.
  const clean = (text: string): string => escapeControls(redactUrl(text.split(url).join(redactUrl(url))));
  const report = ({ type, message }: EventDiagnostic): void => reportRaw({ type, message: clean(message) });
  return new Observable<PlatformEvent>((subscriber) => {
    let socket: WebSocket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;

    const onMessage = (raw: WebSocket.RawData): void => {
      const text = raw.toString();
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        report({ type: 'dropped', message: `not JSON: ${text.slice(0, 200)}` });
        return;
      }
      const parsed = parsePlatformEvent(message);
      if ('problem' in parsed) {
        report({ type: 'dropped', message: `${parsed.problem}: ${text.slice(0, 200)}` });
        return;
      }
      subscriber.next(parsed.event);
      if (parsed.event.name === 'migrating') subscriber.next({ name: 'persistState', data: { isMigrating: true } });
    };

    const open = (): void => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, {
          // The socket must not hold the process open: unref it as soon as it exists.
          createConnection: (options: object) => {
            const raw = url.startsWith('wss:') ? tlsConnect(options) : connect(options as { port: number });
            raw.unref();
            return raw;
          },
        } as WebSocket.ClientOptions);
      } catch (error) {
        subscriber.error(new InvalidOptionError('url', clean((error as Error).message))); // ws quotes the whole URL
        return;
      }
      socket = ws;
      // ws's own handshakeTimeout is an idle timeout: a server trickling a header line at a time
      // never trips it. This one bounds the whole handshake, from now to 'open'.
      let gaveUp = false;
      const deadline = setTimeout(() => {
        if (ws.readyState !== WebSocket.CONNECTING) return;
        gaveUp = true;
        report({ type: 'socket-error', message: `no answer to the socket's opening handshake within ${handshakeTimeoutMs} ms` });
        ws.terminate();
      }, handshakeTimeoutMs);
      deadline.unref();
      ws.on('open', () => {
        clearTimeout(deadline);
        attempt = 0;
        report({ type: 'connected', message: `connected to ${url}` });
      });
      ws.on('message', onMessage);
      ws.on('error', (error) => {
        if (!gaveUp) report({ type: 'socket-error', message: error.message }); // else: our own terminate, reported above
      });
      ws.on('close', (code) => {
        clearTimeout(deadline);
        if (stopped) return;
        if (FINAL_CLOSE_CODES.has(code)) {
          report({ type: 'closed', message: `closed with code ${code}; not reconnecting` });
          return;
        }
        const delay = backoffDelay(attempt++, { initialMs: reconnectDelayMs, maxMs: maxReconnectDelayMs, jitter: 'equal' });
        report({ type: 'reconnecting', message: `closed with code ${code}; reconnecting in ${Math.round(delay)} ms` });
        retry = setTimeout(open, delay);
        retry.unref();
      });
    };

    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      socket?.terminate();
    };
  });
}
