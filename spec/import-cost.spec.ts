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
/** An rxjs function's file: loaded at the function's first call (the persistence pipeline's), as every rxjs file is, not with the library. */
const TIMER = 'rxjs/dist/cjs/internal/observable/timer.js';
/** Loaded when a store starts listening to events, not before (the local source, with its readings of the system). */
const LISTENING = [/^rx-persistent-store\/dist\/chunks\/local-source\.js$/];
/** The package's own files among `files`. */
const ours = (files: readonly string[]) => files.filter((file) => file.startsWith('rx-persistent-store/')).sort();

describe('the modules Node loads', () => {
  test('import: no rxjs file, only the module of stand-ins that load each one at its first use', () => {
    const files = loadedFiles();
    expect(files.filter((file) => file.startsWith('rxjs/'))).toEqual([]);
    // Node's own modules through require() (scripts/bundle-node.mjs): as an ES module, node:fs's facade loads node:stream.
    // (node:module, which makes require(), the fixture imported before it listened.)
    expect(files.filter((file) => file.startsWith('node:'))).toEqual([]);
    expect(files).toContain('rx-persistent-store/dist/rx/node.js');
    expect(files).not.toContain('rx-persistent-store/dist/rx/esm.js');
  });

  test("import: the library's modules as one chunk behind the entry, and the rxjs values' module", () => {
    expect(ours(loadedFiles())).toEqual([
      'rx-persistent-store/dist/chunks/library.js',
      'rx-persistent-store/dist/index.js',
      'rx-persistent-store/dist/rx/node.js',
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
      'rx-persistent-store/dist/rx/node.js',
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
      // The functions rxjs's files were loaded for, by their stand-ins in dist/rx/node.js: still not the index's ≈220.
      const rxjs = files.filter((file) => file.startsWith('rxjs/'));
      expect(rxjs).toContain(TIMER);
      expect(rxjs).toContain('rxjs/dist/cjs/internal/Observable.js');
      expect(rxjs.filter((file) => /^rxjs\/dist\/cjs\/(operators\/)?index\.js$/.test(file))).toEqual([]);
      expect(rxjs.filter((file) => !file.startsWith('rxjs/dist/cjs/internal/'))).toEqual([]);
      expect(rxjs.length).toBeLessThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("the stand-ins give rxjs's own: events$ and a store's Observables are the caller's rxjs's, and work with its operators", () => {
  const script = `
    import { createRequire } from 'node:module';
    const lib = await import('rx-persistent-store');
    const rxjsFiles = () => Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes('/rxjs/')).length;
    const before = rxjsFiles();
    const { BehaviorSubject, EMPTY, firstValueFrom, isObservable, merge, Observable, of, take, toArray } = await import('rxjs');
    const store = await lib.createPersistentStore({ key: 'k', initial: 1, adapter: lib.memoryAdapter(), events: EMPTY });
    const { status$, state$ } = store;
    const values = await firstValueFrom(merge(lib.events$.pipe(take(0)), of('x')).pipe(toArray()));
    await store.close();
    console.log(JSON.stringify({ before, events: lib.events$ instanceof Observable && isObservable(lib.events$), status: status$ instanceof Observable, state: state$ instanceof Observable, values, subject: new BehaviorSubject(0) instanceof Observable }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: project().dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  expect(JSON.parse(out)).toEqual({ before: 0, events: true, status: true, state: true, values: ['x'], subject: true });
});

test("src/rx/node.ts (Node's) and src/rx/esm.ts (everyone else's) give the same rxjs names from the same files", () => {
  const read = (file: string) => readFileSync(path.join(import.meta.dirname, '..', 'src', 'rx', file), 'utf8');
  const esm = [...read('esm.ts').matchAll(/^export \{ (\w+) \} from '(rxjs\/internal\/[\w/]+)';$/gm)].map(([, name, from]) => `${name} ${from}`);
  // Each loaded at its first use (`lazy(file, 'name')`, `lazyClass(…)`, `lazyScheduler(…)`).
  const node = [...read('node.ts').matchAll(/^export const (\w+) = lazy(?:Class|Scheduler)?\('(rxjs\/internal\/[\w/]+)', '\1'\);$/gm)].map(
    ([, name, from]) => `${name} ${from}`,
  );
  expect(node.length).toBe([...read('node.ts').matchAll(/^export /gm)].length);
  expect(esm.length).toBeGreaterThan(20);
  expect(node.sort()).toEqual(esm.sort());
});
