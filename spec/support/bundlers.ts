import { copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { outputOf, startFixture } from './processes.js';

const PAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'bundler-page');

export const BUNDLERS = ['esbuild', 'vite', 'rollup', 'webpack'] as const;
export type BundlerName = (typeof BUNDLERS)[number];

export interface PageBuild {
  /** The folder to serve: its index.html loads the bundled page. */
  readonly outDir: string;
  /** Every warning and error the bundler reported, one line each (empty: a clean build). */
  readonly problems: readonly string[];
}

/** How spec/fixtures/build-page.ts marks its result among whatever a bundler prints. */
export const BUILD_RESULT = 'BUILD-RESULT ';

/** Puts the page (index.html, main.js) in the project, where a developer would have it. */
export function addPage(project: string): void {
  for (const name of ['index.html', 'main.js']) copyFileSync(path.join(PAGE, name), path.join(project, name));
}

/**
 * Builds the project's page with one bundler, in a Node process of its own, without jest's
 * NODE_ENV=test (with it, Vite stops warning about the Node built-ins it stubs out).
 */
export async function buildPage(bundler: BundlerName, project: string): Promise<PageBuild> {
  const child = startFixture('build-page', [bundler, project], { NODE_ENV: undefined, NODE_OPTIONS: '' });
  const { code, stdout, stderr } = await outputOf(child, 90_000);
  const line = stdout.split('\n').find((l) => l.startsWith(BUILD_RESULT));
  if (code !== 0 || line === undefined) throw new Error(`build-page ${bundler} exited with ${code}:\n${stdout}\n${stderr}`);
  return JSON.parse(line.slice(BUILD_RESULT.length)) as PageBuild;
}
