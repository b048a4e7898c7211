import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * An HTTP server on 127.0.0.1 (its own port: its own origin) that records every request whole
 * and answers what `answer` says: a hostile or broken server, as the adapter may meet one.
 */
export async function startScriptedServer(answer: (request: ReceivedRequest, origin: string) => Answer) {
  const requests: ReceivedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    requests.push(request);
    const { status, headers, body } = answer(request, origin);
    res.writeHead(status, headers);
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The whole request, as a server that echoes it in its error page would show it. */
export const echo = (request: ReceivedRequest): string =>
  JSON.stringify({ method: request.method, url: request.url, headers: request.headers, body: request.body });
