import fc from 'fast-check';
import * as path from 'node:path';
import { checkPollution, RUNS, sample, type Context } from './harness.js';
import { show } from './print.js';
import { baseOptions, checkStored, isObject, parseOr, putFiles, type AnyOptions, type Files } from './stored-files.js';
import { deepValue } from './values.js';

// Family 3: future and past versions, and migrations.

const MIGRATES = {
  none: undefined,
  identity: (state: unknown) => state,
  bump: (state: unknown, from: number) => ({ ...(isObject(state) ? state : { was: state }), migratedFrom: from }),
  throws: () => {
    throw new Error('migrate failed');
  },
  'throws-string': () => {
    throw 'a thrown string';
  },
  undefined: () => undefined,
  function: () => ({ f: () => 1 }),
  rejects: async () => {
    throw new TypeError('an async migrate failed');
  },
  deep: () => deepValue(60_000, false),
  bigint: () => ({ big: 1n }),
  null: () => null,
  date: () => ({ when: new Date(0) }),
} as const;
const versionShape = fc.record({
  stored: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(2 ** 31, 2 ** 53 - 1, 2 ** 53, 1e21)),
  bare: fc.boolean(),
  version: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.constantFrom(2 ** 53, -1, 1.5, Number.NaN)),
  migrate: fc.constantFrom(...(Object.keys(MIGRATES) as Array<keyof typeof MIGRATES>)),
  adoptUnversioned: fc.boolean(),
});

export async function versions(ctx: Context, seed: number, base: Files): Promise<void> {
  const folder = path.join(ctx.dir, 'versions');
  const envelope = parseOr(base.snapshot) as Record<string, unknown>;
  for (const shape of sample(versionShape, seed, RUNS.versions)) {
    // A bare value (what Crawlee's useState writes) has no journal; an envelope keeps the base's.
    const files: Files = shape.bare
      ? { snapshot: Buffer.from(JSON.stringify({ n: 5, name: 'bare', list: [] })), journal: undefined }
      : { snapshot: Buffer.from(JSON.stringify({ ...envelope, version: shape.stored })), journal: base.journal };
    await putFiles(folder, 'BASE', files);
    ctx.tally.try('versions');
    const input = show(shape);
    const { crashed } = await checkStored(
      ctx,
      'versions',
      folder,
      'BASE',
      (onInvalidStored) => ({
        key: 'BASE',
        initial: { n: -1 },
        version: shape.version,
        migrate: MIGRATES[shape.migrate] as AnyOptions['migrate'],
        adoptUnversioned: shape.adoptUnversioned,
        ...baseOptions(folder),
        onInvalidStored,
      }),
      input,
      true,
    );
    if (crashed) ctx.tally.crash('versions');
    checkPollution(ctx, 'versions', input);
  }
}
