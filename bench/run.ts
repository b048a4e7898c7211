// `npm run bench`: every workload at every size, peers measured in the same run; writes
// bench/RESULTS.md and bench/chart.svg.
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chart } from './chart.js';
import { fmt, SIZES, table, type Row } from './harness.js';
import { w1Update } from './w1-update.js';
import { w2Persist } from './w2-persist.js';
import { w3Migration } from './w3-migration.js';
import { w4Hydration } from './w4-hydration.js';
import { w5Memory } from './w5-memory.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const OURS = 'rx-persistent-store';

async function each<R extends Row>(name: string, run: (size: number) => Promise<R>): Promise<R[]> {
  const rows: R[] = [];
  for (const size of SIZES) {
    const row = await run(size);
    console.log(`${name} ${size.toLocaleString('en')}: ${Object.entries(row).filter(([k]) => k !== 'size').map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
    rows.push(row);
  }
  return rows;
}

const at = (rows: readonly Row[], size: number) => rows.find((r) => r.size === size);
const verdict = (ok: boolean, text: string) => `- ${ok ? 'PASS' : 'FAIL'}: ${text}`;

const w1 = await each('W1', w1Update);
const w2 = await each('W2', w2Persist);
const w3 = [await w3Migration(200_000)];
console.log(`W3 200,000: ours ${fmt(w3[0]![OURS])} ms`);
const w4 = await each('W4', w4Hydration);
const w5 = await each('W5', w5Memory);

const [smallest, largest] = [Math.min(...SIZES), Math.max(...SIZES)];
const checks: string[] = [];
const w1at = at(w1, 200_000);
const w2at = at(w2, 200_000);
const w4at = at(w4, 200_000);
const w5at = at(w5, 200_000);
if (w1at) checks.push(verdict(w1at[OURS]! <= 50, `W1 at 200k entries: ${fmt(w1at[OURS])} µs per update (target ≤ 50)`));
checks.push(verdict(at(w1, largest)![OURS]! <= 2 * at(w1, smallest)![OURS]!, `W1 from ${smallest.toLocaleString('en')} to ${largest.toLocaleString('en')} entries: ${fmt(at(w1, largest)![OURS]! / at(w1, smallest)![OURS]!)}× (target ≤ 2×)`));
if (w2at) checks.push(verdict(w2at[OURS]! <= 1, `W2 at 200k entries: ${fmt(w2at[OURS])} ms median (target ≤ 1 ms)`));
checks.push(verdict(Math.max(...w2.map((r) => r[OURS]!)) <= 2 * Math.min(...w2.map((r) => r[OURS]!)), `W2 flat across sizes: ${w2.map((r) => fmt(r[OURS])).join(', ')} ms`));
checks.push(verdict(w3[0]![OURS]! <= 20, `W3 at 200k entries: ${fmt(w3[0]![OURS])} ms median from migrating to durable (target ≤ 20 ms)`));
if (w4at) checks.push(verdict(w4at[OURS]! <= 1.5 * w4at['JSON.parse']!, `W4 at 200k entries: ${fmt(w4at[OURS]! / w4at['JSON.parse']!)}× JSON.parse of the final state, with a journal of ${w4at.journalLines} records of 10 changes (target ≤ 1.5×)`));
if (w5at) checks.push(verdict(w5at[OURS]! <= 2 * w5at['plain object']!, `W5 at 200k entries: ${fmt(w5at[OURS]! / w5at['plain object']!)}× the heap of a plain object (target ≤ 2×)`));

const kernel = (() => {
  try {
    return execSync('uname -sr').toString().trim();
  } catch {
    return os.release();
  }
})();
const report = [
  '# Benchmark results',
  '',
  `Run on ${new Date().toISOString().slice(0, 10)}: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${kernel}. Keys are ${'`https://shop.example/product/<i>`'}, values ${'`true`'}. Re-run with ${'`npm run bench`'}.`,
  '',
  '## Targets',
  '',
  ...checks,
  '',
  '## Tables',
  '',
  table('W1 update: insert one key and read it back (µs per update, amortised)', 'µs', w1),
  'Ours: a `KeyedMap` in a store (memory adapter, writes out of the way). immer: `produce` on a plain object. Crawlee: `useState` hands out one mutable object, so an update is an assignment; it pays for it at every persist (W2).',
  '',
  table('W2 persist: update one key, then until durable (ms, median)', 'ms', w2),
  'Ours: `update` then `await flush()` on the file adapter (a journal append and fdatasync). Whole snapshot + fsync: what a store without a journal must do (stringify, write, fsync, rename). Crawlee: `await KeyValueStore.setValue()` of the state, as its `persistState` listener does (pretty JSON, written, not fsynced).',
  '',
  table('W3 migration: from the migrating event to durable, with a change pending its debounce (ms, median)', 'ms', w3),
  'Crawlee: one `setValue` of the same state, which its migration handler waits for.',
  '',
  table('W4 hydration: open a store from a snapshot plus a journal of 10,000 changes (ms, median)', 'ms', w4.map(({ journalLines: _, ...row }) => row)),
  `Journal records at start-up, by size: ${w4.map((r) => `${r.size.toLocaleString('en')}: ${r.journalLines}`).join(', ')} (each holds 10 changes; below 40,000 entries the journal outgrows a quarter of the state and is compacted first).`,
  '',
  table('W5 memory: heap holding the state (MiB)', 'MiB', w5),
].join('\n');

writeFileSync(path.join(here, 'RESULTS.md'), `${report}\n`);
writeFileSync(path.join(here, 'chart.svg'), chart(w1.map(({ ['Crawlee useState']: _, ...r }) => r as Row), w2));
console.log(`\n${checks.join('\n')}\n\nwrote bench/RESULTS.md and bench/chart.svg`);
