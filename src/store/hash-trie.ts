/**
 * A persistent hash trie: the storage behind `KeyedMap`. Every change copies only the path from
 * the root to one leaf (at most 8 small arrays), so its cost does not grow with the number of
 * entries, and old versions stay valid. A map is stored as its entries (`triePairs`, read back
 * by `trieFromPairs`); earlier versions stored the trie itself, which is read as it is. Nodes
 * are plain arrays:
 *   leaf:   [1, key1, value1, key2, value2, …]   (at most LEAF_CAPACITY entries, unless at MAX_DEPTH)
 *   branch: [0, child0, …, child15]              (child = node or null), picked by 4 bits of the hash
 */
export type TrieNode = readonly unknown[];

const BRANCH = 0;
const LEAF = 1;
const BITS = 4;
const FANOUT = 1 << BITS;
const MAX_DEPTH = 32 / BITS;
const LEAF_CAPACITY = 32;

export const EMPTY_TRIE: TrieNode = Object.freeze([LEAF]);

/** FNV-1a over UTF-16 code units: fast, stable across runs and platforms (tries stored by earlier versions are laid out by it). */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const slot = (hash: number, depth: number): number => 1 + ((hash >>> (depth * BITS)) & (FANOUT - 1));

/** Index of `key`'s value in `leaf`, or -1. */
function find(leaf: TrieNode, key: string): number {
  for (let i = 1; i < leaf.length; i += 2) if (leaf[i] === key) return i + 1;
  return -1;
}

function leafOf(node: TrieNode, hash: number): TrieNode | null {
  let n: TrieNode | null = node;
  for (let depth = 0; n !== null && n[0] === BRANCH; depth++) n = n[slot(hash, depth)] as TrieNode | null;
  return n;
}

export function trieHas(node: TrieNode, key: string): boolean {
  const leaf = leafOf(node, hashKey(key));
  return leaf !== null && find(leaf, key) > 0;
}

export function trieGet(node: TrieNode, key: string): unknown {
  const leaf = leafOf(node, hashKey(key));
  if (leaf === null) return undefined;
  const at = find(leaf, key);
  return at > 0 ? leaf[at] : undefined;
}

/** The trie with `key` set to `value`, and whether the key is new. */
export function trieSet(node: TrieNode, key: string, value: unknown): { node: TrieNode; added: boolean } {
  let added = false;
  const hash = hashKey(key);
  const go = (n: TrieNode, depth: number): TrieNode => {
    if (n[0] === BRANCH) {
      const at = slot(hash, depth);
      const copy = n.slice();
      copy[at] = go((n[at] as TrieNode | null) ?? EMPTY_TRIE, depth + 1);
      return copy;
    }
    const at = find(n, key);
    if (at > 0) {
      const copy = n.slice();
      copy[at] = value;
      return copy;
    }
    added = true;
    const grown = [...n, key, value];
    return grown.length > 1 + 2 * LEAF_CAPACITY && depth < MAX_DEPTH ? split(grown, depth) : grown;
  };
  const next = go(node, 0);
  return { node: next, added };
}

function split(leaf: TrieNode, depth: number): TrieNode {
  const branch: unknown[] = [BRANCH, ...new Array<null>(FANOUT).fill(null)];
  for (let i = 1; i < leaf.length; i += 2) {
    const key = leaf[i] as string;
    const at = slot(hashKey(key), depth);
    const child = (branch[at] as unknown[] | null) ?? (branch[at] = [LEAF]);
    child.push(key, leaf[i + 1]);
  }
  // A full leaf may still land in one child: split again one level down.
  for (let at = 1; at <= FANOUT; at++) {
    const child = branch[at] as TrieNode | null;
    if (child !== null && child.length > 1 + 2 * LEAF_CAPACITY && depth + 1 < MAX_DEPTH) branch[at] = split(child, depth + 1);
  }
  return branch;
}

/** The trie without `key`, and whether it was there. Empty leaves are dropped from their branch. */
export function trieDelete(node: TrieNode, key: string): { node: TrieNode; removed: boolean } {
  const hash = hashKey(key);
  let removed = false;
  const go = (n: TrieNode, depth: number): TrieNode | null => {
    if (n[0] === BRANCH) {
      const at = slot(hash, depth);
      const child = n[at] as TrieNode | null;
      if (child === null) return n;
      const next = go(child, depth + 1);
      if (next === child) return n;
      const copy = n.slice();
      copy[at] = next;
      return copy;
    }
    const at = find(n, key);
    if (at < 0) return n;
    removed = true;
    if (n.length === 3 && depth > 0) return null;
    const copy = n.slice();
    copy.splice(at - 1, 2);
    return copy;
  };
  return { node: go(node, 0) ?? EMPTY_TRIE, removed };
}

/**
 * The trie of stored `[key, value]` pairs (a map read from storage), and how many distinct keys
 * it holds; or why the pairs are malformed. Built in one pass: each key hashed once, every node
 * allocated once at its final size, where setting the keys one by one would copy a path per key.
 * A key given twice keeps its last value, as `new Map(pairs)` does. The shape is the one
 * `trieSet` gives, at its most compact (no leaf split that deletes have since thinned).
 */
export function trieFromPairs(pairs: readonly unknown[]): { node: TrieNode; size: number } | string {
  const hashes = new Uint32Array(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') return `entry ${i + 1} is not a [key, value] pair with a string key`;
    hashes[i] = hashKey(pair[0]);
  }
  let size = 0;
  const leaf = (indices: Uint32Array): TrieNode => {
    const node: unknown[] = [LEAF];
    // Equal keys share a hash: only pairs whose hashes match are compared. A leaf past capacity
    // (keys whose 32 hash bits all agree, as a hostile file may hold) is deduplicated by a Map.
    const seen = indices.length > LEAF_CAPACITY ? new Map<string, number>() : undefined;
    for (let i = 0; i < indices.length; i++) {
      const [key, value] = pairs[indices[i]!] as [string, unknown];
      let at = -1;
      if (seen) at = seen.get(key) ?? -1;
      else for (let j = 0; j < i && at < 0; j++) if (hashes[indices[j]!] === hashes[indices[i]!]) at = find(node, key);
      if (at > 0) {
        node[at] = value;
        continue;
      }
      seen?.set(key, node.length + 1);
      node.push(key, value);
    }
    size += (node.length - 1) / 2;
    return node;
  };
  const build = (indices: Uint32Array, depth: number): TrieNode => {
    if (indices.length <= LEAF_CAPACITY || depth >= MAX_DEPTH) return leaf(indices);
    // A counting sort of the indices by their slot at this depth (stable, so a leaf keeps the
    // stored order): one pass to count, one to place.
    const starts = new Uint32Array(FANOUT + 2);
    for (let i = 0; i < indices.length; i++) starts[slot(hashes[indices[i]!]!, depth) + 1]!++;
    for (let at = 1; at <= FANOUT + 1; at++) starts[at]! += starts[at - 1]!;
    const sorted = new Uint32Array(indices.length);
    const next = starts.slice();
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!;
      sorted[next[slot(hashes[index]!, depth)]!++] = index;
    }
    const branch: unknown[] = [BRANCH];
    for (let at = 1; at <= FANOUT; at++) branch.push(starts[at + 1]! > starts[at]! ? build(sorted.subarray(starts[at]!, starts[at + 1]!), depth + 1) : null);
    return branch;
  };
  if (pairs.length === 0) return { node: EMPTY_TRIE, size: 0 };
  const indices = new Uint32Array(pairs.length);
  for (let i = 0; i < indices.length; i++) indices[i] = i;
  return { node: build(indices, 0), size };
}

/** The entries as `[key, value]` pairs, in trie order: the stored form of a map. */
export function triePairs(node: TrieNode, into: [string, unknown][] = []): [string, unknown][] {
  if (node[0] === BRANCH) {
    for (let at = 1; at <= FANOUT; at++) if (node[at] !== null) triePairs(node[at] as TrieNode, into);
    return into;
  }
  for (let i = 1; i < node.length; i += 2) into.push([node[i] as string, node[i + 1]]);
  return into;
}

/** Entries in trie order (stable for a given set of keys, not insertion order). */
export function* trieEntries(node: TrieNode | null): Generator<[string, unknown]> {
  if (node === null) return;
  if (node[0] === BRANCH) {
    for (let at = 1; at <= FANOUT; at++) yield* trieEntries(node[at] as TrieNode | null);
    return;
  }
  for (let i = 1; i < node.length; i += 2) yield [node[i] as string, node[i + 1]];
}

/** Counts entries and checks the shape, for nodes read from storage; returns -1 if malformed. */
export function trieCount(node: unknown, depth = 0): number {
  if (!Array.isArray(node) || depth > MAX_DEPTH) return -1;
  if (node[0] === LEAF) {
    if (node.length % 2 !== 1) return -1;
    for (let i = 1; i < node.length; i += 2) if (typeof node[i] !== 'string') return -1;
    return (node.length - 1) / 2;
  }
  if (node[0] !== BRANCH || node.length !== FANOUT + 1) return -1;
  let total = 0;
  for (let at = 1; at <= FANOUT; at++) {
    if (node[at] === null) continue;
    const count = trieCount(node[at], depth + 1);
    if (count < 0) return -1;
    total += count;
  }
  return total;
}
