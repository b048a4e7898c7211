// `npm run demo:browser`: bundles the demo with esbuild and serves it on 127.0.0.1.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

/** Bundles app.ts (Node-only modules stay in chunks a page never loads) and serves the page. */
export async function startDemoServer(port = 0): Promise<{ url: string; server: Server }> {
  const result = await build({
    entryPoints: { app: path.join(here, 'app.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    outdir: '/bundle',
    external: ['node:*', 'ws', 'node-fetch'],
    logLevel: 'silent',
  });
  const files = new Map(result.outputFiles.map((file) => [`/${path.basename(file.path)}`, file.contents]));
  for (const name of ['index.html', 'style.css']) files.set(`/${name}`, await readFile(path.join(here, name)));
  const server = createServer((req, res) => {
    const name = req.url === '/' ? '/index.html' : (req.url ?? '').split('?')[0]!;
    const body = files.get(name);
    if (body === undefined) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startDemoServer(Number(process.env.PORT ?? 5173));
  console.log(`Reading list demo: ${url}  (Ctrl+C to stop)`);
}
