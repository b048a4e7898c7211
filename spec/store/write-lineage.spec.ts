import { createWriteLineage, MAX_LINEAGE_WRITERS } from '../../src/store/write-lineage.js';

const ownName = (lineage: Readonly<Record<string, number>>, others: readonly string[]) => Object.keys(lineage).find((name) => !others.includes(name))!;

describe('write lineage', () => {
  test('a write carries forward the lineage it was built on, with its own number last', () => {
    const lineage = createWriteLineage({ a: 4, b: 9 });
    const first = lineage.stamp(2);
    const me = ownName(first, ['a', 'b']);
    expect(first).toEqual({ a: 4, b: 9, [me]: 1 });
    expect(lineage.landed(first)).toBe(2);
    expect(Object.entries(lineage.stamp(1))).toEqual([
      ['a', 4],
      ['b', 9],
      [me, 2],
    ]);
  });

  test('keeps the most recent writers only, dropping the oldest', () => {
    const others = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`w-${i}`, i + 1]));
    const stamped = createWriteLineage(others).stamp(0);
    const names = Object.keys(stamped);
    expect(names).toHaveLength(MAX_LINEAGE_WRITERS);
    expect(names.slice(0, -1)).toEqual(Object.keys(others).slice(-(MAX_LINEAGE_WRITERS - 1)));
  });

  test('a state read back after a conflict tells how many pending recipes one of our writes put in it', () => {
    const lineage = createWriteLineage({});
    const lost = lineage.stamp(3); // landed, answer lost
    const me = ownName(lost, []);
    lineage.stamp(5); // the retry, with two more recipes: met a conflict
    // another writer built on our lost write and wrote on top
    expect(lineage.rebasedOn({ other: 1, [me]: 1 })).toBe(3);
    // the next write includes the two recipes left
    const retry = lineage.stamp(2);
    expect(lineage.landed(retry)).toBe(2);
    expect(lineage.rebasedOn({ other: 2, [me]: retry[me]! })).toBe(0); // nothing pending any more
  });

  test('a state without our writes holds none of our recipes; a later write counts from what is left', () => {
    const lineage = createWriteLineage({});
    const one = lineage.stamp(2);
    const two = lineage.stamp(4);
    expect(lineage.rebasedOn({ other: 7 })).toBe(0);
    // the first landed late, then the second on top of it
    expect(lineage.landed(one)).toBe(2);
    expect(lineage.landed(two)).toBe(2);
  });
});
