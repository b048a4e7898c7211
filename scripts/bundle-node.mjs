// Joins the modules of the Node entries of a build (tsc's output in dist/, or the folder given),
// in place: Node pays for each module file it loads (a resolution, a read, a compilation), and the
// main entry reached ≈80 of ours, about half of its import. The main entry's static imports become
// one chunk, which ./simulate and the command share (one copy of each class and of the runtime's
// state); what loads only when used (the event sources) keeps chunks of its own. The code is tsc's,
// not tree-shaken, in ASCII (see `ascii`). The browser entry keeps tsc's files, which bundlers join
// themselves.
// `npm run build` runs it after tsc; bench/w9-setup.ts on its own build.
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { rollup } from 'rollup';
import { parseAst } from 'rollup/parseAst';

const dist = path.resolve(process.argv[2] ?? 'dist');
/** The files package.json points Node at: the main entry, ./simulate, the command (require.cjs loads index.js). */
const ENTRIES = { index: 'index.js', 'cli/simulate/simulate': 'cli/simulate/simulate.js', 'cli/main': 'cli/main.js' };
/** The entries left to bundlers (package.json's `browser` condition and `./react`): tsc's files, not joined. */
const BROWSER_ENTRIES = ['browser.js', 'react.js'];

// Chunks of an earlier build would be packed beside this one's.
rmSync(path.join(dist, 'chunks'), { recursive: true, force: true });

const bundle = await rollup({
  input: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(dist, file)])),
  // Packages (rxjs through '#rxjs', immer, ws…) and Node's modules stay imports.
  external: (id) => !id.startsWith('.') && !path.isAbsolute(id),
  treeshake: false,
  onwarn(warning) {
    throw new Error(`rollup: ${warning.message}`);
  },
});

/**
 * Writes each character past ASCII as its escape (\u2026 for '…'): the same character in a string,
 * a template, a regular expression or an identifier, and only text in a comment. V8 reads an ASCII
 * source one byte per character; one other character (a '…' in a message, a '—' in a comment) has
 * it decode and scan the whole chunk at two bytes per character, ≈4% of the import. Refused where
 * the escape would change the code: after a backslash, or in a tagged template's raw text.
 * A character past U+FFFF is its two halves' escapes (\uD83D\uDE00), which is what a regular
 * expression without the u flag needs, except in a name, which takes \u{1D465}: the halves are no
 * identifier characters. The result is parsed again, so that an escape which breaks the syntax
 * fails the build rather than the import.
 */
const ascii = {
  name: 'ascii',
  renderChunk(code) {
    const tagged = [];
    /** Where the names with a character past ASCII are, as [start, end). */
    const names = [];
    const visit = (node) => {
      if (node?.type === 'TaggedTemplateExpression') tagged.push(code.slice(node.quasi.start, node.quasi.end));
      if ((node?.type === 'Identifier' || node?.type === 'PrivateIdentifier') && /[^\0-\x7f]/.test(code.slice(node.start, node.end))) {
        names.push([node.start, node.end]);
      }
      if (node && typeof node === 'object') for (const value of Object.values(node)) visit(value);
    };
    visit(this.parse(code));
    const unsafe = [...tagged.filter((text) => /[^\0-\x7f]/.test(text)), ...(code.match(/\\[^\0-\x7f]/g) ?? [])];
    if (unsafe.length > 0) throw new Error(`a character past ASCII that its escape would change: ${unsafe.join(', ')}`);
    const unit = (char, at) => `\\u${char.charCodeAt(at).toString(16).padStart(4, '0')}`;
    const escaped = code.replace(/[^\0-\x7f]/gu, (char, offset) => {
      if (char.length === 1) return unit(char, 0);
      const inName = names.some(([start, end]) => offset >= start && offset < end);
      return inName ? `\\u{${char.codePointAt(0).toString(16)}}` : unit(char, 0) + unit(char, 1);
    });
    this.parse(escaped);
    return escaped;
  },
};

/**
 * Node's own modules come through require() (one createRequire for the chunk): an ES import of one
 * builds its module facade, which reads every export, and node:fs's ReadStream getter loads
 * node:stream and its modules, ≈10% of the import. The same module objects, read at the chunk's
 * start, where the imports were (they depend on nothing of ours).
 */
const builtinsByRequire = {
  name: 'builtins-by-require',
  renderChunk(code) {
    const REQUIRE = 'require$builtin';
    if (code.includes(REQUIRE)) throw new Error(`${REQUIRE} is taken in a chunk`);
    const replaced = [];
    for (const node of this.parse(code).body) {
      if (node.type !== 'ImportDeclaration' || !node.source.value.startsWith('node:')) continue;
      const from = `${REQUIRE}(${JSON.stringify(node.source.value)})`;
      const named = node.specifiers.filter((spec) => spec.type === 'ImportSpecifier');
      const whole = node.specifiers.filter((spec) => spec.type !== 'ImportSpecifier'); // `* as path`, or a default: module.exports
      const lines = whole.map((spec) => `const ${spec.local.name} = ${from};`);
      if (named.length > 0) {
        const names = named.map(({ imported, local }) => (imported.name === local.name ? local.name : `${imported.name}: ${local.name}`));
        lines.push(`const { ${names.join(', ')} } = ${from};`);
      }
      replaced.push({ start: node.start, end: node.end, text: lines.join(' ') });
    }
    if (replaced.length === 0) return null;
    let out = code;
    for (const { start, end, text } of replaced.reverse()) out = out.slice(0, start) + text + out.slice(end);
    const header = `import { createRequire as ${REQUIRE}Maker } from 'node:module';\nconst ${REQUIRE} = ${REQUIRE}Maker(import.meta.url);\n`;
    const at = out.startsWith('#!') ? out.indexOf('\n') + 1 : 0; // after the command's shebang
    return out.slice(0, at) + header + out.slice(at);
  },
};

/** The modules the main entry imports statically, found at the first call. */
let library;
const { output } = await bundle.write({
  dir: dist,
  format: 'es',
  entryFileNames: '[name].js',
  chunkFileNames: 'chunks/[name].js',
  plugins: [builtinsByRequire, ascii],
  // An entry imports its chunk; what the chunk imports need not be listed there too.
  hoistTransitiveImports: false,
  // Left to itself, Rollup splits them into chunks by which entries import each.
  manualChunks(id, { getModuleInfo }) {
    if (library === undefined) {
      library = new Set();
      const visit = (module) => {
        if (library.has(module)) return;
        library.add(module);
        for (const imported of getModuleInfo(module)?.importedIds ?? []) visit(imported);
      };
      visit(path.join(dist, ENTRIES.index));
    }
    return library.has(id) ? 'library' : undefined;
  },
});
await bundle.close();

/** The files of the build that `from` reaches through relative imports, static or dynamic. */
function reachable(from, found = new Set()) {
  if (found.has(from)) return found;
  found.add(from);
  const visit = (node) => {
    // A file named by a computed import() would not be found here, and would be removed: refused.
    if (node?.type === 'ImportExpression' && node.source.type !== 'Literal') throw new Error(`${from}: an import() of a computed name; name the file`);
    const source = ['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration', 'ImportExpression'].includes(node?.type) ? node.source : undefined;
    if (typeof source?.value === 'string' && source.value.startsWith('.')) reachable(path.resolve(path.dirname(from), source.value), found);
    if (node && typeof node === 'object') for (const value of Object.values(node)) visit(value);
  };
  visit(parseAst(readFileSync(from, 'utf8')));
  return found;
}

// tsc's files of the joined modules are left in dist/ by the join: packed, they were 53 files
// (173 kB) that nothing loads. Those the browser entries reach stay (bundlers join them there).
const written = new Set(output.map(({ fileName }) => path.join(dist, fileName)));
const kept = new Set();
for (const entry of BROWSER_ENTRIES) reachable(path.join(dist, entry), kept);
for (const chunk of output) {
  for (const id of Object.keys(chunk.modules ?? {})) if (!written.has(id) && !kept.has(id)) rmSync(id);
}
