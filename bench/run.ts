// `npm run bench` (node --expose-gc --import tsx bench/run.ts): every workload at every size, the
// peers measured in the same run; prints the tables and the targets, writes bench/RESULTS.md and
// bench/chart.svg. BENCH_SIZES=1000,10000 picks sizes, BENCH_QUICK=1 cuts repetitions.
// The remote workloads need real servers (etcd, Apache; /usr/bin/etcd, /usr/sbin/apache2) and take
// about ten minutes: BENCH_REMOTE=1 adds them (W7 remote adapters, W8 shared queue on etcd);
// BENCH_REMOTE=only runs just them and writes bench/RESULTS-remote.md instead (RESULTS.md keeps
// the full run). BENCH_REMOTE_SIZES, BENCH_REMOTE_BACKENDS, BENCH_QUEUE_SIZES, BENCH_QUEUE_CLAIMS
// narrow them (see w7-remote.ts, w8-shared-queue.ts).
// W9 (bench/w9-local-peers.ts) puts the file adapter's durable writes beside LevelDB, lmdb and the
// disk's floor, and times the library's import and open, each in fresh child processes (~4 min).
// BENCH_ONLY=W9 (any of W1–W9, comma-separated) runs just those workloads and prints their
// tables and targets; RESULTS.md and chart.svg are then left as they are (they hold a full run).
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chart, COLORS } from './chart.js';
import { settle, fmt, QUICK, SIZES, sizeLabel, TARGET_SIZE, type Row } from './harness.js';
import { check, mdTable, renderReport, verdictLine, type Section } from './report.js';
import { W1, w1Measure, w1Section } from './w1-update.js';
import { W2, w2Measure, w2Section } from './w2-persist.js';
import { w3Measure, w3Section } from './w3-migration.js';
import { w4Measure, w4Section } from './w4-hydration.js';
import { w5Measure, w5Section } from './w5-memory.js';
import { w6Queue } from './w6-queue.js';
import { w7Run } from './w7-remote.js';
import { w8Run } from './w8-shared-queue.js';
import { w9Run } from './w9-local-peers.js';

const REMOTE = process.env.BENCH_REMOTE ?? '';
const LOCAL = REMOTE !== 'only';
const ONLY = new Set(
  (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((name) => name.trim().toUpperCase())
    .filter((name) => name !== ''),
);
const unknown = [...ONLY].filter((name) => !/^W[1-9]$/.test(name));
if (unknown.length > 0) throw new Error(`BENCH_ONLY takes workload names W1 to W9, separated by commas; got ${unknown.join(', ')}`);
/** Whether workload `name` runs: all of them unless BENCH_ONLY names some. */
const wanted = (name: string): boolean => ONLY.size === 0 || ONLY.has(name);

if ((globalThis as { gc?: unknown }).gc === undefined) {
  console.warn('warning: run with node --expose-gc (npm run bench does) for steadier numbers; W5 needs it in its child processes only.');
}

const here = path.dirname(fileURLToPath(import.meta.url));
const started = new Date();
const t0 = process.hrtime.bigint();
const elapsed = (): string => `${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(0).padStart(4)} s`;
const sections: Section[] = [];
let failed = false;

/** Runs `measure` at each size, printing each row as it comes. */
async function each(name: string, sizes: readonly number[], measure: (size: number) => Promise<Row>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of sizes) {
    await settle();
    const row = await measure(size);
    const cells = Object.entries(row)
      .filter(([k]) => k !== 'size')
      .map(([k, v]) => `${k} ${fmt(v)}`);
    console.log(`[${elapsed()}] ${name} ${sizeLabel(size).padStart(4)}: ${cells.join(', ')}`);
    rows.push(row);
  }
  return rows;
}

/** Runs one workload (unless BENCH_ONLY leaves it out); a crash is reported as a failed target and the others still run. */
async function workload(name: string, run: () => Promise<Section>): Promise<Section | undefined> {
  if (!wanted(name)) return undefined;
  try {
    const section = await run();
    sections.push(section);
    return section;
  } catch (error) {
    failed = true;
    console.error(`[${elapsed()}] ${name} failed:`, error);
    sections.push({
      title: `${name}: did not complete`,
      body: `\`\`\`\n${String((error as Error).stack ?? error)}\n\`\`\``,
      checks: [check(false, `${name} did not complete: ${(error as Error).message}`)],
    });
    return undefined;
  }
}

console.log(`bench: sizes ${SIZES.map(sizeLabel).join(', ')}${QUICK ? ' (quick)' : ''}`);

let w1: Row[] = [];
let w2: Row[] = [];
if (LOCAL) {
  await workload('W1', async () => w1Section((w1 = await each('W1', SIZES, w1Measure))));
  await workload('W2', async () => w2Section((w2 = await each('W2', SIZES, w2Measure))));
  await workload('W3', async () => w3Section((await each('W3', [TARGET_SIZE], w3Measure))[0]!));
  await workload('W4', async () => w4Section(await each('W4', SIZES, w4Measure)));
  await workload('W5', async () => w5Section(await each('W5', SIZES, w5Measure)));
  await workload('W6', async () => w6Section(await each('W6', SIZES, w6Queue)));
  await workload('W9', () => w9Run((line) => console.log(`[${elapsed()}] ${line}`)));
}
if (REMOTE === '1' || REMOTE === 'only' || ONLY.has('W7') || ONLY.has('W8')) {
  await workload('W7', () => w7Run(each));
  await workload('W8', () => w8Run(each));
}

/** The work queue's workload (bench/w6-queue.ts). */
function w6Section(rows: readonly Row[]): Section {
  const OURS = 'rx-persistent-store';
  const at = rows.find((r) => r.size === TARGET_SIZE);
  const [first, last] = [rows[0]!, rows[rows.length - 1]!];
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => k !== 'size')))];
  return {
    title: 'W6 work queue: claim one item and complete it (µs); adding items (µs per item)',
    body: [
      mdTable(
        ['items', ...columns.map((c) => `${c} (µs)`)],
        rows.map((r) => [r.size.toLocaleString('en'), ...columns.map((c) => r[c])]),
      ),
      '',
      'Claims are durable before they resolve; on the file adapter each claim adds a journal append and fdatasync (W2, about 0.4 ms).',
    ].join('\n'),
    checks: [
      check(
        at && at[OURS]! <= 100,
        at ? `W6 at 200k items: claim + complete ${fmt(at[OURS])} µs (CPU, memory adapter; target as the store's W1: flat)` : 'W6 at 200k items: not measured',
      ),
      check(
        rows.length > 1 ? last[OURS]! <= 2 * first[OURS]! : undefined,
        `W6 from ${first.size.toLocaleString('en')} to ${last.size.toLocaleString('en')} items: ${fmt(last[OURS]! / first[OURS]!)}× (target ≤ 2×)`,
      ),
    ],
  };
}

const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const report = renderReport({ startedAt: started, seconds, sizes: SIZES, quick: QUICK, sections });
const resultsFile = ONLY.size > 0 ? undefined : LOCAL ? 'RESULTS.md' : 'RESULTS-remote.md';
if (resultsFile) writeFileSync(path.join(here, resultsFile), report);

if (resultsFile && w1.length > 0 && w2.length > 0) {
  const series = (rows: readonly Row[], column: string) => rows.map((r) => [r.size, r[column]] as const);
  const svg = chart(
    {
      title: 'W1 · update one key and read it back',
      subtitle: 'amortised time per update, against the number of entries',
      unit: 'µs',
      target: { value: 50, label: 'target ≤ 50 µs at 200k' },
      series: [
        { name: 'rx-persistent-store', color: COLORS.ours, points: series(w1, W1.ours) },
        { name: 'immer produce', color: COLORS.immer, points: series(w1, W1.immer) },
        { name: 'Crawlee useState', color: COLORS.crawlee, points: series(w1, W1.crawlee), note: 'in-place write; pays at persist (W2)' },
      ],
    },
    {
      title: 'W2 · update one key, then until durable',
      subtitle: 'median time from update to written, against the number of entries',
      unit: 'ms',
      target: { value: 1, label: 'target ≤ 1 ms' },
      series: [
        { name: 'rx-persistent-store', color: COLORS.ours, points: series(w2, W2.ours) },
        { name: 'immer + whole snapshot', color: COLORS.immer, points: series(w2, W2.immer) },
        { name: 'Crawlee useState', color: COLORS.crawlee, points: series(w2, W2.crawlee) },
      ],
    },
    `${started.toISOString().slice(0, 10)} · Node ${process.version} · ours: journal append + fdatasync; immer: stringify + write + fsync + rename; Crawlee: setValue (writeFile, no fsync)`,
  );
  writeFileSync(path.join(here, 'chart.svg'), svg);
}

console.log(`\n${sections.map((s) => `## ${s.title}\n\n${s.body}`).join('\n\n')}\n`);
console.log(
  sections
    .flatMap((s) => s.checks)
    .map(verdictLine)
    .join('\n'),
);
console.log(
  resultsFile
    ? `\n[${elapsed()}] wrote bench/${resultsFile}${w1.length > 0 && w2.length > 0 ? ' and bench/chart.svg' : ''}`
    : `\n[${elapsed()}] BENCH_ONLY=${[...ONLY].join(',')}: no results file written`,
);

const handles = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
if (handles.length > 0) console.warn(`note: still active at the end: ${handles.join(', ')}`);
process.exit(failed ? 1 : 0);
