import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The Apify key-value store API as documented, on 127.0.0.1 — the one fake in the suite, since
 * the platform cannot run here. `GET/PUT/DELETE /v2/key-value-stores/{storeId}/records/{key}`
 * with `Authorization: Bearer <token>`: 401 without it, 404 for a missing store or record,
 * 413 over 9 MB. `script` makes the next requests answer a given status (e.g. 429 with
 * Retry-After) first.
 */
export async function startFakeApify(token: string, storeId: string) {
  const records = new Map<string, string>();
  const requests: Array<{ method: string; path: string; authorized: boolean }> = [];
  const scripted: Array<{ status: number; headers?: Record<string, string> }> = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const authorized = req.headers.authorization === `Bearer ${token}`;
    requests.push({ method: req.method!, path: req.url!, authorized });
    const next = scripted.shift();
    if (next) {
      res.writeHead(next.status, next.headers);
      return res.end(JSON.stringify({ error: { type: 'scripted', message: `status ${next.status}` } }));
    }
    const match = /^\/v2\/key-value-stores\/([^/]+)\/records\/([^/?]+)$/.exec(req.url ?? '');
    const reply = (status: number, body?: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body ?? (status >= 400 ? JSON.stringify({ error: { type: 'error', message: `status ${status}` } }) : ''));
    };
    if (!authorized) return reply(401);
    if (!match || decodeURIComponent(match[1]!) !== storeId) return reply(404);
    const key = decodeURIComponent(match[2]!);
    if (req.method === 'GET') return records.has(key) ? reply(200, records.get(key)) : reply(404);
    if (req.method === 'PUT') {
      const body = Buffer.concat(chunks);
      if (body.length > 9 * 1024 * 1024) return reply(413);
      records.set(key, body.toString('utf8'));
      return reply(201);
    }
    if (req.method === 'DELETE') return records.delete(key) ? reply(204) : reply(404);
    return reply(405);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    records,
    requests,
    script: (...answers: Array<{ status: number; headers?: Record<string, string> }>) => void scripted.push(...answers),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
