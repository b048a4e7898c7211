// The demos' page server: bundles a script with esbuild into memory and serves it with the
// page's static files on 127.0.0.1. Nothing is written to disk, so a spec can start one per run.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

export interface PageOptions {
  /** The page's script (.ts or .tsx), served as `/app.js`. */
  readonly entry: string;
  /** Files served as they are: the name the page asks for (`index.html` is `/`) → its path. */
  readonly files: Readonly<Record<string, string>>;
  /** @default 0: a free port */
  readonly port?: number;
}

/** Bundles `entry` as a page gets it (one file, browser settings, nothing external) and serves it. */
export async function servePage({ entry, files, port = 0 }: PageOptions): Promise<{ url: string; server: Server }> {
  const result = await build({
    entryPoints: { app: entry },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    write: false,
    outdir: '/bundle',
    logLevel: 'silent',
  });
  // A warning here (a Node module reached, say) is a bug in the browser entry, not noise.
  if (result.warnings.length > 0) throw new Error(`esbuild warned: ${result.warnings.map((warning) => warning.text).join('; ')}`);
  const served = new Map<string, Uint8Array>(result.outputFiles.map((file) => [`/${path.basename(file.path)}`, file.contents]));
  for (const [name, file] of Object.entries(files)) served.set(`/${name}`, await readFile(file));
  const server = createServer((req, res) => {
    const name = req.url === '/' ? '/index.html' : (req.url ?? '').split('?')[0]!;
    const body = served.get(name);
    if (body === undefined) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}
