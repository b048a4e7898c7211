// Servers that misbehave on purpose, on 127.0.0.1 (each on its own free port, so each is its own
// origin), for torture/scenarios/12-hostile-servers.ts. All record what reached them; all stop.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';

/** One request as it reached a server. */
export interface Seen {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function stopHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections(); // keep-alive sockets would hold close() open
  });
}

/**
 * An HTTP server that records every request and answers it with `answer` (replaceable at any
 * time): a thief that acknowledges whatever it gets, a storage location, an echoing error page.
 */
export async function startRecorder(answer: (seen: Seen) => Answer) {
  const requests: Seen[] = [];
  const recorder = {
    url: '',
    requests,
    answer,
    stop: () => stopHttp(server),
  };
  const server = createServer(async (req, res) => {
    const seen: Seen = { method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body: await readBody(req) };
    requests.push(seen);
    const { status, headers, body } = recorder.answer(seen);
    res.writeHead(status, headers);
    res.end(body ?? '');
  });
  recorder.url = await listen(server);
  return recorder;
}

/** Sends `seen` on to `backend` as it came (path, method, headers, body) and buffers the answer. */
export function forwardTo(backend: string, seen: Seen): Promise<Answer & { headers: Record<string, string> }> {
  const target = new URL(backend);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[] | undefined> = { ...seen.headers, host: target.host };
    delete headers['content-length'];
    const req = httpRequest({ host: target.hostname, port: target.port, path: seen.url, method: seen.method, headers }, async (res) => {
      const body = await readBody(res);
      const answerHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined && !['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) answerHeaders[name] = String(value);
      }
      resolve({ status: res.statusCode ?? 502, headers: answerHeaders, body });
    });
    req.on('error', reject);
    req.end(seen.body === '' ? undefined : seen.body);
  });
}

/**
 * A front server before a real backend: `route` decides, per request, to answer by itself (a
 * redirect, a gateway page) or to call `forward` (the backend's answer, as is).
 */
export async function startFront(backend: string, route: (seen: Seen, forward: (seen: Seen) => Promise<Answer>) => Promise<Answer>) {
  const server = createServer(async (req, res) => {
    const seen: Seen = { method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body: await readBody(req) };
    let answer: Answer;
    try {
      answer = await route(seen, (s) => forwardTo(backend, s));
    } catch (error) {
      answer = { status: 502, body: `front: ${(error as Error).message}` };
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body ?? '');
  });
  return { url: await listen(server), stop: () => stopHttp(server) };
}

/** A TCP server that accepts every connection, reads what comes, and never answers. */
export async function startSilentServer() {
  const sockets = new Set<Socket>();
  let connections = 0;
  const waiters: Array<() => void> = [];
  const server = createTcpServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
    for (const wake of waiters.splice(0)) wake();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    /** Resolves once `count` connections were accepted, or after `ms` (the count then tells). */
    async untilConnections(count: number, ms: number): Promise<number> {
      const deadline = Date.now() + ms;
      while (connections < count && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deadline - Date.now());
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
      return connections;
    },
    stop(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** One unmasked server-to-client WebSocket frame (RFC 6455 §5.2), FIN set unless `flags` says. */
export function frame(opcode: number, payload: Buffer, flags = 0x80): Buffer {
  const head =
    payload.length < 126
      ? Buffer.from([flags | opcode, payload.length])
      : payload.length < 65536
        ? Buffer.from([flags | opcode, 126, payload.length >> 8, payload.length & 0xff])
        : Buffer.concat([
            Buffer.from([flags | opcode, 127]),
            (() => {
              const b = Buffer.alloc(8);
              b.writeBigUInt64BE(BigInt(payload.length));
              return b;
            })(),
          ]);
  return Buffer.concat([head, payload]);
}

/**
 * A WebSocket server written by hand on a raw socket, so that it can send what no library
 * would: it answers the upgrade properly, then hands the raw socket to `script(socket, n)` (n =
 * the connection's number, from 0). Whatever the client sends is read and ignored.
 */
export async function startRawWebSocketServer(script: (socket: Socket, n: number) => void) {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer();
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const accept = createHash('sha1')
      .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.resume();
    script(socket, connections++);
  });
  const url = await listen(server);
  return {
    port: Number(new URL(url).port),
    get connections() {
      return connections;
    },
    stop(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      return stopHttp(server);
    },
  };
}
