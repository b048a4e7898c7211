import fc from 'fast-check';
import { EMPTY_TRIE, hashKey, trieCount, trieDelete, trieEntries, trieGet, trieHas, trieSet, type TrieNode } from '../../src/store/hash-trie.js';

// Few distinct keys collide often in leaves; many keys force splits down several levels.
const keys = fc.oneof(fc.constantFrom('a', 'b', 'c', '', 'ü', '__proto__', 'constructor'), fc.integer({ min: 0, max: 3000 }).map((i) => `k${i}`));
const ops = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('set' as const), key: keys, value: fc.integer() }),
    fc.record({ kind: fc.constant('delete' as const), key: keys }),
  ),
  { minLength: 300, maxLength: 3000 },
);

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

  test('the hash is FNV-1a, fixed forever because it decides the layout on disk', () => {
    expect(hashKey('')).toBe(0x811c9dc5);
    expect(hashKey('a')).toBe(0xe40c292c);
    expect(hashKey('foobar')).toBe(0xbf9cf968);
  });
});
