import fc from 'fast-check';
import * as path from 'node:path';
import { checkPollution, RUNS, sample, type Context } from './harness.js';
import { mutate, mutation, type Mutation } from './file-mutations.js';
import { show } from './print.js';
import { baseOptions, checkStored, putFiles, type Files } from './stored-files.js';

// Family 1: corrupt snapshot and journal files.

/**
 * Where nesting breaks depends on the stack left at each recursive walk (JSON.parse, reviving maps,
 * freezing, validating, immer), so besides the random depths, a sweep: every 100 levels from 1,000 to
 * 12,000, objects and arrays, in the snapshot and in a journal record.
 */
const DEPTH_SWEEP: Mutation[][] = (['snapshot', 'journal'] as const).flatMap((where) =>
  [false, true].flatMap((arrays) => Array.from({ length: 111 }, (_, i): Mutation[] => [{ kind: 'deep', depth: 1_000 + 100 * i, arrays, where }])),
);

/** What the depth sweep found: for each series, the ranges of depths that opened, were refused or crashed. */
const depthOutcomes = new Map<string, Array<{ outcome: string; from: number; to: number }>>();

export async function corruptFiles(ctx: Context, seed: number, base: Files): Promise<void> {
  const inputs = [...sample(fc.array(mutation, { minLength: 1, maxLength: 3 }), seed, RUNS.files), ...DEPTH_SWEEP];
  const folder = path.join(ctx.dir, 'files');
  for (const [i, mutations] of inputs.entries()) {
    // A mutation the torture itself cannot make (re-serialising a value nested too deep) is skipped.
    const files = mutations.reduce((at, m) => {
      try {
        return mutate(at, m);
      } catch {
        return at;
      }
    }, base);
    await putFiles(folder, 'BASE', files);
    ctx.tally.try('files');
    const input = show(mutations);
    const { crashed, first } = await checkStored(
      ctx,
      'files',
      folder,
      'BASE',
      (onInvalidStored) => ({ key: 'BASE', initial: { n: -1 }, ...baseOptions(folder), onInvalidStored }),
      input,
      true,
    );
    if (crashed) ctx.tally.crash('files');
    const sweep = mutations.length === 1 && DEPTH_SWEEP.includes(mutations) ? mutations[0] : undefined;
    if (sweep?.kind === 'deep') {
      const series = `${sweep.arrays ? 'arrays' : 'objects'} in the ${sweep.where}`;
      const ranges = depthOutcomes.get(series) ?? [];
      const lastRange = ranges.at(-1);
      if (lastRange?.outcome === first) lastRange.to = sweep.depth;
      else ranges.push({ outcome: first, from: sweep.depth, to: sweep.depth });
      depthOutcomes.set(series, ranges);
    }
    checkPollution(ctx, 'files', input);
    if ((i + 1) % 200 === 0) ctx.log(`files: ${i + 1} of ${inputs.length}`);
  }
  for (const [series, ranges] of depthOutcomes) ctx.log(`stored nesting, ${series}: ${ranges.map((r) => `${r.from}–${r.to} ${r.outcome}`).join(', ')}`);
}
