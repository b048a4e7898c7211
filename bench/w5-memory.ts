// W5 memory: heap held by a store of N entries, against the same data as a plain object.
// Each figure comes from its own child process (`node --expose-gc`), so that garbage and caches of
// other measurements cannot land in it: gc, heapUsed, build the state, gc, heapUsed again.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMPTY } from 'rxjs';
import { createPersistentStore, fileAdapter, KeyedMap } from '../src/index.js';
import { fmt, keyOf, tempDir, TARGET_SIZE, type Row } from './harness.js';
import { check, mdTable, times, type Section } from './report.js';

export const W5 = { ours: 'rx-persistent-store', restored: 'ours, restored from disk', plain: 'plain object' } as const;

type Variant = 'plain' | 'store' | 'restored';
const CHILD_FLAG = '--w5-child';
const HOUR = 3_600_000;
const here = fileURLToPath(import.meta.url);

/** Runs one measurement in a child process; returns the heap growth in MiB. */
function inChild(variant: Variant, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', here, CHILD_FLAG, variant, String(size)],
      { cwd: path.resolve(path.dirname(here), '..'), timeout: 120_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`W5 child ${variant} ${size} failed: ${error.message}\n${stderr}`));
        const last = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve((JSON.parse(last) as { mib: number }).mib);
        } catch {
          reject(new Error(`W5 child ${variant} ${size} printed no result: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

export async function w5Measure(size: number): Promise<Row> {
  const plain = await inChild('plain', size);
  const ours = await inChild('store', size);
  const restored = await inChild('restored', size);
  return { size, [W5.ours]: ours, [W5.restored]: restored, [W5.plain]: plain };
}

export function w5Section(rows: readonly Row[]): Section {
  const at = rows.find((r) => r.size === TARGET_SIZE);
  const checks = [
    check(
      at && at[W5.ours]! <= 2 * at[W5.plain]! && at[W5.restored]! <= 2 * at[W5.plain]!,
      at
        ? `W5 at 200k entries: a store holds ${times(at[W5.ours], at[W5.plain])} the heap of a plain object of the same entries (${fmt(at[W5.ours])} vs ${fmt(at[W5.plain])} MiB; restored from disk: ${times(at[W5.restored], at[W5.plain])}) (target ≤ 2×)`
        : 'W5 at 200k entries: not measured (200000 not in BENCH_SIZES)',
    ),
  ];
  const table = mdTable(
    ['entries', `${W5.ours} (MiB)`, `${W5.restored} (MiB)`, `${W5.plain} (MiB)`, 'ours ÷ plain', 'restored ÷ plain'],
    rows.map((r) => [r.size.toLocaleString('en'), r[W5.ours], r[W5.restored], r[W5.plain], times(r[W5.ours], r[W5.plain]), times(r[W5.restored], r[W5.plain])]),
  );
  const body = [
    table,
    '',
    `- Each figure is \`process.memoryUsage().heapUsed\` after \`global.gc()\`, minus the same before the state was built, in a child process of its own (\`node --expose-gc\`) with the modules already loaded. Below 100k entries one state is too small to measure against the noise, so the child builds ${'`100,000 / N`'} of them, each with keys of its own, and divides (${rows.map((r) => `${r.size.toLocaleString('en')}: ${replicasFor(r.size)}`).join(', ')} copies); a store's fixed cost is counted in each copy.`,
    `- **${W5.ours}**: an open store on the file adapter whose \`KeyedMap\` got the N keys through \`store.update()\`, 1,000 per update, then \`flush()\` (so no unwritten journal ops are held). **${W5.restored}**: a store opened on a snapshot of the same state (what a restarted job holds). **${W5.plain}**: \`{ done, seen: Record<string, true> }\` filled by assignment. A map built by \`set()\` holds more than the same trie read back from JSON (at 200k, outside any store: 26 vs 18 MiB), hence the two columns.`,
  ].join('\n');
  return { title: 'W5 memory: heap holding the state (MiB)', body, checks };
}

// ---- the child side ----

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('W5 needs node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Small states are measured as many copies (with keys of their own) and divided: one 1k state is below the noise. */
export const replicasFor = (size: number): number => Math.max(1, Math.floor(100_000 / size));

async function child(variant: Variant, size: number): Promise<void> {
  const { dir, remove } = tempDir('w5');
  const replicas = replicasFor(size);
  const keyAt = (replica: number, i: number): string => keyOf(replica * size + i);
  const open = (replica: number) =>
    createPersistentStore({
      key: `W5-${replica}`,
      initial: { done: 0, seen: new KeyedMap<true>() },
      adapter: fileAdapter({ dir }),
      events: EMPTY,
      debounceMs: HOUR,
      maxWaitMs: HOUR,
    });
  try {
    if (variant === 'restored') {
      for (let r = 0; r < replicas; r++) {
        const seen = new KeyedMap<true>();
        for (let i = 0; i < size; i++) seen.set(keyAt(r, i), true);
        const writer = await createPersistentStore({ key: `W5-${r}`, initial: { done: size, seen }, adapter: fileAdapter({ dir }), events: EMPTY });
        writer.update((s) => void s.done++);
        await writer.close();
      }
    }
    // A store that is opened and closed first, so that lazily loaded code is not counted.
    if (variant !== 'plain') await (await createPersistentStore({ key: 'WARM', initial: { n: 0 }, adapter: fileAdapter({ dir }), events: EMPTY })).close();
    const before = heapAfterGc();
    const kept: unknown[] = [];
    for (let r = 0; r < replicas; r++) {
      if (variant === 'plain') {
        const seen: Record<string, true> = {};
        for (let i = 0; i < size; i++) seen[keyAt(r, i)] = true;
        kept.push({ done: size, seen });
      } else if (variant === 'store') {
        const store = await open(r);
        for (let from = 0; from < size; from += 1_000) {
          store.update((s) => {
            for (let i = from; i < Math.min(size, from + 1_000); i++) s.seen.set(keyAt(r, i), true);
            s.done = Math.min(size, from + 1_000);
          });
        }
        await store.flush();
        kept.push(store);
      } else {
        const store = await open(r);
        if (store.getState().seen.size !== size) throw new Error('W5: restored the wrong state');
        kept.push(store);
      }
    }
    const after = heapAfterGc();
    // Keep the states alive past the second measurement, and check them.
    for (const keep of kept) {
      const held = keep as { getState?: () => { seen: { size: number } }; seen?: object; close?: () => Promise<void> };
      const count = held.getState ? held.getState().seen.size : Object.keys(held.seen!).length;
      if (count !== size) throw new Error(`W5: expected ${size} entries, found ${count}`);
      await held.close?.();
    }
    process.stdout.write(`${JSON.stringify({ variant, size, replicas, mib: (after - before) / 2 ** 20 / replicas })}\n`);
  } finally {
    remove();
  }
}

if (process.argv[2] === CHILD_FLAG && path.resolve(process.argv[1] ?? '') === here) {
  await child(process.argv[3] as Variant, Number(process.argv[4]));
}
