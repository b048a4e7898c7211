// `npm run demo:react`: bundles the React demo with esbuild and serves it on 127.0.0.1.
import type { Server } from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { servePage } from '../shared/serve-page.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Bundles app.tsx (React included) and serves the page, with the reading list's style under its own. */
export function startReactDemoServer(port = 0): Promise<{ url: string; server: Server }> {
  const files = {
    'index.html': path.join(here, 'index.html'),
    'style.css': path.join(here, '../browser/style.css'),
    'react.css': path.join(here, 'react.css'),
  };
  return servePage({ entry: path.join(here, 'app.tsx'), files, port });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startReactDemoServer(Number(process.env.PORT ?? 5174));
  console.log(`React demo: ${url}  (Ctrl+C to stop)`);
}
