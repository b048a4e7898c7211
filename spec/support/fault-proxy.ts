import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'drop' | 'stall' | '503' | '429' | 'lost';

/**
 * An HTTP proxy on 127.0.0.1 in front of a real server that injects faults: with probability
 * `rate` a request is dropped (connection destroyed), stalled (never answered), or answered 503
 * or 429 (with Retry-After: 0) instead of being forwarded. Counts what it did. Opt-in kind
 * `'lost'`: the request is forwarded and the server acts on it, then the connection is reset
 * instead of the answer being passed on (an answer lost after the write landed).
 */
export async function startFaultProxy(target: string, random: () => number = Math.random) {
  let rate = 0;
  let faults: readonly Fault[] = ['drop', 'stall', '503', '429'];
  const counts = { forwarded: 0, drop: 0, stall: 0, '503': 0, '429': 0, lost: 0 };
  const stalled = new Set<ServerResponse>();
  const forward = (req: IncomingMessage, onAnswer: (answer: IncomingMessage) => void): void => {
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, onAnswer);
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (random() < rate) {
      const fault = faults[Math.floor(random() * faults.length)]!;
      counts[fault]++;
      if (fault === 'drop') return req.socket.destroy();
      if (fault === 'stall') return void stalled.add(res);
      // Forwarded whole; once the server has answered (so it acted), the client gets a reset.
      if (fault === 'lost') return forward(req, (answer) => answer.resume().on('end', () => req.socket.destroy()));
      res.writeHead(Number(fault), fault === '429' ? { 'retry-after': '0' } : {});
      return void res.end(`injected ${fault}`);
    }
    counts.forwarded++;
    forward(req, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    /** Faults from now on: each request hits one of `kinds` with probability `probability`. */
    inject(probability: number, kinds: readonly Fault[] = faults): void {
      rate = probability;
      faults = kinds;
    },
    async stop(): Promise<void> {
      for (const res of stalled) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
