import fc from 'fast-check';
import { EMPTY_TRIE, TrieEditor, hashKey, trieDelete, trieEntries, trieFromPairs, triePairs, trieSet, type TrieNode } from '../../src/store/hash-trie.js';

// Keys whose hashes agree in many low bits, down to all 32: the deepest levels of the trie, which
// random keys never reach. FNV-1a's state after a block decides the rest, so a colliding pair of
// blocks from each state, chained (Joux's multicollision), gives 2^6 keys of one full hash; a last
// block then picks three such families whose hashes agree in their low 28 bits (A, B: apart only
// at the deepest branch) or 24 (D: apart one level higher). A leaf 7 levels deep that overflows
// (A and B keys) must split once more; a leaf 8 levels deep (one family) never does.

const fnvStep = (h: number, block: string): number => {
  for (let i = 0; i < block.length; i++) h = Math.imul(h ^ block.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

/**
 * Two blocks of two UTF-16 units that take state `h` to the same state. After a first unit the
 * state times FNV's prime needs only to agree with another's in its top 16 bits (a birthday search
 * of a few hundred units); the second unit, xored in, makes up the low 16. (Four-letter blocks
 * needed 7.3 million tries each: three minutes of the suite.) Units stay below the surrogates.
 */
function collidingBlocks(h: number): [string, string] {
  const seen = new Map<number, number>();
  for (let first = 0x100; first < 0xd800; first++) {
    const mid = Math.imul(h ^ first, 0x01000193) >>> 0;
    const other = seen.get(mid >>> 16);
    if (other !== undefined) {
      const low = (mid ^ Math.imul(h ^ other, 0x01000193)) & 0xffff;
      for (let second = 0x100; second < 0xd800; second++) {
        const paired = second ^ low;
        if (paired >= 0x100 && paired < 0xd800) return [String.fromCharCode(other, paired), String.fromCharCode(first, second)];
      }
    }
    seen.set(mid >>> 16, first);
  }
  throw new Error(`no colliding blocks from state ${h}`);
}

/** The `i`th of many blocks of three UTF-16 units, spread over the hash (blocks of a few letters are not: their low bits hardly collide). */
const wideBlock = (i: number): string =>
  String.fromCharCode(0x100 + ((Math.imul(i, 2654435761) >>> 16) % 0xf000), 0x100 + ((Math.imul(i + 7, 40503) >>> 0) % 0xf000), 0x100 + (i % 0xf000));

/** Three last blocks from state `h`: A and B agree in the low 28 bits of the hash they give, D with them in the low 24 only. */
function lastBlocks(h: number): { a: string; b: string; d: string } {
  const byLow24 = new Map<number, number[]>();
  for (let i = 0; i < 600_000; i++) {
    const to = fnvStep(h, wideBlock(i));
    const bucket = byLow24.get(to & 0xffffff);
    if (bucket) bucket.push(to, i);
    else byLow24.set(to & 0xffffff, [to, i]);
  }
  for (const bucket of byLow24.values()) {
    for (let a = 0; a < bucket.length; a += 2) {
      let b = -1;
      let d = -1;
      for (let j = 0; j < bucket.length; j += 2) {
        const [ha, hj] = [bucket[a]!, bucket[j]!];
        if (ha !== hj && (ha & 0xfffffff) === (hj & 0xfffffff)) b = bucket[j + 1]!;
        if ((ha & 0xfffffff) !== (hj & 0xfffffff)) d = bucket[j + 1]!;
      }
      if (b >= 0 && d >= 0) return { a: wideBlock(bucket[a + 1]!), b: wideBlock(b), d: wideBlock(d) };
    }
  }
  throw new Error('no such blocks: try more');
}

let family = [''];
let state = 0x811c9dc5;
for (let b = 0; b < 6; b++) {
  const [x, y] = collidingBlocks(state);
  family = family.flatMap((key) => [key + x, key + y]);
  state = fnvStep(state, x);
}
const last = lastBlocks(state);
const [familyA, familyB, familyD] = [last.a, last.b, last.d].map((end) => family.map((key) => key + end)) as [string[], string[], string[]];
const keys = [...familyA, ...familyB, ...familyD, ...Array.from({ length: 100 }, (_, i) => `k${i}`)];

type Op = { kind: 'set'; key: string; value: number } | { kind: 'delete'; key: string } | { kind: 'clear' };
const key = fc.constantFrom(...keys);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 60, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.integer() }) },
  { weight: 40, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

describe('hash trie with keys whose hashes agree down to the deepest levels', () => {
  test('the keys collide as meant', () => {
    const hashes = [familyA, familyB, familyD].map((keysOf) => new Set(keysOf.map(hashKey)));
    expect(hashes.map((set) => set.size)).toEqual([1, 1, 1]);
    const [a = 0, b = 0, d = 0] = hashes.map((set) => [...set][0]!);
    expect(a & 0xfffffff).toBe(b & 0xfffffff);
    expect(a).not.toBe(b);
    expect(a & 0xffffff).toBe(d & 0xffffff);
    expect(a & 0xfffffff).not.toBe(d & 0xfffffff);
  });

  test('editors (copying, and owning a trie read from pairs) make the trie trieSet and trieDelete make, and agree with a Map', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.array(op, { minLength: 200, maxLength: 1500 }), (before, sequence) => {
        let start: TrieNode = EMPTY_TRIE;
        for (const o of before) if (o.kind !== 'clear') start = o.kind === 'set' ? trieSet(start, o.key, o.value).node : trieDelete(start, o.key).node;
        const startText = JSON.stringify(start);
        const model = new Map(trieEntries(start));
        // Two reads of the same pairs: one the owning editor changes in place, one trieSet copies from.
        const [read, reference] = [trieFromPairs(triePairs(start)), trieFromPairs(triePairs(start))];
        if (typeof read === 'string' || typeof reference === 'string') throw new Error('pairs refused');
        let trie = start;
        let fromPairs = reference.node;
        const copying = new TrieEditor(start);
        const owning = new TrieEditor(read.node, true);
        for (const o of sequence) {
          if (o.kind === 'clear') {
            trie = fromPairs = EMPTY_TRIE;
            copying.clear();
            owning.clear();
            model.clear();
          } else if (o.kind === 'set') {
            const { node, added } = trieSet(trie, o.key, o.value);
            trie = node;
            fromPairs = trieSet(fromPairs, o.key, o.value).node;
            expect(added).toBe(!model.has(o.key));
            expect(copying.set(o.key, o.value)).toBe(added);
            expect(owning.set(o.key, o.value)).toBe(added);
            model.set(o.key, o.value);
          } else {
            const { node, removed } = trieDelete(trie, o.key);
            trie = node;
            fromPairs = trieDelete(fromPairs, o.key).node;
            expect(removed).toBe(model.has(o.key));
            expect(copying.delete(o.key)).toBe(removed);
            expect(owning.delete(o.key)).toBe(removed);
            model.delete(o.key);
          }
        }
        expect(copying.node).toEqual(trie);
        // A trie read from pairs is at its most compact: the same entries, in the order its own edits give.
        expect(owning.node).toEqual(fromPairs);
        expect(new Map(trieEntries(owning.node))).toEqual(model);
        expect(JSON.stringify(start)).toBe(startText);
      }),
      { numRuns: 30, seed: 19 },
    );
  });
});
