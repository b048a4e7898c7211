import fc from 'fast-check';
import {
  EMPTY_TRIE,
  hashKey,
  trieCount,
  trieDelete,
  trieEntries,
  trieFromPairs,
  trieGet,
  trieHas,
  triePairs,
  trieSet,
  TrieEditor,
  type TrieNode,
} from '../../src/store/hash-trie.js';

// Few distinct keys collide often in leaves; many keys force splits down several levels.
const keys = fc.oneof(
  fc.constantFrom('a', 'b', 'c', '', 'ü', '__proto__', 'constructor'),
  fc.integer({ min: 0, max: 3000 }).map((i) => `k${i}`),
);
const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: keys, value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key: keys }),
);
const ops = fc.array(op, { minLength: 300, maxLength: 3000 });

describe('hash trie', () => {
  test('behaves like a Map, and every old version stays as it was', () => {
    fc.assert(
      fc.property(ops, (sequence) => {
        const model = new Map<string, number>();
        let trie: TrieNode = EMPTY_TRIE;
        const versions: Array<[TrieNode, Map<string, number>]> = [];
        for (const op of sequence) {
          if (op.kind === 'set') {
            const { node, added } = trieSet(trie, op.key, op.value);
            expect(added).toBe(!model.has(op.key));
            model.set(op.key, op.value);
            trie = node;
          } else {
            const { node, removed } = trieDelete(trie, op.key);
            expect(removed).toBe(model.delete(op.key));
            trie = node;
          }
          if (model.size % 97 === 0) versions.push([trie, new Map(model)]);
        }
        expect(new Map(trieEntries(trie))).toEqual(model);
        expect(trieCount(trie)).toBe(model.size);
        if (model.size > 64) expect(trie[0]).toBe(0); // big enough to have split into a branch
        for (const [key, value] of model) {
          expect(trieHas(trie, key)).toBe(true);
          expect(trieGet(trie, key)).toBe(value);
        }
        for (const [version, snapshot] of versions) expect(new Map(trieEntries(version))).toEqual(snapshot);
      }),
      { numRuns: 30 },
    );
  });

  test('an editor makes the very trie trieSet and trieDelete make, and never writes a node it did not make', () => {
    const withClear = fc.array(fc.oneof({ weight: 300, arbitrary: op }, { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) }), {
      minLength: 300,
      maxLength: 3000,
    });
    fc.assert(
      fc.property(ops, withClear, (before, sequence) => {
        let start: TrieNode = EMPTY_TRIE;
        for (const op of before) start = op.kind === 'set' ? trieSet(start, op.key, op.value).node : trieDelete(start, op.key).node;
        const startCopy = JSON.stringify(start);
        let trie = start;
        const editor = new TrieEditor(start);
        // One that owns its trie (a copy nobody else holds) changes it in place, to the same end.
        const owner = new TrieEditor(structuredClone(start), true);
        for (const op of sequence) {
          if (op.kind === 'clear') {
            trie = EMPTY_TRIE;
            editor.clear();
            owner.clear();
          } else if (op.kind === 'set') {
            const { node, added } = trieSet(trie, op.key, op.value);
            expect(editor.set(op.key, op.value)).toBe(added);
            expect(owner.set(op.key, op.value)).toBe(added);
            trie = node;
          } else {
            const { node, removed } = trieDelete(trie, op.key);
            expect(editor.delete(op.key)).toBe(removed);
            expect(owner.delete(op.key)).toBe(removed);
            trie = node;
          }
        }
        expect(editor.node).toEqual(trie); // the same shape, so the same order
        expect(owner.node).toEqual(trie);
        expect(JSON.stringify(start)).toBe(startCopy);
      }),
      { numRuns: 30 },
    );
    expect(Object.isFrozen(EMPTY_TRIE)).toBe(true);
  });

  test('a change copies one path: untouched subtrees are shared with the previous version', () => {
    let trie: TrieNode = EMPTY_TRIE;
    for (let i = 0; i < 50_000; i++) trie = trieSet(trie, `url-${i}`, true).node;
    const next = trieSet(trie, 'one-more', true).node;
    const shared = (trie as TrieNode[]).slice(1).filter((child, i) => child !== null && child === (next as TrieNode[])[i + 1]);
    expect(shared.length).toBe(15); // of 16 children, only the one on the path was copied
    expect(trieCount(next)).toBe(50_001);
  });

  test('the stored shape is checked when read back', () => {
    expect(trieCount(JSON.parse(JSON.stringify(trieSet(EMPTY_TRIE, 'a', 1).node)))).toBe(1);
    expect(trieCount([1, 'a'])).toBe(-1); // key without value
    expect(trieCount([1, 3, 'x'])).toBe(-1); // key not a string
    expect(trieCount([0, null])).toBe(-1); // branch of the wrong width
    expect(trieCount({})).toBe(-1);
  });

  test('built from stored pairs: the same map, in the same order, and it changes like any other', () => {
    fc.assert(
      fc.property(ops, fc.array(fc.tuple(keys, fc.integer()), { maxLength: 50 }), (sequence, more) => {
        let trie: TrieNode = EMPTY_TRIE;
        for (const op of sequence) trie = op.kind === 'set' ? trieSet(trie, op.key, op.value).node : trieDelete(trie, op.key).node;
        const pairs = triePairs(trie);
        expect(pairs).toEqual([...trieEntries(trie)]);
        const built = trieFromPairs(JSON.parse(JSON.stringify(pairs)));
        if (typeof built === 'string') throw new Error(built);
        expect(built.size).toBe(pairs.length);
        expect(trieCount(built.node)).toBe(pairs.length);
        expect(triePairs(built.node)).toEqual(pairs); // a round trip keeps the order
        // Pairs in another order (a file edited by hand): the same map, in trie order.
        const reordered = trieFromPairs([...pairs].reverse());
        if (typeof reordered === 'string') throw new Error(reordered);
        expect(new Map(triePairs(reordered.node))).toEqual(new Map(pairs));
        expect(trieCount(reordered.node)).toBe(pairs.length);
        for (const [key, value] of pairs) expect(trieGet(reordered.node, key)).toBe(value);
        // Then set and delete as usual, against a Map.
        const model = new Map(pairs);
        let next = built.node;
        for (const [key, value] of more) {
          if (value % 3 === 0) {
            expect(trieDelete(next, key).removed).toBe(model.delete(key));
            next = trieDelete(next, key).node;
          } else {
            expect(trieSet(next, key, value).added).toBe(!model.has(key));
            model.set(key, value);
            next = trieSet(next, key, value).node;
          }
        }
        expect(new Map(trieEntries(next))).toEqual(model);
        for (const key of model.keys()) expect(trieGet(next, key)).toBe(model.get(key));
      }),
      { numRuns: 30 },
    );
  });

  test('built from pairs with repeated keys: the last value wins; 100,000 copies of one key cost a pass, not a square', () => {
    const built = trieFromPairs([['a', 1], ['b', 2], ['a', 3], ...Array.from({ length: 40 }, (_, i) => ['c', i])]);
    if (typeof built === 'string') throw new Error(built);
    expect(new Map(trieEntries(built.node))).toEqual(
      new Map([
        ['a', 3],
        ['b', 2],
        ['c', 39],
      ]),
    );
    expect(built.size).toBe(3);
    const started = performance.now();
    const same = trieFromPairs(Array.from({ length: 100_000 }, (_, i) => ['one', i]));
    expect(typeof same !== 'string' && [same.size, trieGet(same.node, 'one')]).toEqual([1, 99_999]);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(trieFromPairs([['a', 1], 'b'])).toBe('entry 2 is not a [key, value] pair with a string key');
    expect(trieFromPairs([])).toEqual({ node: EMPTY_TRIE, size: 0 });
  });

  test('the hash is FNV-1a, fixed forever: tries stored by earlier versions are read as they are', () => {
    expect(hashKey('')).toBe(0x811c9dc5);
    expect(hashKey('a')).toBe(0xe40c292c);
    expect(hashKey('foobar')).toBe(0xbf9cf968);
  });
});
