import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import * as browserEntry from '../src/browser.js';
import * as simulateEntry from '../src/cli/simulate/simulate.js';
import * as mainEntry from '../src/index.js';
import * as reactEntry from '../src/react.js';

// The public API is decided on purpose: the README's "Public API" section lists every exported
// name, and each entry must export exactly those, values and types, each with a doc comment and
// an @example. A new export fails here until it is listed (and documented).

const ROOT = path.resolve(import.meta.dirname, '..');
const ENTRIES = {
  main: { file: 'src/index.ts', runtime: mainEntry },
  browser: { file: 'src/browser.ts', runtime: browserEntry },
  react: { file: 'src/react.ts', runtime: reactEntry },
  simulate: { file: 'src/cli/simulate/simulate.ts', runtime: simulateEntry },
} as const;
type Entry = keyof typeof ENTRIES;
type Listed = Record<Entry, { values: string[]; types: string[] }>;

/** The names the README lists, per entry: the main entry's tables rows, the subpaths' rows; "(Node)" ones are not in the browser entry. */
function readmeList(): Listed {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /\n## Public API\n([\s\S]*?)\n## /.exec(readme)?.[1];
  if (section === undefined) throw new Error('README.md has no "## Public API" section');
  const listed: Listed = {
    main: { values: [], types: [] },
    browser: { values: [], types: [] },
    react: { values: [], types: [] },
    simulate: { values: [], types: [] },
  };
  const names = (cell: string) => [...cell.matchAll(/`(\w+\$?)`( \(Node\))?/g)].map(([, name, node]) => ({ name: name!, nodeOnly: node !== undefined }));
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1);
    if (cells.length !== 3 || /^[-\s]+$/.test(cells[0]!) || /^ (values|entry|`rx-persistent-store`) $/.test(cells[0]!)) continue;
    const subpath = /`rx-persistent-store\/(react|simulate)`/.exec(cells[0]!)?.[1] as 'react' | 'simulate' | undefined;
    for (const [kind, cell] of [
      ['values', cells[1]!],
      ['types', cells[2]!],
    ] as const) {
      for (const { name, nodeOnly } of names(cell)) {
        if (subpath) listed[subpath][kind].push(name);
        else {
          listed.main[kind].push(name);
          if (!nodeOnly) listed.browser[kind].push(name);
        }
      }
    }
  }
  return listed;
}

/** What TypeScript sees each entry export: values and types, and the exports without a doc comment or an @example. */
function declaredExports(): Record<Entry, { values: string[]; types: string[]; undocumented: string[] }> {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  )!;
  const files = Object.values(ENTRIES).map(({ file }) => path.join(ROOT, file));
  const program = ts.createProgram(files, { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const result = {} as Record<Entry, { values: string[]; types: string[]; undocumented: string[] }>;
  for (const [entry, { file }] of Object.entries(ENTRIES) as [Entry, (typeof ENTRIES)[Entry]][]) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(path.join(ROOT, file))!)!;
    const found = { values: [] as string[], types: [] as string[], undocumented: [] as string[] };
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      found[symbol.flags & ts.SymbolFlags.Value ? 'values' : 'types'].push(exported.name);
      const documented = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== '';
      if (!documented || !symbol.getJsDocTags(checker).some((tag) => tag.name === 'example')) found.undocumented.push(exported.name);
    }
    result[entry] = found;
  }
  return result;
}

const sorted = (names: Iterable<string>) => [...names].sort();
const listed = readmeList();

describe('the public API', () => {
  test.each(Object.keys(ENTRIES) as Entry[])('%s: the values exported at run time are the ones the README lists', (entry) => {
    expect(sorted(Object.keys(ENTRIES[entry].runtime))).toEqual(sorted(listed[entry].values));
  });

  test('the README lists each name once', () => {
    const all = [
      ...listed.main.values,
      ...listed.main.types,
      ...listed.react.values,
      ...listed.react.types,
      ...listed.simulate.values,
      ...listed.simulate.types,
    ];
    expect(all.filter((name, i) => all.indexOf(name) !== i)).toEqual([]);
    expect(listed.main.values.length).toBeGreaterThan(0);
  });

  // One TypeScript program over the four entries (a few seconds).
  test('every entry exports the types the README lists, and every export has a doc comment with an @example', () => {
    const declared = declaredExports();
    for (const entry of Object.keys(ENTRIES) as Entry[]) {
      expect({ entry, values: sorted(declared[entry].values) }).toEqual({ entry, values: sorted(listed[entry].values) });
      expect({ entry, types: sorted(declared[entry].types) }).toEqual({ entry, types: sorted(listed[entry].types) });
      expect({ entry, undocumented: declared[entry].undocumented }).toEqual({ entry, undocumented: [] });
    }
  }, 120_000);
});
