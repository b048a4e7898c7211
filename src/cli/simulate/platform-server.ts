import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PlatformEvent } from '../../events/event-types.js';

export interface PlatformServer {
  /** `http://127.0.0.1:<port>`: the API; the events socket is the same address as `ws://`. */
  readonly url: string;
  readonly socketUrl: string;
  /** Jobs connected to the events socket now. */
  readonly connections: number;
  /** Resolves once a job is connected to the events socket (at once if one is). */
  whenConnected(): Promise<void>;
  /** Drops every connection: those of a run that has ended must not count as the next run's. */
  disconnectAll(): void;
  /** Sends `{ name, data }` to every connected job. */
  send(event: Pick<PlatformEvent, 'name' | 'data'>): void;
  close(): Promise<void>;
}

/** The platform's two faces on one loopback port: the events WebSocket and the HTTP API. */
export async function startPlatformServer(api: (req: IncomingMessage, res: ServerResponse) => void): Promise<PlatformServer> {
  const server = createServer(api);
  const sockets = new WebSocketServer({ server });
  const clients = new Set<WebSocket>();
  let waiting: Array<() => void> = [];
  sockets.on('connection', (socket) => {
    clients.add(socket);
    for (const resolve of waiting) resolve();
    waiting = [];
    socket.on('close', () => clients.delete(socket));
    socket.on('error', () => clients.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    socketUrl: `ws://127.0.0.1:${port}`,
    get connections() {
      return clients.size;
    },
    whenConnected() {
      return clients.size > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve));
    },
    disconnectAll() {
      for (const client of clients) client.terminate();
      clients.clear();
    },
    send(event) {
      const text = JSON.stringify({ name: event.name, data: event.data });
      for (const client of clients) client.send(text);
    },
    async close() {
      for (const client of clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
