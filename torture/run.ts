// `npm run torture`: the library's promises as numbers. Runs each scenario of torture/scenarios/
// (in the order of their file names' numbers, each in its own temporary folder), prints a table
// and writes it to torture/RESULTS.md. Exit code 1 when a figure breaks its bound.
// TORTURE_SEED replays a run; TORTURE_ONLY=<word> runs the scenarios whose name has the word.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from './report.js';
import type { Figure, Scenario } from './scenario.js';

const BUDGET_MS = 20 * 60_000;
const here = path.dirname(fileURLToPath(import.meta.url));
const seed = Number(process.env.TORTURE_SEED ?? Date.now() % 2 ** 31);
const only = process.env.TORTURE_ONLY?.toLowerCase();

const files = (await readdir(path.join(here, 'scenarios'))).filter((name) => /^\d+-.*\.ts$/.test(name)).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
const scenarios: Scenario[] = [];
for (const file of files) scenarios.push(((await import(`./scenarios/${file}`)) as { default: Scenario }).default);
const chosen = scenarios.filter((s) => !only || s.name.toLowerCase().includes(only));

// Stops the whole run within the budget, whatever a scenario does.
const watchdog = setTimeout(() => {
  console.error(`torture: over the ${BUDGET_MS / 60_000}-minute budget; stopping`);
  process.exit(2);
}, BUDGET_MS);
watchdog.unref();

const started = Date.now();
const results: Array<{ name: string; figures: Figure[]; ms: number }> = [];
console.log(`torture: seed ${seed} (TORTURE_SEED=${seed} replays it)`);
for (const scenario of chosen) {
  const dir = await mkdtemp(path.join(tmpdir(), 'rxps-torture-'));
  const at = Date.now();
  console.log(`\n== ${scenario.name}`);
  try {
    const figures = await scenario.run({ dir, seed, log: (line) => console.log(`   ${line}`) });
    results.push({ name: scenario.name, figures, ms: Date.now() - at });
  } catch (error) {
    results.push({
      name: scenario.name,
      figures: [{ name: 'scenario failed', value: (error as Error).stack ?? String(error), ok: false }],
      ms: Date.now() - at,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const table = formatTable(results, { seed, totalMs: Date.now() - started });
console.log(`\n${table}`);
if (!only) await writeFile(path.join(here, 'RESULTS.md'), `# Torture results\n\n${table}\n`);
process.exitCode = results.some((r) => r.figures.some((f) => f.ok === false)) ? 1 : 0;
