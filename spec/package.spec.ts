import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { useConsumerProject } from './support/consumer-project.js';

const project = useConsumerProject();

test('the tarball: LICENSE, README, CHANGELOG, the command, and no source map pointing at sources it does not ship', () => {
  const { files } = project();
  expect(files).toEqual(
    expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/index.js', 'dist/browser.js', 'dist/cli/main.js']),
  );
  expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
  expect(files.filter((file) => !/^(dist\/|LICENSE$|README\.md$|CHANGELOG\.md$|package\.json$)/.test(file))).toEqual([]);
});

test('from a project that installed the tarball: require() (Node 20.19+ loads the ES module), import of the main entry and of rx-persistent-store/simulate', () => {
  const run = (args: string[]) =>
    execFileSync(process.execPath, args, { cwd: project().dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }).trim();
  expect(run(['-e', "console.log(typeof require('rx-persistent-store').createPersistentStore)"])).toBe('function');
  expect(
    run([
      '--input-type=module',
      '-e',
      "import { simulate } from 'rx-persistent-store/simulate'; import { KeyedMap } from 'rx-persistent-store'; console.log(typeof simulate, typeof KeyedMap)",
    ]),
  ).toBe('function function');
});

test('require() on a Node without require(esm) fails with a message that names the fix', () => {
  const result = spawnSync(process.execPath, ['--no-experimental-require-module', '-e', "require('rx-persistent-store')"], {
    cwd: project().dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('rx-persistent-store is an ES module: require() loads it on Node 20.19+ and 22.12+');
  expect(result.stderr).toContain("Upgrade Node, or load it with import / await import('rx-persistent-store')");
});

describe('declarations, checked by tsc in the project (skipLibCheck off)', () => {
  const tsc = path.join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');
  /** Type-checks (and emits, when `outDir` is set) `files` under the given options; returns tsc's report. */
  function check(name: string, compilerOptions: Record<string, unknown>, files: Record<string, string>): { ok: boolean; report: string } {
    const dir = path.join(project().dir, name);
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
    const options = { strict: true, target: 'ES2022', lib: ['ES2022'], types: [], skipLibCheck: false, noEmit: true, ...compilerOptions };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: Object.keys(files) }));
    const result = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    return { ok: result.status === 0, report: `${result.stdout}${result.stderr}` };
  }
  const page =
    "import { createPersistentStore, indexedDbAdapter, events$ } from 'rx-persistent-store';\nconst store = await createPersistentStore({ key: 'K', initial: { n: 0 }, adapter: indexedDbAdapter(), events: events$ });\nstore.update((s) => { s.n += 1; });\nexport {};\n";
  const browser = { module: 'ESNext', moduleResolution: 'bundler', customConditions: ['browser'], lib: ['ES2022', 'DOM'] };

  test('a browser project (the browser condition, DOM, no @types/node): the browser entry type-checks', () => {
    expect(check('browser-page', browser, { 'page.ts': page })).toEqual({ ok: true, report: '' });
  });

  test('the browser declarations offer no fileAdapter, which the browser build does not have', () => {
    const { ok, report } = check('browser-file', browser, { 'page.ts': "import { fileAdapter } from 'rx-persistent-store';\nfileAdapter();\n" });
    expect(ok).toBe(false);
    expect(report).toContain("has no exported member 'fileAdapter'");
  });

  test("a Node project in CommonJS with module commonjs (TypeScript's node10 resolution, which reads no exports map): the subpaths /react and /simulate type-check too", () => {
    const main =
      "import { createPersistentStore, memoryAdapter } from 'rx-persistent-store';\nimport { useStoreState } from 'rx-persistent-store/react';\nimport { simulate } from 'rx-persistent-store/simulate';\nvoid createPersistentStore({ key: 'K', initial: { n: 0 }, adapter: memoryAdapter() }).then(async (store) => { console.log(typeof useStoreState, typeof simulate, store.getState().n); await store.close(); });\n";
    const { ok, report } = check(
      'node-commonjs',
      { module: 'commonjs', noEmit: false, outDir: 'out', types: ['node'], typeRoots: [path.join(process.cwd(), 'node_modules', '@types')] },
      { 'main.cts': main },
    );
    expect({ ok, report }).toEqual({ ok: true, report: '' });
    const out = execFileSync(process.execPath, [path.join(project().dir, 'node-commonjs', 'out', 'main.cjs')], {
      cwd: project().dir,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(out.trim()).toBe('function function 0');
  });

  test('a Node project in CommonJS (module nodenext): require() of the package type-checks and runs', () => {
    const main =
      "import { createPersistentStore, fileAdapter, memoryAdapter } from 'rx-persistent-store';\nvoid createPersistentStore({ key: 'K', initial: { n: 0 }, adapter: memoryAdapter() }).then(async (store) => { store.update((s) => { s.n += 1; }); console.log(typeof fileAdapter, store.getState().n); await store.close(); });\n";
    const { ok, report } = check(
      'node-cjs',
      {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        noEmit: false,
        outDir: 'out',
        types: ['node'],
        typeRoots: [path.join(process.cwd(), 'node_modules', '@types')],
      },
      { 'main.cts': main },
    );
    expect({ ok, report }).toEqual({ ok: true, report: '' });
    const out = execFileSync(process.execPath, [path.join(project().dir, 'node-cjs', 'out', 'main.cjs')], {
      cwd: project().dir,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(out.trim()).toBe('function 1');
  });
});
