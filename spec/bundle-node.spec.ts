// scripts/bundle-node.mjs on a small build of its own: the joined code, in ASCII, must do what the
// modules did (the library's own chunk holds only a few of these characters, so it proves little).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { useTempDir } from './support/temp-dir.js';

const dir = useTempDir('bundle-node');
const SCRIPT = path.join(import.meta.dirname, '..', 'scripts', 'bundle-node.mjs');

/** A build whose main entry exports `r` from a module with `code`, and empty other entries (the browser's import `browser`). */
function build(code: string, browser = 'export {};\n'): string {
  const dist = path.join(dir(), 'dist');
  mkdirSync(path.join(dist, 'cli', 'simulate'), { recursive: true });
  writeFileSync(path.join(dist, 'cases.js'), code);
  writeFileSync(path.join(dist, 'index.js'), "export * from './cases.js';\n");
  writeFileSync(path.join(dist, 'cli', 'main.js'), 'export {};\n');
  writeFileSync(path.join(dist, 'cli', 'simulate', 'simulate.js'), 'export {};\n');
  writeFileSync(path.join(dist, 'browser.js'), browser);
  writeFileSync(path.join(dist, 'react.js'), 'export {};\n');
  return dist;
}

/** `r` of the build's main entry, as JSON, read by a child Node. */
const valueOf = (dist: string): string =>
  execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `const { r } = await import(${JSON.stringify(path.join(dist, 'index.js'))}); console.log(JSON.stringify(r));`],
    {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );

const bundle = (dist: string) => spawnSync(process.execPath, [SCRIPT, dist], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });

/** Every file the script wrote (the entries, and the chunks if it made any), read whole. */
const written = (dist: string): string => {
  const chunks = existsSync(path.join(dist, 'chunks')) ? readdirSync(path.join(dist, 'chunks')).map((file) => path.join('chunks', file)) : [];
  return ['index.js', 'cli/main.js', 'cli/simulate/simulate.js', ...chunks].map((file) => readFileSync(path.join(dist, file), 'utf8')).join('\n');
};

test.each([
  ['strings and templates', "export const r = ['a…b—c×d≤e', `${1}é${2}😀`, '😀'.length, 'x\u2028y'];"],
  [
    'regular expressions: classes and quantifiers of astral characters without and with u or v, ranges, group names',
    "export const r = [/^[😀]$/.test('\\uD83D'), /^[😀]$/u.test('😀'), /^[^😀]$/u.test('\\uD83D'), /^[😀é]$/v.test('😀'), /^😀+$/.test('😀\\uDE00'), /^😀+$/u.test('😀😀'), /^[à-ÿ]+$/.test('éü'), /(?<é>x)/.exec('x').groups.é, /(?<𝑤>x)/.exec('x').groups['𝑤'], /^[\\q{é😀}]$/v.test('é😀')];",
  ],
  [
    'names, with characters of the BMP and past it',
    'const café = 1; const 𝑥 = 2; class K { #𝑦 = 3; 𝑧 = 4; get y() { return this.#𝑦; } } export const r = [café, 𝑥, new K().y, new K().𝑧, { café, 𝑥 }];',
  ],
])('%s: the same values from the joined ASCII code', (_, code) => {
  const dist = build(code);
  const before = valueOf(dist);
  const result = bundle(dist);
  expect(result.stderr).toBe('');
  expect(written(dist).match(/[^\0-\x7f]/g) ?? []).toEqual([]);
  expect(valueOf(dist)).toBe(before);
});

test.each([
  ['a tagged template', 'export const r = String.raw`é`;'],
  ['a backslash', "export const r = 'C:\\\\é';"],
])('refused, the build failing: a character past ASCII in %s', (_, code) => {
  const result = bundle(build(code));
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('a character past ASCII that its escape would change');
});

test("a joined module's own file is removed, unless a browser entry reaches it (bundlers join those themselves)", () => {
  const dist = build("export { r } from './node-only.js'; export { s } from './shared.js';", "export { s } from './shared.js';\n");
  writeFileSync(path.join(dist, 'node-only.js'), 'export const r = 1;\n');
  writeFileSync(path.join(dist, 'shared.js'), "export const s = import('./lazy.js');\n");
  writeFileSync(path.join(dist, 'lazy.js'), 'export const t = 2;\n');
  expect(bundle(dist).stderr).toBe('');
  expect(readdirSync(dist).sort()).toEqual(['browser.js', 'chunks', 'cli', 'index.js', 'lazy.js', 'react.js', 'shared.js']);
  expect(valueOf(dist)).toBe('1\n');
});

test('refused, the build failing: an import() of a computed name where a browser entry reaches it (the file it loads could be removed)', () => {
  const result = bundle(build('export const r = 1;', "const name = './lazy.js';\nexport const s = import(name);\n"));
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('an import() of a computed name');
});

test("Node's own modules through require(): named, renamed, namespace and default imports give the same values, and no import of them is left but node:module's", () => {
  const dist = build(
    [
      "import { sep, join as joined } from 'node:path';",
      "import * as os from 'node:os';",
      "import fs, { constants } from 'node:fs';",
      "import { EventEmitter } from 'node:events';",
      "export const r = [sep, joined('a', 'b'), typeof os.hostname, typeof fs.lstatSync, constants.O_RDONLY, new EventEmitter() instanceof EventEmitter, typeof require];",
    ].join('\n'),
  );
  writeFileSync(path.join(dist, 'cli', 'main.js'), "#!/usr/bin/env node\nimport { sep } from 'node:path';\nconsole.log(sep);\n");
  const before = valueOf(dist);
  expect(bundle(dist).stderr).toBe('');
  expect(written(dist).match(/^import .* from 'node:(?!module').*$/gm) ?? []).toEqual([]);
  expect(valueOf(dist)).toBe(before);
  const command = path.join(dist, 'cli', 'main.js');
  expect(readFileSync(command, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  expect(execFileSync(process.execPath, [command], { encoding: 'utf8' })).toBe(`${path.sep}\n`);
});
