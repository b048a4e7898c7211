import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import type { Subscription } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { apifySocketSource } from '../../../src/events/apify-socket-source.js';
import { parsePlatformEvent, type PlatformEvent } from '../../../src/events/event-types.js';
import { eventField, invalidEvent, rawEvent, VALID_NAMES } from './event-messages.js';
import { RUNS, sample, within, type Context } from './harness.js';
import { describeError, safeStringify, show } from './print.js';
import { deepText } from './values.js';

// Family 6: messages on the Apify events socket.

type Frame = { text: string } | { binary: Uint8Array };
const frame: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: rawEvent.map((raw) => ({ text: safeStringify(raw) })), weight: 5 },
  {
    arbitrary: fc
      .record({
        name: fc.constantFrom(...VALID_NAMES),
        data: fc.option(
          fc.record({ timeRemainingSecs: eventField, isMigrating: eventField, exitCode: eventField, cpuCurrentUsage: eventField }, { requiredKeys: [] }),
          { nil: undefined },
        ),
      })
      .map((raw) => ({ text: JSON.stringify(raw) })),
    weight: 4,
  },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((text) => ({ text })), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 80 }).map((binary) => ({ binary })), weight: 1 },
  {
    arbitrary: fc.constantFrom<Frame>(
      { text: '' },
      { text: 'null' },
      { text: '1' },
      { text: '"migrating"' },
      { text: '[{"name":"migrating"}]' },
      { text: `{"name":"systemInfo","data":{"pad":"${'x'.repeat(1_000_000)}"}}` },
      { text: deepText(100_000, true) },
    ),
    weight: 1,
  },
);

/** The events the source should emit for a frame: what parsePlatformEvent makes of its text. */
function expectedNames(f: Frame): string[] {
  const text = 'text' in f ? Buffer.from(f.text, 'utf8').toString('utf8') : Buffer.from(f.binary).toString();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const result = parsePlatformEvent(parsed);
  if (!('event' in result)) return [];
  return result.event.name === 'migrating' ? ['migrating', 'persistState'] : [result.event.name];
}

export async function socket(ctx: Context, seed: number): Promise<void> {
  const { tally, log } = ctx;
  const frames = sample(frame, seed, RUNS.socket);
  const closeCodes = sample(fc.constantFrom(1000, 1001, 1011, 1012, 1013, 4000, 4999, 3000, 1002, 1003, 1007, 1008, 1010), seed + 1, 64);
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const connections: WebSocket[] = [];
  let waitingForConnection: ((ws: WebSocket) => void) | undefined;
  server.on('connection', (ws) => {
    ws.on('error', () => undefined);
    if (waitingForConnection) {
      const resolve = waitingForConnection;
      waitingForConnection = undefined;
      resolve(ws);
    } else connections.push(ws);
  });
  const nextConnection = (): Promise<WebSocket> =>
    connections.length > 0 ? Promise.resolve(connections.shift()!) : new Promise((resolve) => (waitingForConnection = resolve));

  const received: PlatformEvent[] = [];
  let sourceError: unknown;
  let subscription: Subscription | undefined;
  const subscribe = (): void => {
    subscription = apifySocketSource({ url, reconnectDelayMs: 10, maxReconnectDelayMs: 40, report: () => undefined }).subscribe({
      next: (event) => void received.push(event),
      error: (error: unknown) => void (sourceError = error),
    });
  };
  const ROUND = 50;
  try {
    subscribe();
    for (let round = 0; round * ROUND < frames.length; round++) {
      const batch = frames.slice(round * ROUND, (round + 1) * ROUND);
      const input = `round ${round}: ${show(
        batch.map((f) => ('text' in f ? f.text : `bytes(${f.binary.length})`)),
        600,
      )}`;
      const connection = await within(nextConnection(), 'the source to connect (or reconnect)', 10_000).catch((error: unknown) => error as Error);
      if (connection instanceof Error) {
        tally.crash('socket');
        tally.note('socket', 'crash', `hang: ${connection.message}`, input);
        break;
      }
      received.length = 0;
      const expected: string[] = [];
      for (const f of batch) {
        tally.try('socket');
        expected.push(...expectedNames(f));
        connection.send('text' in f ? f.text : f.binary, { binary: !('text' in f) });
      }
      // A sentinel the source must pass on: everything sent before it has been handled by then.
      const sentinel = 987_654_321 + round;
      connection.send(JSON.stringify({ name: 'exit', data: { exitCode: sentinel } }));
      const deadline = Date.now() + 10_000;
      while (!received.some((e) => e.name === 'exit' && e.data.exitCode === sentinel) && Date.now() < deadline && sourceError === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const got = received.filter((e) => !(e.name === 'exit' && e.data.exitCode === sentinel));
      if (sourceError !== undefined) {
        tally.crash('socket');
        tally.note('socket', 'the source errored', describeError(sourceError), input);
        sourceError = undefined;
        subscription?.unsubscribe();
        subscribe();
        continue;
      }
      if (got.length === received.length) {
        tally.crash('socket');
        tally.note('socket', 'crash', 'hang: the sentinel event never came through', input);
      }
      const names = got.map((e) => e.name);
      const wrong = got.map(invalidEvent).find((why) => why !== undefined);
      if (names.join(',') !== expected.join(',') || wrong) {
        tally.eventsWrong++;
        tally.note('socket', 'events dropped, invented or wrong', wrong ?? `expected [${expected.join(', ')}], got [${names.join(', ')}]`, input);
      }
      // Close with a random code: a final one ends the source (start a new one), others reconnect.
      const code = closeCodes[round % closeCodes.length]!;
      connection.close(code, 'torture');
      if ([1002, 1003, 1007, 1008, 1010].includes(code)) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        subscription?.unsubscribe();
        subscribe();
      }
      if ((round + 1) % 5 === 0) log(`socket: ${Math.min(frames.length, (round + 1) * ROUND)} of ${frames.length} frames`);
    }
  } finally {
    subscription?.unsubscribe();
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
}
