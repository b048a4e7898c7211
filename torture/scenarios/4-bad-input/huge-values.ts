import fc from 'fast-check';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Subject } from 'rxjs';
import type { PlatformEvent } from '../../../src/events/event-types.js';
import { createPersistentStore, KeyedMap, type PersistentStore, type PersistentStoreOptions } from '../../../src/index.js';
import { attempt, checkPollution, RUNS, sample, type Context } from './harness.js';
import { describeError, safeStringify, show } from './print.js';
import { baseOptions, compactNow } from './stored-files.js';
import { deepValue, depth } from './values.js';

// Family 7: huge and non-JSON values given to update().

class Custom {
  x = 1;
}
type Huge = { label: string; make: () => unknown };
const huge: fc.Arbitrary<Huge> = fc.oneof(
  {
    arbitrary: fc
      .record({ depth, arrays: fc.boolean() })
      .map(({ depth: d, arrays }) => ({ label: `${arrays ? 'arrays' : 'objects'} nested ${d} deep`, make: () => deepValue(d, arrays) })),
    weight: 6,
  },
  {
    arbitrary: fc
      .record({
        length: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 100_000, max: 4_000_000 })),
        chunk: fc.constantFrom('x', 'é', '🙂', '\ud800', '"\\\n', '\u2028', '\u0000'),
      })
      .map(({ length, chunk }) => ({
        label: `a string of ${length} × ${JSON.stringify(chunk)}`,
        make: () => chunk.repeat(length),
      })),
    weight: 3,
  },
  {
    arbitrary: fc.integer({ min: 0, max: 200_000 }).map((n) => ({ label: `an array of ${n} numbers`, make: () => Array.from({ length: n }, (_, i) => i) })),
    weight: 2,
  },
  {
    arbitrary: fc
      .integer({ min: 0, max: 100_000 })
      .map((n) => ({ label: `an object of ${n} keys`, make: () => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])) })),
    weight: 2,
  },
  {
    arbitrary: fc
      .integer({ min: 0, max: 100_000 })
      .map((n) => ({ label: `a KeyedMap of ${n} entries`, make: () => new KeyedMap(Array.from({ length: n }, (_, i) => [`k${i}`, i] as const)) })),
    weight: 2,
  },
  {
    arbitrary: fc.constantFrom<Huge>(
      { label: 'undefined', make: () => undefined },
      { label: 'NaN', make: () => Number.NaN },
      { label: 'Infinity', make: () => Number.POSITIVE_INFINITY },
      { label: 'a BigInt', make: () => 10n },
      { label: 'a function', make: () => () => 1 },
      { label: 'a symbol', make: () => Symbol('s') },
      { label: 'a Date', make: () => new Date(0) },
      { label: 'a Map', make: () => new Map([['a', 1]]) },
      { label: 'a Set', make: () => new Set([1]) },
      { label: 'a class instance', make: () => new Custom() },
      { label: 'a sparse array', make: () => [1, , 3] }, // eslint-disable-line no-sparse-arrays
      { label: 'a typed array', make: () => new Uint8Array(4) },
      {
        label: 'a cycle',
        make: () => {
          const a: Record<string, unknown> = {};
          a.self = a;
          return a;
        },
      },
      { label: 'an object with toJSON', make: () => ({ toJSON: () => 'x' }) },
      {
        label: 'an object with a getter',
        make: () => ({
          get g() {
            return 1;
          },
        }),
      },
      { label: 'a null-prototype object', make: () => Object.assign(Object.create(null) as object, { a: 1 }) },
      { label: '-0', make: () => -0 },
      { label: 'an own __proto__ key', make: () => JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}') as unknown },
      { label: 'a frozen KeyedMap of another store', make: () => Object.freeze(new KeyedMap([['a', 1]])) },
    ),
    weight: 3,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ label: `JSON ${show(v, 100)}`, make: () => v })), weight: 2 },
);

export async function hugeValues(ctx: Context, seed: number): Promise<void> {
  const { tally } = ctx;
  const folder = path.join(ctx.dir, 'huge');
  await fs.mkdir(folder);
  for (const [i, { label, make }] of sample(huge, seed, RUNS.huge).entries()) {
    tally.try('huge');
    const crashed = { value: false };
    const key = `H${i}`;
    const events = new Subject<PlatformEvent>();
    const options: PersistentStoreOptions<Record<string, unknown>> = { key, initial: { n: 0 }, ...baseOptions(folder), flushTimeoutMs: 10_000, events };
    const opened = await attempt(tally, 'huge', label, 'open', () => createPersistentStore(options), crashed);
    if (!opened.ok) {
      tally.crash('huge');
      continue;
    }
    const store = opened.value!;
    store.update((s) => void (s.n = 1));
    await attempt(tally, 'huge', label, 'flush', () => store.flush(), crashed); // the snapshot: the value goes to the journal
    const before = store.getState();
    const value = make();
    const updated = await attempt(tally, 'huge', label, 'update', () => store.update((s) => void (s.v = value)), crashed);
    if (!updated.ok && store.getState() !== before) {
      crashed.value = true;
      tally.note('huge', 'a refused update changed the state', '', label);
    }
    let written: string | undefined;
    if (updated.ok) {
      written = safeStringify(store.getState().v);
      const flushed = await attempt(tally, 'huge', label, 'flush', () => store.flush(), crashed);
      if (!flushed.ok && flushed.typed) {
        tally.flushFailed++;
        tally.note('huge', 'an accepted update could not be made durable', describeError(flushed.error), label);
      }
      const compaction = await attempt(tally, 'huge', label, 'compaction on migrating', () => compactNow(store as PersistentStore<unknown>, events), crashed);
      if (compaction.ok && compaction.value) {
        tally.unwritable++;
        tally.note('huge', 'an accepted value cannot be written whole (the compaction fails, and is retried forever)', describeError(compaction.value), label);
      }
    }
    await attempt(tally, 'huge', label, 'update after', () => store.update((s) => void (s.n = 2)), crashed);
    await attempt(tally, 'huge', label, 'close', () => store.close(), crashed);
    const again = await attempt(tally, 'huge', label, 'reopen', () => createPersistentStore(options), crashed);
    if (again.ok) {
      const state = again.value!.getState();
      if (state.n !== 2 || (written !== undefined && safeStringify(state.v) !== written)) {
        tally.lost++;
        tally.note(
          'huge',
          'after reopening, the state is not what was made durable',
          `n = ${String(state.n)}, v ${written === undefined ? 'was refused' : safeStringify(state.v) === written ? 'as written' : 'differs'}`,
          label,
        );
      }
      await attempt(tally, 'huge', label, 'close', () => again.value!.close(), crashed);
    } else if (again.typed) {
      tally.lost++;
      tally.note('huge', 'a store that took an update cannot be reopened', describeError(again.error), label);
    }
    if (crashed.value) tally.crash('huge');
    checkPollution(ctx, 'huge', label);
    await fs.rm(path.join(folder, `${key}.json`), { force: true });
    await fs.rm(path.join(folder, `${key}.json.journal`), { force: true });
  }
}

// ——— The scenario ———
