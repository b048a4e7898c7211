// What `import 'rx-persistent-store'` loads in Node, held by the list of module files rather than
// by milliseconds (bench/ times it): each file costs the loader a resolution, a read and a
// compilation, so the library's own modules come joined in one chunk (scripts/bundle-node.mjs), and
// what a store does not use stays unloaded until it is used.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { useConsumerProject } from './support/consumer-project.js';

const project = useConsumerProject();
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'loaded-modules.mjs');

/** The module files a child Node loaded, each as its path after the last node_modules/ (`rxjs/dist/cjs/…`, `rx-persistent-store/dist/…`), and Node's own modules an ES module imported (`node:fs`). */
function loadedFiles(args: readonly string[] = []): string[] {
  copyFileSync(FIXTURE, path.join(project().dir, 'loaded-modules.mjs'));
  const out = execFileSync(process.execPath, ['loaded-modules.mjs', ...args], {
    cwd: project().dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return (JSON.parse(out) as string[]).map((file) =>
    file.startsWith('node:') ? file : file.slice(file.lastIndexOf('node_modules/') + 'node_modules/'.length),
  );
}

/** What a store on the disk, outside the Apify platform, never uses: the platform's event socket and its client, the command and simulate(). */
const UNUSED = [/^ws\//, /^rx-persistent-store\/dist\/cli\//, /^rx-persistent-store\/dist\/chunks\/(apify-socket-source|simulate)\.js$/];
/** An rxjs function's file: loaded at the function's first call (the persistence pipeline's), not with the library. */
const TIMER = 'rxjs/dist/cjs/internal/observable/timer.js';
/** Loaded when a store starts listening to events, not before (the local source, with its readings of the system). */
const LISTENING = [/^rx-persistent-store\/dist\/chunks\/local-source\.js$/];
/** The package's own files among `files`. */
const ours = (files: readonly string[]) => files.filter((file) => file.startsWith('rx-persistent-store/')).sort();

describe('the modules Node loads', () => {
  test("import: rxjs's classes through one CommonJS module, not the package index, which loads every operator; not yet the functions' files", () => {
    const files = loadedFiles();
    const rxjs = files.filter((file) => file.startsWith('rxjs/'));
    expect(rxjs.filter((file) => /^rxjs\/dist\/cjs\/(operators\/)?index\.js$/.test(file))).toEqual([]);
    expect(rxjs.filter((file) => !file.startsWith('rxjs/dist/cjs/internal/'))).toEqual([]);
    // Observable, Subject, BehaviorSubject and EMPTY with what they need: 20 files (the index brings ≈220).
    expect(rxjs).toContain('rxjs/dist/cjs/internal/Observable.js');
    expect(rxjs.length).toBeLessThan(30);
    expect(rxjs).not.toContain(TIMER);
    expect(files).toContain('rx-persistent-store/dist/rx/node.cjs');
    expect(files).not.toContain('rx-persistent-store/dist/rx/esm.js');
  });

  test("import: the library's modules as one chunk behind the entry, and the rxjs values' module", () => {
    expect(ours(loadedFiles())).toEqual([
      'rx-persistent-store/dist/chunks/library.js',
      'rx-persistent-store/dist/index.js',
      'rx-persistent-store/dist/rx/node.cjs',
    ]);
  });

  test('the chunk is ASCII, which V8 scans one byte per character (one other character anywhere makes it two)', () => {
    const chunk = readFileSync(path.join(project().dir, 'node_modules', 'rx-persistent-store', 'dist', 'chunks', 'library.js'), 'utf8');
    expect(chunk.match(/[^\0-\x7f]/g) ?? []).toEqual([]);
  });

  test('import of rx-persistent-store/simulate beside it: the same chunk, so one copy of each class and of the Node runtime', () => {
    expect(ours(loadedFiles(['with-simulate']))).toEqual([
      'rx-persistent-store/dist/chunks/library.js',
      'rx-persistent-store/dist/chunks/simulate.js',
      'rx-persistent-store/dist/cli/simulate/simulate.js',
      'rx-persistent-store/dist/index.js',
      'rx-persistent-store/dist/rx/node.cjs',
    ]);
  });

  test("import: not Node's crypto module, which the file adapter's lock and temp files use through Web Crypto at their first call", () => {
    expect(loadedFiles()).not.toContain('node:crypto');
  });

  test('import: neither the event socket and ws, nor the command, nor the local event source', () => {
    expect(loadedFiles().filter((file) => [...UNUSED, ...LISTENING].some((pattern) => pattern.test(file)))).toEqual([]);
  });

  test("a store on the file adapter, opened, updated and closed: still neither the event socket and ws, nor the command; rxjs's functions it used", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rxps-import-cost-'));
    try {
      const files = loadedFiles(['file-store', dir]);
      expect(readdirSync(dir)).toContain('IMPORT_COST.json'); // the store did run
      expect(files.filter((file) => LISTENING.some((pattern) => pattern.test(file))).length).toBeGreaterThan(0); // and listened
      expect(files.filter((file) => UNUSED.some((pattern) => pattern.test(file)))).toEqual([]);
      // The functions rxjs's files were loaded for, by their stand-ins in dist/rx/node.cjs: still not the index's ≈220.
      expect(files).toContain(TIMER);
      expect(files.filter((file) => file.startsWith('rxjs/')).length).toBeLessThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("src/rx/node.cts (Node's) and src/rx/esm.ts (everyone else's) give the same rxjs names from the same files", () => {
  const read = (file: string) => readFileSync(path.join(import.meta.dirname, '..', 'src', 'rx', file), 'utf8');
  const esm = [...read('esm.ts').matchAll(/^export \{ (\w+) \} from '(rxjs\/internal\/[\w/]+)';$/gm)].map(([, name, from]) => `${name} ${from}`);
  // Loaded at once (`require(file).name`) or at the first call (`lazy(file, 'name')`).
  const node = [
    ...read('node.cts').matchAll(/^exports\.(\w+) = (?:require\('(rxjs\/internal\/[\w/]+)'\)\.\1|lazy(?:Scheduler)?\('(rxjs\/internal\/[\w/]+)', '\1'\));$/gm),
  ].map(([, name, now, later]) => `${name} ${now ?? later}`);
  expect(node.length).toBe([...read('node.cts').matchAll(/^exports\./gm)].length);
  expect(esm.length).toBeGreaterThan(20);
  expect(node.sort()).toEqual(esm.sort());
});
