import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** What `npm pack` would put in the tarball (it builds first, through prepack). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts=false'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [pack] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
  return pack!.files.map((file) => file.path);
}

test('the tarball: LICENSE, README, CHANGELOG, the command, and no source map pointing at sources it does not ship', () => {
  const files = packedFiles();
  expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/index.js', 'dist/browser.js', 'dist/cli/main.js']));
  expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
  expect(files.filter((file) => !/^(dist\/|LICENSE$|README\.md$|CHANGELOG\.md$|package\.json$)/.test(file))).toEqual([]);
}, 180_000);

test('from a project: require() (Node 20.19+ loads the ES module), import of the main entry and of rx-persistent-store/simulate', () => {
  packedFiles(); // builds dist
  const project = mkdtempSync(path.join(os.tmpdir(), 'rxps-consumer-'));
  try {
    mkdirSync(path.join(project, 'node_modules'));
    symlinkSync(process.cwd(), path.join(project, 'node_modules', 'rx-persistent-store'));
    const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }).trim();
    expect(run(['-e', "console.log(typeof require('rx-persistent-store').createPersistentStore)"])).toBe('function');
    expect(run(['--input-type=module', '-e', "import { simulate } from 'rx-persistent-store/simulate'; import { KeyedMap } from 'rx-persistent-store'; console.log(typeof simulate, typeof KeyedMap)"])).toBe('function function');
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}, 180_000);
