// W1 update: insert one new key and read it back, amortised µs per update.
import { freeze, produce } from 'immer';
import { EMPTY } from 'rxjs';
import { createPersistentStore, fileAdapter } from '../src/index.js';
import { closeCrawlee, openCrawlee } from './peers.js';
import {
  settle,
  fmt,
  keyedState,
  keyOf,
  microsPerCall,
  plainState,
  QUICK,
  repsFor,
  sizeLabel,
  tempDir,
  TARGET_SIZE,
  type BenchState,
  type Row,
} from './harness.js';
import { check, mdTable, times, type Section } from './report.js';

export const W1 = { ours: 'rx-persistent-store', immer: 'immer produce', crawlee: 'Crawlee useState' } as const;

const HOUR = 3_600_000;
/** Keys the timed loops add: new to every state, and different for warm-up (i < 0) and timed calls. */
const newKey = (size: number, i: number): string => keyOf(i < 0 ? 50_000_000 - i : size + i);

export async function w1Measure(size: number): Promise<Row> {
  // Ours: a KeyedMap in a store on the file adapter; debounce and max wait of an hour, so no write
  // runs during the loop (the loop never yields anyway): this is the update's own cost. Writes are W2.
  const { dir, remove } = tempDir('w1');
  let ours: number;
  try {
    const store = await createPersistentStore({
      key: 'W1',
      initial: keyedState(size),
      adapter: fileAdapter({ dir }),
      events: EMPTY,
      debounceMs: HOUR,
      maxWaitMs: HOUR,
    });
    await settle();
    ours = microsPerCall(
      QUICK ? 5_000 : 20_000,
      2_000,
      (i) => {
        const key = newKey(size, i);
        store.update((s) => void s.seen.set(key, true));
        if (store.getState().seen.get(key) !== true) throw new Error('W1: the update was lost');
      },
      5,
    );
    await store.close(); // writes the first snapshot; not timed
  } finally {
    remove();
  }
  await settle();

  // immer: produce on a frozen plain object (what immer-based stores hold): copies `seen` each time.
  let plain: BenchState<Record<string, true>> = freeze(plainState(size), true);
  const immerReps = repsFor(2_500, size / 1_000, 3, 2_000);
  const immer = microsPerCall(immerReps, Math.min(20, Math.ceil(immerReps / 5)), (i) => {
    const key = newKey(size, i);
    plain = produce(plain, (s) => void (s.seen[key] = true));
    if (plain.seen[key] !== true) throw new Error('W1: immer lost the update');
  });
  plain = { done: 0, seen: {} };
  await settle();

  // Crawlee's useState: the auto-saved object, mutated in place. Cheap now; it pays at persist time (W2).
  const crawleeDir = tempDir('w1-crawlee');
  let crawlee: number;
  try {
    const kv = await openCrawlee(crawleeDir.dir);
    const state = await kv.getAutoSavedValue<BenchState<Record<string, true>>>('W1', { done: 0, seen: {} });
    Object.assign(state, plainState(size));
    crawlee = microsPerCall(
      QUICK ? 5_000 : 20_000,
      2_000,
      (i) => {
        const key = newKey(size, i);
        state.seen[key] = true;
        if (state.seen[key] !== true) throw new Error('W1: Crawlee lost the update');
      },
      5,
    );
    await closeCrawlee();
  } finally {
    crawleeDir.remove();
  }
  await settle();
  return { size, [W1.ours]: ours, [W1.immer]: immer, [W1.crawlee]: crawlee };
}

export function w1Section(rows: readonly Row[]): Section {
  const at = rows.find((r) => r.size === TARGET_SIZE);
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const ours = rows.map((r) => r[W1.ours]!);
  const spread = Math.max(...ours) / Math.min(...ours);
  const hasEnds = first.size <= 1_000 && last.size >= 1_000_000;
  const checks = [
    check(
      at && at[W1.ours]! <= 50,
      at ? `W1 at 200k entries: ${fmt(at[W1.ours])} µs per update, amortised (target ≤ 50 µs)` : 'W1 at 200k entries: not measured (200000 not in BENCH_SIZES)',
    ),
    check(
      hasEnds ? last[W1.ours]! <= 2 * first[W1.ours]! : undefined,
      hasEnds
        ? `W1 from ${sizeLabel(first.size)} to ${sizeLabel(last.size)} entries: ${times(last[W1.ours], first[W1.ours])} (target ≤ 2×; largest ÷ smallest over all sizes: ${fmt(spread)}×)`
        : `W1 between 1k and 1M entries: not measured (sizes ${rows.map((r) => sizeLabel(r.size)).join(', ')}; largest ÷ smallest: ${fmt(spread)}×)`,
    ),
  ];
  const table = mdTable(
    ['entries', `${W1.ours} (µs)`, `${W1.immer} (µs)`, `${W1.crawlee} (µs)`, 'immer ÷ ours', 'Crawlee ÷ ours'],
    rows.map((r) => [r.size.toLocaleString('en'), r[W1.ours], r[W1.immer], r[W1.crawlee], times(r[W1.immer], r[W1.ours]), times(r[W1.crawlee], r[W1.ours])]),
  );
  const body = [
    table,
    '',
    `- **${W1.ours}**: \`store.update((s) => { s.seen.set(key, true) })\` then \`store.getState().seen.get(key)\`, a new key each time, on a \`KeyedMap\` in a store on the file adapter with \`debounceMs\` and \`maxWaitMs\` of one hour, so no write runs during the timed loop (writes are W2). ${QUICK ? '5,000' : '20,000'} updates after 2,000 warm-up ones, in 5 batches: the median of the batches' mean time per update (each mean includes the garbage collections within it).`,
    `- **${W1.immer}**: \`produce(state, (s) => { s.seen[key] = true })\` on a frozen plain object \`{ done, seen: Record<string, true> }\`, then the read; immer copies the whole \`seen\` object each time. The mean over fewer updates at large sizes (3 at 1M, ~2 s each).`,
    `- **${W1.crawlee}**: the object \`getAutoSavedValue()\` returns, mutated in place (\`state.seen[key] = true\`) and read back, timed like ours. That is a plain property write, far below any store; Crawlee pays instead at every \`persistState\`, by serialising the whole state (W2).`,
  ].join('\n');
  return { title: 'W1 update: insert one key and read it back (µs per update, amortised)', body, checks };
}
