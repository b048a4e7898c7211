// What a page pays for the store, the IndexedDB adapter and the browser event source, bundled by
// esbuild (minified, browser platform) from the packed package, and which package each byte is from.
// `npx tsx bench/bundle-size.ts` packs the package and prints the table; spec/bundle-size.spec.ts
// holds it to the budget.
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createConsumerProject } from '../spec/support/consumer-project.js';

/**
 * What the page pays today (33.2 kB measured), with room for small changes only. The goal was
 * 20 kB; immer (4.7 kB) and rxjs with tslib (7.8 kB) alone take 12.5 of it, and this package's
 * own code (the log layout, KeyedMap's trie, the checks and their messages) about 21.
 */
export const BUDGET_BYTES = 35 * 1024;
export const ENTRY = "export { createPersistentStore, indexedDbAdapter, createEventSource } from 'rx-persistent-store';";
const OWN = 'rx-persistent-store';

export interface BundleCost {
  readonly minified: number;
  /** The minified bundle, gzipped at level 9. */
  readonly gzipped: number;
  /** Minified bytes from each package (this one's own code is `rx-persistent-store`), largest first. */
  readonly byPackage: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
  /** This package's own share, file by file (under dist/), largest first. */
  readonly byOwnFile: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
  /** Every module esbuild read, as its metafile names them. */
  readonly inputs: readonly string[];
  /** Node built-ins the bundle imports (left external so the rest can still be measured). */
  readonly nodeImports: readonly string[];
}

/** The package an input belongs to: the folder after its last node_modules/ (scoped names whole). */
export function packageOf(input: string): string {
  const names = [...input.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)];
  return names.at(-1)?.[1] ?? '(entry)';
}

/** Bundles ENTRY in `project` (which has rx-persistent-store installed) and measures it. */
export async function measureBundle(project: string): Promise<BundleCost> {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: project, sourcefile: 'entry.js' },
    absWorkingDir: project,
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    metafile: true,
    write: false,
    outfile: 'bundle.js',
    external: ['node:*', ...builtinModules],
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const output = Object.values(result.metafile.outputs)[0]!;
  const bytes = new Map<string, number>();
  const own: Array<{ name: string; bytes: number }> = [];
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    if (bytesInOutput === 0) continue;
    bytes.set(packageOf(input), (bytes.get(packageOf(input)) ?? 0) + bytesInOutput);
    if (packageOf(input) === OWN) own.push({ name: input.slice(input.lastIndexOf(`${OWN}/`) + OWN.length + 1), bytes: bytesInOutput });
  }
  return {
    minified: code.byteLength,
    gzipped: gzipSync(code, { level: 9 }).byteLength,
    byPackage: [...bytes].map(([name, n]) => ({ name, bytes: n })).sort((a, b) => b.bytes - a.bytes),
    byOwnFile: own.sort((a, b) => b.bytes - a.bytes),
    inputs: Object.keys(result.metafile.inputs),
    nodeImports: [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))].sort(),
  };
}

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

/** The cost as Markdown tables (per package, then this package's largest files), with the totals and the budget. */
export function costTable(cost: BundleCost, ownFiles = 10): string {
  const row = ({ name, bytes }: { name: string; bytes: number }) =>
    `| ${name} | ${bytes.toLocaleString('en')} | ${((100 * bytes) / cost.minified).toFixed(1)} % |`;
  const rows = cost.byPackage.map(({ name, bytes }) => row({ name: name === OWN ? `${name} (its own code)` : name, bytes }));
  return [
    `store + IndexedDB adapter + event source, esbuild --minify --platform=browser: ${kB(cost.minified)} minified, ${kB(cost.gzipped)} min+gzip (budget ${kB(BUDGET_BYTES)})`,
    '',
    '| package | minified bytes | share |',
    '|---|---:|---:|',
    ...rows,
    '',
    `| ${OWN}: its ${Math.min(ownFiles, cost.byOwnFile.length)} largest of ${cost.byOwnFile.length} files | minified bytes | share |`,
    '|---|---:|---:|',
    ...cost.byOwnFile.slice(0, ownFiles).map(row),
    ...(cost.nodeImports.length > 0 ? ['', `Node built-ins imported: ${cost.nodeImports.join(', ')}`] : []),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const project = createConsumerProject();
  try {
    console.log(costTable(await measureBundle(project.dir)));
  } finally {
    project.remove();
  }
}
