import { execFileSync } from 'node:child_process';
import { useConsumerProject } from './support/consumer-project.js';

const project = useConsumerProject();

test('the tarball: LICENSE, README, CHANGELOG, the command, and no source map pointing at sources it does not ship', () => {
  const { files } = project();
  expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/index.js', 'dist/browser.js', 'dist/cli/main.js']));
  expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
  expect(files.filter((file) => !/^(dist\/|LICENSE$|README\.md$|CHANGELOG\.md$|package\.json$)/.test(file))).toEqual([]);
});

test('from a project that installed the tarball: require() (Node 20.19+ loads the ES module), import of the main entry and of rx-persistent-store/simulate', () => {
  const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: project().dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }).trim();
  expect(run(['-e', "console.log(typeof require('rx-persistent-store').createPersistentStore)"])).toBe('function');
  expect(run(['--input-type=module', '-e', "import { simulate } from 'rx-persistent-store/simulate'; import { KeyedMap } from 'rx-persistent-store'; console.log(typeof simulate, typeof KeyedMap)"])).toBe('function function');
});
