import { largeCopies } from '../../src/store/large-copies.js';
import type { JournalOp } from '../../src/store/journal-ops.js';

/** A plain object of `n` keys that counts how often its keys are enumerated. */
function countedObject(n: number): { object: Record<string, number>; enumerations: () => number } {
  let enumerations = 0;
  const target = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
  const object = new Proxy(target, {
    ownKeys: (t) => {
      enumerations++;
      return Reflect.ownKeys(t);
    },
  });
  return { object, enumerations: () => enumerations };
}

const change = (...path: Array<string | number>): JournalOp => ({ op: 'replace', path, value: 1 }) as JournalOp;

describe('largeCopies', () => {
  test('an object already reported at its path is not counted again (each count enumerates every key)', () => {
    const { object, enumerations } = countedObject(10_000);
    const state = { seen: object };
    expect(largeCopies(state, [change('seen', 'k1')])).toEqual([{ path: ['seen'], entries: 10_000, kind: 'object' }]);
    const before = enumerations();
    expect(largeCopies(state, [change('seen', 'k2')], (path) => path.join('.') === 'seen')).toEqual([]);
    expect(enumerations()).toBe(before);
  });

  test('arrays are still reported (their length costs nothing), and paths not reported are counted', () => {
    const state = { list: Array.from({ length: 10_000 }, (_, i) => i), other: countedObject(10_000).object };
    const found = largeCopies(state, [change('list', 0), change('other', 'k1')], () => true);
    expect(found).toEqual([{ path: ['list'], entries: 10_000, kind: 'array' }]);
    expect(largeCopies(state, [change('other', 'k1')], (path) => path[0] === 'list')).toEqual([{ path: ['other'], entries: 10_000, kind: 'object' }]);
  });
});
