import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A real WebSocket server on 127.0.0.1 that speaks the Apify platform's events protocol:
 * it sends JSON `{ name, data }` messages to every connected client.
 */
export async function startPlatformServer() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const clients = new Set<WebSocket>();
  let connections = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  server.on('connection', (socket) => {
    clients.add(socket);
    connections++;
    socket.on('close', () => clients.delete(socket));
    for (const waiter of waiters.splice(0)) {
      if (connections >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    /** Resolves once `count` connections have been made in all. */
    connected(count = 1): Promise<void> {
      return connections >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }));
    },
    send(message: unknown): void {
      const text = typeof message === 'string' ? message : JSON.stringify(message);
      for (const client of clients) client.send(text);
    },
    /** Drops every connection as a crashed proxy would (no close frame). */
    drop(): void {
      for (const client of clients) client.terminate();
    },
    closeAll(code: number): void {
      for (const client of clients) client.close(code, 'closed by the test');
    },
    async stop(): Promise<void> {
      for (const client of clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
