import type { Figure } from './scenario.js';

/** The results as one Markdown table: scenario, figure, value, bound, verdict. */
export function formatTable(
  results: ReadonlyArray<{ name: string; figures: readonly Figure[]; ms: number }>,
  { seed, totalMs }: { seed: number; totalMs: number },
): string {
  const lines = ['| scenario | figure | value | must | |', '|---|---|---|---|---|'];
  for (const { name, figures, ms } of results) {
    figures.forEach((figure, i) => {
      const verdict = figure.ok === undefined ? '' : figure.ok ? 'ok' : '**FAIL**';
      const scenario = i === 0 ? `${name} (${(ms / 1000).toFixed(0)} s)` : '';
      lines.push(`| ${scenario} | ${figure.name} | ${String(figure.value).replace(/\|/g, '\\|').replace(/\n/g, ' ')} | ${figure.must ?? ''} | ${verdict} |`);
    });
  }
  const failed = results.flatMap((r) => r.figures).filter((f) => f.ok === false).length;
  lines.push(
    '',
    `${failed === 0 ? 'Every bound held' : `${failed} bound(s) broken`}; seed ${seed}; ${(totalMs / 1000).toFixed(0)} s in all; node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
  );
  return lines.join('\n');
}
