import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A project that installed the packed package, as a user's would be. */
export interface ConsumerProject {
  /** The project's folder: its node_modules holds rx-persistent-store and what it depends on. */
  readonly dir: string;
  /** Every path `npm pack` put in the tarball. */
  readonly files: readonly string[];
  remove(): void;
}

const ownModules = () => path.join(process.cwd(), 'node_modules');

/**
 * `npm pack` (prepack builds dist/) from a copy of the checkout's files, so no spec rewrites the
 * checkout's own dist/ while another one reads it. Returns the tarball's path and its file list.
 */
function pack(into: string): { tarball: string; files: string[] } {
  const source = path.join(into, 'source');
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' });
  for (const file of listed.split('\0')) {
    if (file === '' || file === 'node_modules' || !existsSync(file)) continue; // deleted, not yet committed
    mkdirSync(path.join(source, path.dirname(file)), { recursive: true });
    cpSync(file, path.join(source, file));
  }
  symlinkSync(ownModules(), path.join(source, 'node_modules'));
  let out: string;
  try {
    out = execFileSync('npm', ['pack', '--json', '--ignore-scripts=false', '--pack-destination', into], {
      cwd: source,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm pack failed (the build's errors are on stdout):\n${stdout ?? ''}${stderr ?? ''}`);
  }
  const [packed] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { tarball: path.join(into, packed!.filename), files: packed!.files.map((file) => file.path) };
}

/**
 * Packs the package, extracts the tarball into a new project's node_modules, and links in its
 * dependencies and peers from this repository's node_modules (nothing from the network). An
 * optional peer that is not installed here is left out, as npm would.
 */
export function createConsumerProject(): ConsumerProject {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxps-consumer-'));
  try {
    const { tarball, files } = pack(dir);
    const installed = path.join(dir, 'node_modules', 'rx-persistent-store');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']); // the tarball's files sit under package/
    rmSync(path.join(dir, 'source'), { recursive: true, force: true });
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    for (const name of [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]) {
      const target = path.join(ownModules(), name);
      if (!existsSync(target)) {
        if (manifest.peerDependenciesMeta?.[name]?.optional === true) continue;
        throw new Error(`${name} (a dependency of the packed package) is not in ${ownModules()}: run npm install`);
      }
      mkdirSync(path.dirname(path.join(dir, 'node_modules', name)), { recursive: true }); // @scope/
      symlinkSync(target, path.join(dir, 'node_modules', name));
    }
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
    return { dir, files, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** One consumer project for the spec file (packing takes seconds): a getter for it. */
export function useConsumerProject(): () => ConsumerProject {
  let project: ConsumerProject | undefined;
  beforeAll(() => {
    project = createConsumerProject();
  }, 180_000);
  afterAll(() => project?.remove());
  return () => {
    if (project === undefined) throw new Error('the consumer project is made in beforeAll: read it inside a test');
    return project;
  };
}
