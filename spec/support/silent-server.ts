import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP server on 127.0.0.1 that accepts every connection and never says a word: a hung
 * WebSocket upgrade. `connected(n)` resolves once n connections were made.
 */
export async function startSilentServer() {
  const sockets = new Set<Socket>();
  let connections = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
    for (const waiter of waiters.filter((w) => connections >= w.count)) waiter.resolve();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    connected: (count = 1) => new Promise<void>((resolve) => (connections >= count ? resolve() : waiters.push({ count, resolve }))),
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
