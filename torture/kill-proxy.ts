import { once } from 'node:events';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromBase64 } from '../src/adapters/remote/base64.js';

/** One request of a store's, as the log layout sees it. */
export interface SeenRequest {
  readonly op: 'get' | 'put' | 'delete' | 'list' | 'other';
  /** The record's name (etcd: without the dialect's prefix). */
  readonly name: string;
}

/** Reads an etcd JSON-gateway request: `/v3/kv/txn` (a put), `/v3/kv/range`, `/v3/kv/deleterange`. */
export const etcdRequest =
  (prefix: string) =>
  (path: string, body: string): SeenRequest => {
    try {
      const parsed = JSON.parse(body) as { key?: string; range_end?: string; success?: Array<{ request_put?: { key?: string } }> };
      const strip = (key: string | undefined): string => (key === undefined ? '' : fromBase64(key).slice(prefix.length));
      if (path.endsWith('/kv/txn')) return { op: 'put', name: strip(parsed.success?.[0]?.request_put?.key) };
      if (path.endsWith('/kv/range')) return { op: parsed.range_end ? 'list' : 'get', name: strip(parsed.key) };
      if (path.endsWith('/kv/deleterange')) return { op: 'delete', name: strip(parsed.key) };
    } catch {
      // not JSON: other
    }
    return { op: 'other', name: '' };
  };

/** Reads an Apify API request: `…/records/{name}` by method, `…/keys` a listing. */
export const apifyRequest =
  (method: string) =>
  (path: string): SeenRequest => {
    const record = /\/records\/([^/?]+)/.exec(path);
    if (record)
      return { op: method === 'GET' ? 'get' : method === 'PUT' ? 'put' : method === 'DELETE' ? 'delete' : 'other', name: decodeURIComponent(record[1]!) };
    return { op: /\/keys(\?|$)/.test(path) ? 'list' : 'other', name: '' };
  };

/** When to kill: the `skip + 1`-th request that `matches`, before it reaches the server or once the server answered it. */
export interface KillTrigger {
  readonly matches: (seen: SeenRequest) => boolean;
  readonly skip: number;
  readonly when: 'before' | 'after';
  /** Kills the client (SIGKILL by PID); the proxy then refuses everything until armed again. */
  readonly kill: () => void;
}

/**
 * An HTTP proxy on 127.0.0.1 that forwards a client's requests to `target` and, when armed, kills
 * the client at one chosen request: before forwarding it (it never lands) or after the server
 * answered it (it landed, the client never heard). Paced by the requests themselves, not by time.
 */
export async function startKillProxy(target: string, classify: (method: string, path: string, body: string) => SeenRequest) {
  let trigger: (KillTrigger & { left: number }) | undefined;
  let dead = false;
  const seen: SeenRequest[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (dead) return req.socket.destroy();
    const what = classify(req.method ?? 'GET', req.url ?? '', body.toString('utf8'));
    seen.push(what);
    let hit: KillTrigger | undefined;
    if (trigger?.matches(what) && trigger.left-- === 0) {
      hit = trigger;
      trigger = undefined;
    }
    if (hit?.when === 'before') {
      dead = true;
      hit.kill();
      return req.socket.destroy();
    }
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      const parts: Buffer[] = [];
      answer.on('data', (part: Buffer) => parts.push(part));
      answer.on('end', () => {
        if (hit) {
          dead = true;
          hit.kill();
          return req.socket.destroy();
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.end(Buffer.concat(parts));
      });
    });
    upstream.on('error', () => req.socket.destroy());
    upstream.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Every request seen, in order. */
    seen,
    /** Forwards again, and kills at `next` (or never). */
    arm(next: KillTrigger | undefined): void {
      dead = false;
      trigger = next && { ...next, left: next.skip };
    },
    async stop(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
