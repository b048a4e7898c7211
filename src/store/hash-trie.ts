/**
 * A persistent hash trie: the storage behind `KeyedMap`. Every change copies only the path from
 * the root to one leaf (at most 8 small arrays), so its cost does not grow with the number of
 * entries, and old versions stay valid. A map is stored as its entries (`triePairs`, read back
 * by `trieFromPairs`); earlier versions stored the trie itself, which is read as it is. Nodes
 * are plain arrays:
 *   leaf:   [1, key1, value1, key2, value2, …]   (at most LEAF_CAPACITY entries, unless HASH_LEVELS deep)
 *   branch: [0, child0, …, child15]              (child = node or null), picked by 4 bits of the hash
 */
export type TrieNode = readonly unknown[];

const BRANCH = 0;
const LEAF = 1;
const BITS = 4;
const FANOUT = 1 << BITS;
/** Levels of branches a 32-bit hash can pick, 4 bits each: a leaf this deep holds keys of one full hash, however many. */
const HASH_LEVELS = 32 / BITS;
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
    return grown.length > 1 + 2 * LEAF_CAPACITY && depth < HASH_LEVELS ? split(grown, depth) : grown;
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
    if (child !== null && child.length > 1 + 2 * LEAF_CAPACITY && depth + 1 < HASH_LEVELS) branch[at] = split(child, depth + 1);
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
 * Edits a trie in place, for a run of changes nobody sees until it ends (a journal replayed on
 * open), where `trieSet` and `trieDelete` copy a whole path per change. Nodes it did not make are
 * copied the first time a change reaches them (the editor may start from EMPTY_TRIE or from a
 * version still in use), unless `ownsAll` says the trie was made for the caller alone (read from
 * storage, not yet shared): then it is changed where it is. Every change leaves the trie in the
 * shape `trieSet` / `trieDelete` would give, so the result is the same trie, in the same order.
 * `node` is the current root; take it when the run is over.
 */
export class TrieEditor {
  /** Nodes made by this editor, which it may change in place (unless it owns them all). */
  private readonly own = new Set<TrieNode>();

  constructor(
    public node: TrieNode,
    private readonly ownsAll = false,
  ) {}

  /** Sets `key`; returns whether it is new. */
  set(key: string, value: unknown): boolean {
    const hash = hashKey(key);
    let n = this.writable(this.node);
    this.node = n;
    for (let depth = 0; ; depth++) {
      if (n[0] === BRANCH) {
        const at = slot(hash, depth);
        const child = this.writable((n[at] as TrieNode | null) ?? EMPTY_TRIE);
        n[at] = child;
        n = child;
        continue;
      }
      const found = find(n, key);
      if (found > 0) {
        n[found] = value;
        return false;
      }
      n.push(key, value);
      if (n.length > 1 + 2 * LEAF_CAPACITY && depth < HASH_LEVELS) {
        this.own.delete(n); // replaced by the branch it splits into
        this.replace(this.adopt(split(n, depth)), hash, depth);
      }
      return true;
    }
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: string): boolean {
    const hash = hashKey(key);
    // Its leaf found without writing: only a key that is there costs copies.
    let leaf = this.node;
    let depth = 0;
    for (; leaf[0] === BRANCH; depth++) {
      const child = leaf[slot(hash, depth)] as TrieNode | null;
      if (child === null) return false;
      leaf = child;
    }
    const at = find(leaf, key);
    if (at < 0) return false;
    if (leaf.length === 3 && depth > 0) {
      this.replace(null, hash, depth); // an emptied leaf leaves its branch, as in trieDelete
      return true;
    }
    const copy = this.writable(leaf);
    copy.splice(at - 1, 2);
    if (copy !== leaf) this.replace(copy, hash, depth);
    return true;
  }

  clear(): void {
    this.node = EMPTY_TRIE;
    this.own.clear();
  }

  /** `node` if this editor may change it, else a copy it now owns. EMPTY_TRIE, shared by every empty map, is never changed. */
  private writable(node: TrieNode): unknown[] {
    if (node !== EMPTY_TRIE && (this.ownsAll || this.own.has(node))) return node as unknown[];
    const copy = node.slice();
    if (!this.ownsAll) this.own.add(copy);
    return copy;
  }

  /** Marks a subtree just made (by `split`) as this editor's. */
  private adopt(node: TrieNode): TrieNode {
    if (this.ownsAll) return node;
    this.own.add(node);
    if (node[0] === BRANCH) for (let at = 1; at <= FANOUT; at++) if (node[at] !== null) this.adopt(node[at] as TrieNode);
    return node;
  }

  /** Puts `next` in place of the node `depth` levels down along `hash`, copying the branches above it that are not this editor's. */
  private replace(next: TrieNode | null, hash: number, depth: number): void {
    if (depth === 0) {
      this.node = next ?? EMPTY_TRIE;
      return;
    }
    let n = this.writable(this.node);
    this.node = n;
    for (let level = 0; level < depth - 1; level++) {
      const at = slot(hash, level);
      const child = this.writable(n[at] as TrieNode);
      n[at] = child;
      n = child;
    }
    n[slot(hash, depth - 1)] = next;
  }
}

/**
 * The trie of stored `[key, value]` pairs (a map read from storage), and how many distinct keys
 * it holds; or why the pairs are malformed. Pairs in trie order (as `triePairs` writes them) are
 * built in one pass: each key hashed once, each node cut from a run of neighbouring pairs and
 * allocated once at its size, where setting the keys one by one would copy a path per key.
 * Pairs in any other order (a file edited by hand) are put in trie order first. A key given
 * twice keeps its last value, as `new Map(pairs)` does. The shape is the one `trieSet` gives, at
 * its most compact (no leaf split that deletes have since thinned).
 */
export function trieFromPairs(pairs: readonly unknown[]): { node: TrieNode; size: number } | string {
  const hashes = new Uint32Array(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') return `entry ${i + 1} is not a [key, value] pair with a string key`;
    hashes[i] = hashKey(pair[0]);
  }
  const ordered = buildOrdered(pairs as ReadonlyArray<readonly [string, unknown]>, hashes);
  if (ordered) return ordered;
  // Trie order: by the hash's 4-bit slots, lowest first; the stored order among equal hashes.
  const order = Array.from({ length: pairs.length }, (_, i) => i).sort((a, b) => trieOrderKey(hashes[a]!) - trieOrderKey(hashes[b]!) || a - b);
  return buildOrdered(
    order.map((i) => pairs[i] as readonly [string, unknown]),
    Uint32Array.from(order, (i) => hashes[i]!),
  )!;
}

/** The hash with its 4-bit slots reversed: sorting by it puts keys in trie order. */
function trieOrderKey(hash: number): number {
  let key = 0;
  for (let depth = 0; depth < HASH_LEVELS; depth++) key = key * FANOUT + ((hash >>> (depth * BITS)) & (FANOUT - 1));
  return key;
}

/** `trieFromPairs` for pairs in trie order; undefined when they are not. */
function buildOrdered(pairs: ReadonlyArray<readonly [string, unknown]>, hashes: Uint32Array): { node: TrieNode; size: number } | undefined {
  let size = 0;
  let inOrder = true;
  const leaf = (from: number, to: number): TrieNode => {
    const node = new Array<unknown>(1 + 2 * (to - from));
    node[0] = LEAF;
    let length = 1;
    // Equal keys share a hash: only pairs whose hashes match are compared. A leaf past capacity
    // (keys whose 32 hash bits all agree, as a hostile file may hold) is deduplicated by a Map.
    const seen = to - from > LEAF_CAPACITY ? new Map<string, number>() : undefined;
    for (let i = from; i < to; i++) {
      const key = pairs[i]![0];
      let at = -1;
      if (seen) at = seen.get(key) ?? -1;
      else for (let j = from; j < i && at < 0; j++) if (hashes[j] === hashes[i]) at = find(node, key);
      if (at < 0) {
        seen?.set(key, length + 1);
        node[length++] = key;
        at = length++;
      }
      node[at] = pairs[i]![1];
    }
    node.length = length;
    size += (length - 1) / 2;
    return node;
  };
  const build = (from: number, to: number, depth: number): TrieNode => {
    if (to - from <= LEAF_CAPACITY || depth >= HASH_LEVELS) return leaf(from, to);
    const branch: Array<TrieNode | null | typeof BRANCH> = [
      BRANCH,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
    ];
    let last = 0;
    for (let i = from; i < to && inOrder;) {
      const at = slot(hashes[i]!, depth);
      let end = i + 1;
      while (end < to && slot(hashes[end]!, depth) === at) end++;
      inOrder = at > last;
      if (inOrder) branch[at] = build(i, end, depth + 1);
      last = at;
      i = end;
    }
    return branch;
  };
  const node = pairs.length === 0 ? EMPTY_TRIE : build(0, pairs.length, 0);
  return inOrder ? { node, size } : undefined;
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
export function* trieEntries(node: TrieNode): Generator<[string, unknown]> {
  // A stack, not nested generators: each entry then costs one yield, not one per level.
  const stack: TrieNode[] = [node];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (next[0] === BRANCH) {
      for (let at = FANOUT; at >= 1; at--) if (next[at] !== null) stack.push(next[at] as TrieNode);
      continue;
    }
    for (let i = 1; i < next.length; i += 2) yield [next[i] as string, next[i + 1]];
  }
}

/** Calls `visit` with each entry, in trie order: `trieEntries` without an iterator or a pair per entry. */
export function trieEach(node: TrieNode, visit: (key: string, value: unknown) => void): void {
  if (node[0] === BRANCH) {
    for (let at = 1; at <= FANOUT; at++) if (node[at] !== null) trieEach(node[at] as TrieNode, visit);
    return;
  }
  for (let i = 1; i < node.length; i += 2) visit(node[i] as string, node[i + 1]);
}

/** Counts entries and checks the shape, for nodes read from storage; returns -1 if malformed. */
export function trieCount(node: unknown, depth = 0): number {
  if (!Array.isArray(node) || depth > HASH_LEVELS) return -1;
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
