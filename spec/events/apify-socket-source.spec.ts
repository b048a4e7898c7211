import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { firstValueFrom, filter, take, toArray, type Observable, type Subscription } from 'rxjs';
import { createEventSource, type EventSource } from '../../src/events/event-source.js';
import type { EventDiagnostic } from '../../src/events/event-diagnostic.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { startPlatformServer } from '../support/platform-server.js';
import { startSilentServer } from '../support/silent-server.js';

let server: Awaited<ReturnType<typeof startPlatformServer>>;
let subscriptions: Subscription[];
beforeEach(async () => {
  server = await startPlatformServer();
  subscriptions = [];
});
afterEach(async () => {
  for (const s of subscriptions) s.unsubscribe();
  await server.stop();
});

/** Subscribes, collecting events and diagnostics; signals off (jest owns this process). */
function listen(source: EventSource = createEventSource({ mode: 'apify', url: server.url, signals: false, reconnectDelayMs: 20 })) {
  const events: PlatformEvent[] = [];
  const diagnostics: EventDiagnostic[] = [];
  subscriptions.push(
    source.diagnostics$.subscribe((d) => diagnostics.push(d)),
    source.subscribe((e) => events.push(e)),
  );
  return { events, diagnostics, source };
}

const next = <T>(source: Observable<T>, count = 1) => firstValueFrom(source.pipe(take(count), toArray()));

describe('Apify platform socket', () => {
  test('delivers every event with its data intact; migrating is followed by persistState { isMigrating: true }', async () => {
    const { source } = listen();
    await server.connected();
    const received = next(source, 6);
    server.send({
      name: 'systemInfo',
      data: { cpuCurrentUsage: 42.5, isCpuOverloaded: false, memCurrentBytes: 1024, memMaxBytes: 4096, createdAt: '2026-11-23T00:00:00.000Z' },
    });
    server.send({ name: 'persistState', data: { isMigrating: false } });
    server.send({ name: 'migrating', data: { timeRemainingSecs: 30 } });
    server.send({ name: 'aborting', data: null });
    server.send({ name: 'exit', data: { exitCode: 0 } });
    expect(await received).toEqual([
      {
        name: 'systemInfo',
        data: { cpuCurrentUsage: 42.5, isCpuOverloaded: false, memCurrentBytes: 1024, memMaxBytes: 4096, createdAt: '2026-11-23T00:00:00.000Z' },
      },
      { name: 'persistState', data: { isMigrating: false } },
      { name: 'migrating', data: { timeRemainingSecs: 30 } },
      { name: 'persistState', data: { isMigrating: true } },
      { name: 'aborting', data: {} },
      { name: 'exit', data: { exitCode: 0 } },
    ]);
  });

  test('is shared: one socket for many subscribers, closed when the last one leaves', async () => {
    const source = createEventSource({ mode: 'apify', url: server.url, signals: false });
    const a = source.subscribe();
    const b = source.subscribe();
    await server.connected();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.connections).toBe(1);
    a.unsubscribe();
    b.unsubscribe();
    const again = next(source);
    await server.connected(2); // a new subscriber starts it again
    server.send({ name: 'aborting' });
    expect(await again).toEqual([{ name: 'aborting', data: {} }]);
  });

  test('reconnects after the socket drops and still receives the next migrating', async () => {
    const { source, diagnostics } = listen();
    await server.connected();
    server.drop();
    await server.connected(2);
    const migrating = next(source.pipe(filter((e) => e.name === 'migrating')));
    server.send({ name: 'migrating', data: { timeRemainingSecs: 5 } });
    expect(await migrating).toEqual([{ name: 'migrating', data: { timeRemainingSecs: 5 } }]);
    expect(diagnostics.map((d) => d.type)).toEqual(expect.arrayContaining(['connected', 'reconnecting']));
  });

  test('keeps retrying while the server is away', async () => {
    const { diagnostics } = listen();
    await server.connected();
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(diagnostics.filter((d) => d.type === 'reconnecting').length).toBeGreaterThanOrEqual(2);
    server = await startPlatformServer(); // for afterEach
  });

  test('garbage is reported on diagnostics$ and dropped; the stream goes on', async () => {
    const { events, diagnostics, source } = listen();
    await server.connected();
    const after = next(source);
    for (const garbage of ['not json', '{"name":"reboot"}', '[1,2]', '{"name":"migrating","data":{"timeRemainingSecs":"x"}}', '{"name":"__proto__"}'])
      server.send(garbage);
    server.send({ name: 'aborting', data: {} });
    expect(await after).toEqual([{ name: 'aborting', data: {} }]);
    expect(events).toEqual([{ name: 'aborting', data: {} }]);
    expect(diagnostics.filter((d) => d.type === 'dropped').map((d) => d.message)).toEqual([
      expect.stringMatching(/^not JSON: not json/),
      expect.stringMatching(/^unknown event "reboot"/),
      expect.stringMatching(/^not a \{ name, data \} object/),
      expect.stringMatching(/^bad data for migrating at timeRemainingSecs/),
      expect.stringMatching(/^unknown event "__proto__"/),
    ]);
  });

  test.each([1008, 1002, 1003, 1007, 1010])('close code %i is final: no reconnect', async (code) => {
    const { diagnostics } = listen();
    await server.connected();
    server.closeAll(code);
    await new Promise((resolve) => setTimeout(resolve, 300)); // 15 reconnect delays
    expect(server.connections).toBe(1);
    expect(diagnostics.at(-1)).toEqual({ type: 'closed', message: `closed with code ${code}; not reconnecting` });
  });

  test.each([1000, 1001, 1011])('close code %i is retried', async (code) => {
    listen();
    await server.connected();
    server.closeAll(code);
    await server.connected(2);
    expect(server.connections).toBe(2);
  });

  test('auto mode finds the socket through ACTOR_EVENTS_WEBSOCKET_URL, or the legacy APIFY_ACTOR_EVENTS_WS_URL', async () => {
    for (const name of ['ACTOR_EVENTS_WEBSOCKET_URL', 'APIFY_ACTOR_EVENTS_WS_URL']) {
      process.env[name] = server.url;
      try {
        const before = server.connections;
        listen(createEventSource({ signals: false }));
        await server.connected(before + 1);
      } finally {
        delete process.env[name];
      }
    }
  });

  test('an upgrade that is never answered times out, is reported, and is tried again', async () => {
    const silent = await startSilentServer();
    try {
      const { diagnostics } = listen(createEventSource({ mode: 'apify', url: silent.url, signals: false, reconnectDelayMs: 20, handshakeTimeoutMs: 100 }));
      await silent.connected(2); // the first upgrade was given up, and a second connection made
      expect(diagnostics).toEqual(
        expect.arrayContaining([
          { type: 'socket-error', message: expect.stringMatching(/no answer to the socket's opening handshake within 100 ms/) },
          { type: 'reconnecting', message: expect.stringMatching(/reconnecting in \d+ ms/) },
        ]),
      );
    } finally {
      for (const s of subscriptions.splice(0)) s.unsubscribe();
      await silent.stop();
    }
  });

  test('a server that answers 101 and then trickles one header line at a time is given up after handshakeTimeoutMs in all, and tried again', async () => {
    // ws's own handshakeTimeout restarts with every byte: only a bound on the whole handshake ends this.
    const sockets = new Set<Socket>();
    let connections = 0;
    let second!: () => void;
    const reconnected = new Promise<void>((resolve) => (second = resolve));
    const trickler = createServer((socket) => {
      sockets.add(socket);
      if (++connections === 2) second();
      socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
      socket.once('data', () => {
        socket.write('HTTP/1.1 101 Switching Protocols\r\n');
        const drip = setInterval(() => socket.write('X-Drip: a\r\n'), 10); // well inside the 100 ms
        socket.on('close', () => clearInterval(drip));
      });
    });
    trickler.listen(0, '127.0.0.1');
    await once(trickler, 'listening');
    try {
      const url = `ws://127.0.0.1:${(trickler.address() as AddressInfo).port}`;
      const { diagnostics } = listen(createEventSource({ mode: 'apify', url, signals: false, reconnectDelayMs: 20, handshakeTimeoutMs: 100 }));
      await reconnected;
      expect(diagnostics.slice(0, 2)).toEqual([
        { type: 'socket-error', message: "no answer to the socket's opening handshake within 100 ms" },
        { type: 'reconnecting', message: expect.stringMatching(/^closed with code 1006; reconnecting in \d+ ms$/) },
      ]);
    } finally {
      for (const s of subscriptions.splice(0)) s.unsubscribe();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => trickler.close(resolve));
    }
  });

  test("diagnostics show the socket URL without its userinfo or token; a bad URL's error neither", async () => {
    const url = `${server.url.replace('//', '//apify:PASSWORD-XYZ@')}/events?token=SECRET-TOKEN-123&page=2`;
    const source = createEventSource({ mode: 'apify', url, signals: false, reconnectDelayMs: 20 });
    const connected = firstValueFrom(source.diagnostics$.pipe(filter((d) => d.type === 'connected')));
    listen(source);
    expect(await connected).toEqual({ type: 'connected', message: `connected to ${server.url}/events?token=[redacted]&page=2` });
    const bad = createEventSource({ mode: 'apify', url: 'ws://apify:PASSWORD-XYZ@[oops/?token=SECRET-TOKEN-123', signals: false });
    const error = await new Promise<Error>((resolve) => subscriptions.push(bad.subscribe({ error: resolve })));
    expect(error.message).toBe('Invalid option "url": Invalid URL: ws://[oops/?token=[redacted]');
  });

  test('a dropped message is shown with its control characters escaped', async () => {
    const { diagnostics, source } = listen();
    await server.connected();
    const after = next(source);
    server.send('\u001b[2J\u009b31mnot json');
    server.send({ name: 'aborting', data: {} });
    await after;
    expect(diagnostics.filter((d) => d.type === 'dropped')).toEqual([{ type: 'dropped', message: 'not JSON: \\u001b[2J\\u009b31mnot json' }]);
  });

  test('handshakeTimeoutMs is checked like the other durations', () => {
    expect(() => createEventSource({ handshakeTimeoutMs: 0 })).toThrow(/Invalid option "handshakeTimeoutMs": expected a duration in ms/);
  });
});
