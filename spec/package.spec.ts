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

describe('require() where the ES module cannot be loaded: a message that names the fix', () => {
  const requireIn = (args: string[], code = "require('rx-persistent-store')") =>
    spawnSync(process.execPath, [...args, '-e', code], { cwd: project().dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });

  test('a Node older than require(esm): upgrade, or import()', () => {
    // Node 20.18 as far as the package can tell; the flag makes this Node refuse as that one would.
    const result = requireIn(
      ['--no-experimental-require-module'],
      "Object.defineProperty(process.versions, 'node', { value: '20.18.0' }); require('rx-persistent-store')",
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('rx-persistent-store is an ES module: require() loads it on Node 20.19+ and 22.12+');
    expect(result.stderr).toContain("Upgrade Node, or load it with import / await import('rx-persistent-store')");
  });

  test('a Node that could, run with --no-experimental-require-module: not "upgrade Node", but the flag', () => {
    const result = requireIn(['--no-experimental-require-module']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`although Node ${process.versions.node} can: Node was run with --no-experimental-require-module`);
    expect(result.stderr).not.toContain('Upgrade Node');
  });

  test("Jest's CommonJS runtime (Jest's default), on a Node that could: not \"upgrade Node\", but Jest's ESM mode", () => {
    const dir = path.join(project().dir, 'jest-cjs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'jest-cjs', private: true, jest: { testEnvironment: 'node' } }));
    writeFileSync(path.join(dir, 'load.test.js'), "test('load', () => { require('rx-persistent-store'); });\n");
    const jest = path.join(process.cwd(), 'node_modules', 'jest', 'bin', 'jest.js');
    const result = spawnSync(process.execPath, [jest, '--rootDir', dir, '--ci', '--cacheDirectory', path.join(dir, '.cache')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("Jest's CommonJS runtime cannot load an ES module");
    expect(result.stderr).toContain('NODE_OPTIONS=--experimental-vm-modules');
    expect(result.stderr).not.toContain('Upgrade Node');
  });
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
