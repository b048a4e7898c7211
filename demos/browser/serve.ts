// `npm run demo:browser`: bundles the demo with esbuild and serves it on 127.0.0.1.
import type { Server } from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { servePage } from '../shared/serve-page.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Bundles app.ts and serves the page. */
export function startDemoServer(port = 0): Promise<{ url: string; server: Server }> {
  const files = { 'index.html': path.join(here, 'index.html'), 'style.css': path.join(here, 'style.css') };
  return servePage({ entry: path.join(here, 'app.ts'), files, port });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startDemoServer(Number(process.env.PORT ?? 5173));
  console.log(`Reading list demo: ${url}  (Ctrl+C to stop)`);
}
