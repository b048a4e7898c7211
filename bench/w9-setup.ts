// W9's parts that are not the measurement: its constants, the child-process runner, and the
// files it measures on (seeded stores, the open fixture, the built library).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMPTY } from 'rxjs';
import { createPersistentStore, fileAdapter, KeyedMap } from '../src/index.js';
import { collectGarbage, flushWrites, keyedState, keyOf, sizeLabel, TARGET_SIZE, tempDir } from './harness.js';

export const W9_PEERS = ['ours', 'leveldb', 'lmdb', 'floorA', 'floorB', 'floorC'] as const;
export type Peer = (typeof W9_PEERS)[number];
export const W9_PRODUCERS = 8;
/**
 * Durable updates each peer makes before it is timed: the steady state of a running job. Ours
 * gets faster over its first ~2,000 (0.33 → 0.21 ms per update at 200k, in blocks of 300: V8's
 * optimizing compiler at work, most likely, not measured apart); LevelDB's and the floors' are
 * flat after the first 300.
 */
export const W9_WARM_UP = 3_000;
/** Durable updates of one peer in a row, in the latency children, before the next peer's turn (see w9-child.ts). */
export const W9_TURN = 50;
/** Slices of the 8-producer time each peer gets, in turn with the others (see w9-child.ts). */
export const W9_SLICES = 8;
export const W9_KEY = 'W9';

/** What a child prints: timings in ms, and the bytes this process sent to the device per update. */
export interface W9Result {
  readonly median: number;
  readonly p99: number;
  readonly updates: number;
  readonly perSecond: number;
  readonly bytesPerUpdate: number | null;
}

/** What the floors write per update: about one journal record of ours (a KeyedMap set of one URL). */
export const W9_RECORD = Buffer.from(`${JSON.stringify({ seq: 1, ops: [{ op: 'map', path: ['seen'], changes: [['set', keyOf(TARGET_SIZE), true]] }] })}\n`);

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const CHILD = path.join(here, 'w9-child.ts');
export const BUILD_DIR = path.join(root, '.bench-build');

export type Log = (line: string) => void;

/** Runs `node args` with the repository as cwd; resolves the last line of its stdout. */
export function run(args: readonly string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root, timeout: 300_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      // The child's handles close in the loop's next close phase: settled after it, none is left over.
      setImmediate(() =>
        setImmediate(() =>
          error ? reject(new Error(`W9 ${what} failed: ${error.message}\n${stderr.slice(-2_000)}`)) : resolve(stdout.trim().split('\n').pop() ?? ''),
        ),
      );
    });
  });
}

/**
 * One measurement in a fresh child, in a temp folder that starts as a copy of `seed` when given:
 * `child` is the bundled script (see bundleChild); without it, w9-child.ts through tsx.
 */
export async function inChild<R>(args: readonly string[], what: string, { seed, child }: { seed?: string; child?: string } = {}): Promise<R> {
  const { dir, remove } = tempDir('w9');
  try {
    if (seed !== undefined) cpSync(seed, dir, { recursive: true });
    flushWrites(); // the copy, and what the last child left: written back now, not during this child's timed writes
    const script = child === undefined ? ['--import', 'tsx', CHILD] : [child];
    return JSON.parse(await run(['--expose-gc', ...script, ...args.map((a) => (a === '<dir>' ? dir : a))], what)) as R;
  } finally {
    remove();
  }
}

/**
 * The library as published, built as `npm run build` builds it (tsc, then scripts/bundle-node.mjs)
 * into .bench-build/ (its imports resolve from node_modules here).
 */
export async function buildDist(): Promise<string> {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  await run([tsc, '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR, '--declaration', 'false'], 'tsc build');
  await run([path.join(root, 'scripts', 'bundle-node.mjs'), BUILD_DIR], 'bundle of the Node entries');
  // The package's own `imports` (#rxjs) name files under dist/: the build gets the same map, to its files.
  const { type, imports } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    type: string;
    imports: Record<string, Record<string, string>>;
  };
  const here = Object.fromEntries(
    Object.entries(imports).map(([name, to]) => [name, Object.fromEntries(Object.entries(to).map(([when, file]) => [when, file.replace('./dist/', './')]))]),
  );
  writeFileSync(path.join(BUILD_DIR, 'package.json'), JSON.stringify({ type, imports: here }));
  return path.join(BUILD_DIR, 'index.js');
}

/**
 * w9-child.ts bundled beside the build, importing the library from it (./index.js): the children
 * run the JavaScript as packed, start without a TypeScript loader (seconds each on a busy
 * machine), and transpile nothing while timed (a lazy import inside the library would be).
 */
export async function bundleChild(): Promise<string> {
  const { build } = await import('esbuild'); // not loaded in the children, which bundle this module
  const outfile = path.join(BUILD_DIR, 'w9-child.mjs');
  await build({
    entryPoints: [CHILD],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    plugins: [{ name: 'library-as-built', setup: (b) => void b.onResolve({ filter: /\/src\/index\.js$/ }, () => ({ path: './index.js', external: true })) }],
  });
  return outfile;
}

/** ms of `await import(specifier)` in a fresh Node (no TypeScript loader), from just before to just after. */
export async function importMs(specifier: string): Promise<number> {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t); process.exit(0);`;
  return Number(await run(['--input-type=module', '-e', code], `import of ${specifier}`));
}

/**
 * A folder holding a store of `entries` keys, as stored by the library (its snapshot), made once
 * and copied for each child: opening it bulk-loads the map, where building it key by key in every
 * child took half a minute at 1M on a busy machine.
 */
export async function seed(entries: number): Promise<{ dir: string; remove: () => void }> {
  const folder = tempDir(`w9-seed-${sizeLabel(entries)}`);
  const store = await createPersistentStore({ key: W9_KEY, initial: keyedState(entries), adapter: fileAdapter({ dir: folder.dir }), events: EMPTY });
  store.update((s) => void s.done++);
  await store.close(); // the first write of a new store is its snapshot
  collectGarbage();
  return folder;
}

export interface OpenFixture {
  /** Folders holding the same snapshot: with the journal just under the compaction threshold, and with none. */
  readonly withJournal: string;
  readonly snapshotOnly: string;
  readonly entries: number;
  readonly journalRecords: number;
  readonly journalBytes: number;
  readonly snapshotBytes: number;
  readonly remove: () => void;
}

/** Changes per write in the first run of buildOpenFixture: the journal built ends within this many of the threshold. */
export const PROBE_BATCH = 100;

/**
 * A store of 200k entries whose journal is just under the compaction threshold, found by running
 * the library itself (so the threshold is whatever src decides; the file adapter weighs changes
 * and bytes, not records): a first run makes PROBE_BATCH one-change updates per write (their
 * changes joined in one op of one record) until a compaction empties the journal; a second writes
 * one change per record, as many as the writes before the one that made compaction due held,
 * and closes without compacting (or, when one-change records, heavier a change, made compaction
 * due sooner, is built again just under where they did). Both on tmpfs where there is one (an
 * fdatasync there costs nothing); the files are then copied to the disk's temp folder.
 */
export async function buildOpenFixture(log: Log, seeded: string): Promise<OpenFixture> {
  const scratch = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const journalAt = (dir: string): string => path.join(dir, `${W9_KEY}.json.journal`);
  const sizeOf = (file: string): number => (existsSync(file) ? statSync(file).size : 0);
  const LIMIT = 20_000;
  /** Makes `writes` writes of `perWrite` new keys each; resolves the number of the write that made compaction due, or -1. */
  const fill = async (dir: string, writes: number, perWrite: number): Promise<number> => {
    cpSync(seeded, dir, { recursive: true });
    const store = await createPersistentStore({
      key: W9_KEY,
      initial: { done: 0, seen: new KeyedMap<true>() },
      adapter: fileAdapter({ dir }),
      events: EMPTY,
      compactOnClose: false,
    });
    let last = 0;
    let crossed = -1;
    for (let w = 0; w < writes && crossed < 0; w++) {
      // One update per change; in a write of several, their changes are joined in one op.
      for (let i = 0; i < perWrite; i++) store.update((s) => void s.seen.set(keyOf(TARGET_SIZE + w * perWrite + i), true));
      await store.flush();
      // A compaction runs right after the write that made it due, before the next write lands.
      const size = sizeOf(journalAt(dir));
      if (size < last) crossed = w; // 0-based: the previous write made it due
      last = size;
    }
    await store.close();
    if (crossed < 0 && sizeOf(journalAt(dir)) !== last) crossed = writes; // due after the last write
    return crossed;
  };
  const probeDir = mkdtempSync(path.join(scratch, 'rxps-bench-w9-probe-'));
  const builtDir = mkdtempSync(path.join(scratch, 'rxps-bench-w9-built-'));
  try {
    const crossed = await fill(probeDir, LIMIT, PROBE_BATCH);
    if (crossed < 0) throw new Error(`W9 open: no compaction within ${(LIMIT * PROBE_BATCH).toLocaleString('en')} changes at 200k entries`);
    let records = (crossed - 1) * PROBE_BATCH;
    log(
      `W9 open fixture: compaction became due within changes ${records.toLocaleString('en')}–${(records + PROBE_BATCH).toLocaleString('en')}; building a journal of ${records.toLocaleString('en')} one-change records`,
    );
    // A record's and an op's own JSON count toward its weight: one-change records reach the threshold
    // in fewer changes than batched ones. Then the journal is built again, just under where they did.
    const early = await fill(builtDir, records, 1);
    if (early >= 0) {
      records = Math.max(0, early - 1 - PROBE_BATCH);
      rmSync(builtDir, { recursive: true, force: true });
      mkdirSync(builtDir);
      log(`W9 open fixture: one-change records made compaction due at record ${early.toLocaleString('en')}; building ${records.toLocaleString('en')}`);
      if ((await fill(builtDir, records, 1)) >= 0) throw new Error('W9 open: the one-change run compacted its journal twice at different points');
    }
    const { dir, remove } = tempDir('w9-open');
    const withJournal = path.join(dir, 'journal');
    const snapshotOnly = path.join(dir, 'snapshot');
    mkdirSync(withJournal);
    mkdirSync(snapshotOnly);
    for (const name of readdirSync(builtDir)) cpSync(path.join(builtDir, name), path.join(withJournal, name));
    cpSync(path.join(builtDir, `${W9_KEY}.json`), path.join(snapshotOnly, `${W9_KEY}.json`));
    return {
      withJournal,
      snapshotOnly,
      entries: TARGET_SIZE + records,
      journalRecords: records,
      journalBytes: sizeOf(journalAt(withJournal)),
      snapshotBytes: sizeOf(path.join(snapshotOnly, `${W9_KEY}.json`)),
      remove,
    };
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
    rmSync(builtDir, { recursive: true, force: true });
    collectGarbage();
  }
}
