import { build, type Metafile } from 'esbuild';

/** What an entry loads at run time: its own modules, and the packages it imports. */
async function reach(entry: string): Promise<{ modules: string[]; packages: string[] }> {
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    packages: 'external',
    logLevel: 'silent',
  });
  const { inputs } = metafile as Metafile;
  const packages = Object.values(inputs).flatMap((input) => input.imports.filter((i) => i.external).map((i) => i.path));
  return { modules: Object.keys(inputs).sort(), packages: [...new Set(packages)].sort() };
}

test('rx-persistent-store/react loads react and its own hooks, nothing of the store (only its types)', async () => {
  const { modules, packages } = await reach('src/react.ts');
  expect(packages).toEqual(['react']);
  expect(modules.every((module) => /^src\/react(\.ts|\/)/.test(module))).toBe(true);
});

test.each(['src/index.ts', 'src/browser.ts'])('%s does not load react: without the React binding, React is not needed', async (entry) => {
  const { packages } = await reach(entry);
  expect(packages.filter((name) => /^react(-dom)?(\/|$)/.test(name))).toEqual([]);
});
