// Issue 19: opening a store whose journal is just under the compaction threshold, against its snapshot alone.
//   node --expose-gc --import tsx bench/reopen.ts [size=200000] [rounds=5] [journals=set1@8,done@8,set10@8,set1done@8]
// A journal is a shape (what each update changes) just under the threshold at a fraction of the state (@4: a quarter),
// weighed as this library weighs records, or as the one named after a colon (set1@4:before).
// Each open runs in a fresh Node process, as after a restart: nothing is warmed up (the replay runs
// mostly before the JIT optimizes it). REOPEN_LIBS=name=/path/to/src/index.ts,... opens with several
// copies of the library, interleaved (a checkout of the previous commit beside this one).
// REOPEN_KEEP=1 keeps the folders; one open of a copy of one of them, profiled:
//   node --cpu-prof --import tsx bench/reopen.ts --child src/index.ts <copy of a kept folder>
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { formatRecords } from '../src/adapters/journal-text.js';
import { createPersistentStore, fileAdapter } from '../src/index.js';
import { wrap } from '../src/store/envelope.js';
import type { JournalOp } from '../src/store/journal-ops.js';
import { COMPACT_FRACTION, compactionBounds } from '../src/store/journal-writer.js';
import { freezeAndWeigh, reviveMaps, type Weight } from '../src/store/revive.js';
import { fmt, keyedState, keyOf, median, settle, tempDir, timeMs } from './harness.js';

type Lib = typeof import('../src/index.js');

const size = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const KEY = 'REOPEN';

/** One record's ops for the i-th update of each journal shape. */
const SHAPES: Record<string, (i: number) => JournalOp[]> = {
  // One new key per update: the bytes bound comes first.
  set1: (i) => [{ op: 'map', path: ['seen'], changes: [['set', keyOf(size + i), true]] }],
  // A counter per update: the values bound comes first, with the most records.
  done: (i) => [{ op: 'replace', path: ['done'], value: size + i + 1 }],
  // Ten new keys per update (as W4).
  set10: (i) => [{ op: 'map', path: ['seen'], changes: Array.from({ length: 10 }, (_, j) => ['set', keyOf(size + i * 10 + j), true] as const) }],
  // A new key and the counter.
  set1done: (i) => [
    { op: 'map', path: ['seen'], changes: [['set', keyOf(size + i), true]] },
    { op: 'replace', path: ['done'], value: size + i + 1 },
  ],
};
const shapes = (
  process.argv[4] ??
  Object.keys(SHAPES)
    .map((shape) => `${shape}@${COMPACT_FRACTION}`)
    .join(',')
).split(',');

const libs = (process.env.REOPEN_LIBS ?? `this=${path.resolve('src/index.ts')}`).split(',').map((spec) => spec.split('=') as [string, string]);

const open = (lib: Lib, dir: string) =>
  lib.createPersistentStore({
    key: KEY,
    initial: { done: 0, seen: new lib.KeyedMap<true>() },
    adapter: lib.fileAdapter({ dir }),
    events: EMPTY,
    compactOnClose: false,
  });

interface Opened {
  readonly ms: number;
  readonly cpuMs: number;
  readonly entries: number;
}

/** In a child: one open, as a restarted process makes it (nothing warmed up), timed; prints an `Opened`. */
async function openOnce(libFile: string, dir: string): Promise<void> {
  const lib = (await import(path.resolve(libFile))) as Lib;
  await settle();
  let store: Awaited<ReturnType<typeof open>> | undefined;
  const before = process.cpuUsage();
  const ms = await timeMs(async () => {
    store = await open(lib, dir);
  });
  const used = process.cpuUsage(before);
  const opened: Opened = { ms, cpuMs: (used.user + used.system) / 1000, entries: store!.getState().seen.size };
  await store!.close();
  process.stdout.write(`${JSON.stringify(opened)}\n`);
}

/** Opens `dir` with `libFile` in a fresh Node process. */
function openInChild(libFile: string, dir: string): Opened {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', libFile, dir], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`the child failed (${child.status}): ${child.stderr.slice(-2000)}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Opened;
}

if (process.argv[2] === '--child') {
  await openOnce(process.argv[3]!, process.argv[4]!);
  process.exit(0);
}

const { dir: root, remove } = tempDir('reopen');
try {
  const base = path.join(root, 'snapshot');
  const first = await createPersistentStore({ key: KEY, initial: keyedState(size), adapter: fileAdapter({ dir: base }), events: EMPTY });
  first.update((s) => void s.done++); // a store writes nothing until its first update
  await first.close();
  const envelope = JSON.parse(readFileSync(path.join(base, `${KEY}.json`), 'utf8')) as { seq: number; state: unknown };
  const weight = freezeAndWeigh(reviveMaps(envelope.state));
  console.log(`snapshot: ${size} entries, weight ${weight.values} values / ${weight.bytes} bytes`);

  const dirs: Record<string, string> = { snapshot: base };
  const expected: Record<string, number> = { snapshot: size };
  const updates: Record<string, number> = {};
  for (const journal of shapes) {
    // `set1@4:before`: weighed as the library named `before` weighs records (its threshold, not this one's).
    const [shape, rest] = journal.split('@') as [string, string];
    const [fraction, weigher] = rest.split(':') as [string, string | undefined];
    const libFile = weigher === undefined ? undefined : libs.find(([name]) => name === weigher)?.[1];
    if (weigher !== undefined && libFile === undefined) throw new Error(`no library named ${weigher} in REOPEN_LIBS`);
    const { weighOps } = (await import(libFile ? path.join(path.dirname(path.resolve(libFile)), 'store/journal-ops.ts') : '../src/store/journal-ops.js')) as {
      weighOps: (ops: readonly JournalOp[]) => Weight;
    };
    const bounds = compactionBounds(weight, Number(fraction));
    const records = [];
    const sum = { values: 0, bytes: 0 };
    let added = 0;
    for (let i = 0; ; i++) {
      const ops = SHAPES[shape]!(i);
      const w = weighOps(ops);
      // Just under: the record that would make compaction due is left out.
      if (sum.values + w.values >= bounds.values || sum.bytes + w.bytes >= bounds.bytes) break;
      sum.values += w.values;
      sum.bytes += w.bytes;
      records.push({ seq: envelope.seq + i + 1, ops });
      for (const op of ops) if (op.op === 'map') added += op.changes.length;
    }
    const dir = path.join(root, journal);
    cpSync(base, dir, { recursive: true });
    const text = formatRecords(records);
    writeFileSync(path.join(dir, `${KEY}.json.journal`), text);
    dirs[journal] = dir;
    expected[journal] = size + added;
    updates[journal] = records.length + 1; // the one that crosses the bound is written, then compaction follows
    console.log(
      `${journal}: under ${Math.round(bounds.values)} values / ${Math.round(bounds.bytes)} bytes: ${records.length} records, ${sum.values} values, ${sum.bytes} bytes weighed, ${text.length} bytes on disk`,
    );
  }

  const wall = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  for (let round = 0; round < rounds + 1; round++) {
    // Every other round in reverse: a journal is never always timed right after the snapshot alone.
    const order = Object.entries(dirs);
    if (round % 2 === 1) order.reverse();
    for (const [name, dir] of order) {
      for (const [libName, libFile] of libs) {
        // A fresh copy each time: a store may compact on close (a journal over its own threshold).
        const work = path.join(root, 'open');
        rmSync(work, { recursive: true, force: true });
        cpSync(dir, work, { recursive: true });
        const { ms, cpuMs, entries } = openInChild(libFile, work);
        if (entries !== expected[name]) throw new Error(`${libName} ${name}: ${entries} entries, expected ${expected[name]}`);
        if (round === 0) continue; // warms the page cache and the transpiler's cache
        const id = `${libName} ${name}`;
        wall.set(id, [...(wall.get(id) ?? []), ms]);
        cpu.set(id, [...(cpu.get(id) ?? []), cpuMs]);
      }
    }
  }
  const med = (list: number[]) => median([...list].sort((a, b) => a - b));

  // The other side of the threshold: what one compaction costs (the whole state written as the
  // snapshot, then weighed, as writeSnapshot does), and so what it adds per update between two.
  const compactions: number[] = [];
  {
    const adapter = fileAdapter({ dir: path.join(root, 'compaction') });
    const state = reviveMaps(envelope.state);
    for (let i = 0; i < rounds + 1; i++) {
      await settle();
      const ms = await timeMs(async () => {
        await adapter.write(KEY, wrap(state, 1, envelope.seq, new Date()));
        freezeAndWeigh(state);
      });
      if (i > 0) compactions.push(ms);
    }
  }
  const compaction = med(compactions);
  console.log(
    `compaction (snapshot write + weigh) median ${fmt(compaction)} ms (${[...compactions]
      .sort((a, b) => a - b)
      .map(fmt)
      .join(', ')})`,
  );
  for (const name of shapes) console.log(`  ${name}: ${fmt((compaction / updates[name]!) * 1000)} µs per update (one compaction per ${updates[name]} updates)`);
  // Per library: each journal against the snapshot alone, by medians, and by the median of the
  // ratios within each round (both opens measured close together, under the same load).
  for (const [libName] of libs) {
    const alone = wall.get(`${libName} snapshot`)!;
    const aloneCpu = cpu.get(`${libName} snapshot`)!;
    for (const name of Object.keys(dirs)) {
      const times = wall.get(`${libName} ${name}`)!;
      const cpus = cpu.get(`${libName} ${name}`)!;
      const paired = med(times.map((t, i) => t / alone[i]!));
      const pairedCpu = med(cpus.map((t, i) => t / aloneCpu[i]!));
      console.log(
        `${libName.padEnd(6)} ${name.padEnd(12)} median ${fmt(med(times)).padStart(6)} ms ×${(med(times) / med(alone)).toFixed(2)}, paired ×${paired.toFixed(2)} (${[
          ...times,
        ]
          .sort((a, b) => a - b)
          .map(fmt)
          .join(', ')}); cpu ${fmt(med(cpus))} ms ×${(med(cpus) / med(aloneCpu)).toFixed(2)}, paired ×${pairedCpu.toFixed(2)}`,
      );
    }
  }
} finally {
  if (process.env.REOPEN_KEEP === '1') console.log(`kept ${root}`);
  else remove();
}
