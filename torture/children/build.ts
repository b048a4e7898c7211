import { build } from 'esbuild';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BUILD_DIR = path.join(here, '..', '..', '.torture-build');

/**
 * Bundles the torture children into plain ESM once, so that each of hundreds of restarts costs a
 * Node start and one file's load rather than a TypeScript loader and hundreds of module files.
 */
export async function buildChildren(names: readonly string[]): Promise<Record<string, string>> {
  await build({
    entryPoints: names.map((name) => path.join(here, `${name}.ts`)),
    outdir: BUILD_DIR,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
  return Object.fromEntries(names.map((name) => [name, path.join(BUILD_DIR, `${name}.mjs`)]));
}
