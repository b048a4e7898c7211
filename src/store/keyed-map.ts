import { freeze, immerable, isDraft } from 'immer';
import { KeyedMapError } from '../errors.js';
import { assertJson } from './assert-json.js';
import { CHECKED_JSON } from './checked-json.js';
import { EMPTY_TRIE, TrieEditor, trieCount, trieDelete, trieEntries, trieFromPairs, trieGet, trieHas, triePairs, trieSet, type TrieNode } from './hash-trie.js';

/** One change to a KeyedMap, as the journal records it. */
export type MapChange = readonly ['set', string, unknown] | readonly ['delete', string] | readonly ['clear'];

/**
 * A version of a map's contents. Opaque to immer (not draftable), so a change to a big map is
 * one replaced reference, not a copied container.
 */
export class MapRoot {
  /**
   * How this version came from the one before, when made inside an update: the store follows
   * these links to journal the few changes instead of the whole map, then cuts them. (Kept on the
   * roots, not in a shared WeakMap: V8's WeakMap slows every operation down for good once a big
   * update has filled it and it has been emptied.)
   */
  step: { readonly from: MapRoot; readonly change: MapChange } | undefined;

  constructor(
    readonly node: TrieNode,
    readonly size: number,
  ) {}
}

/**
 * A flat copy of a key, of its own. A key cut from a page (a sliced string) would keep the whole
 * page alive, and a concatenated one (a cons string) would later be flattened into a second copy.
 * JSON.parse makes a new flat string: 0.5 µs a key at 200,000 keys, where interning one (a
 * property name's copy) took 1.7–2.4 µs. V8 makes neither kind of string under 13 characters.
 */
const ownCopy = (key: string): string => (key.length < 13 ? key : (JSON.parse(JSON.stringify(key)) as string));

/**
 * The key of a KeyedMap's contents (a `MapRoot`). A symbol, not exported from the package: the
 * contents are no public member, yet stay an own property, which immer copies and reports in its
 * patches (`[...path, ROOT]`: how the journal finds a map's changes, see journal-ops.ts).
 */
export const ROOT = Symbol('KeyedMap.root');

/** The marker of a KeyedMap in stored JSON. */
const MARK = '$rxpsMap';

/**
 * A string-keyed map for big collections in the state (seen URLs, product ids): reading,
 * adding or removing one entry costs the same at 1,000 entries as at 1,000,000, where immer
 * copies a whole plain object or `Map` on every change. Change it inside `store.update()` like
 * the rest of the draft; outside an update it is read-only once it is part of a store's state.
 * Values must be plain JSON.
 *
 * @example
 * const store = await createPersistentStore({ key: 'CRAWL', initial: { seen: new KeyedMap<true>() } });
 * store.update((s) => { s.seen.set(url, true); });
 * store.getState().seen.has(url); // true
 */
export class KeyedMap<V = unknown> implements Iterable<[string, V]> {
  /** The current contents; replaced, never mutated. */
  [ROOT]: MapRoot;

  constructor(entries?: Iterable<readonly [string, V]> | Readonly<Record<string, V>>) {
    this[ROOT] = new MapRoot(EMPTY_TRIE, 0);
    if (entries === undefined) return;
    const list = Symbol.iterator in entries ? (entries as Iterable<readonly [string, V]>) : Object.entries(entries);
    for (const [key, value] of list) this.set(key, value);
  }

  get size(): number {
    return this[ROOT].size;
  }

  has(key: string): boolean {
    return trieHas(this[ROOT].node, key);
  }

  get(key: string): V | undefined {
    return trieGet(this[ROOT].node, key) as V | undefined;
  }

  /** Sets `key`; inside `store.update()` only, once the map is in a store. */
  set(key: string, value: V): this {
    if (typeof key !== 'string') throw new KeyedMapError('INVALID_MAP_KEY', `KeyedMap keys are strings, got ${typeof key}`);
    assertJson(value, [key]);
    const { node, added } = trieSet(this[ROOT].node, ownCopy(key), freeze(value, true));
    this.change(new MapRoot(node, this[ROOT].size + (added ? 1 : 0)), ['set', key, value]);
    return this;
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: string): boolean {
    const { node, removed } = trieDelete(this[ROOT].node, key);
    if (removed) this.change(new MapRoot(node, this[ROOT].size - 1), ['delete', key]);
    return removed;
  }

  clear(): void {
    if (this[ROOT].size > 0) this.change(new MapRoot(EMPTY_TRIE, 0), ['clear']);
  }

  *entries(): IterableIterator<[string, V]> {
    yield* trieEntries(this[ROOT].node) as Iterable<[string, V]>;
  }

  *keys(): IterableIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: string, map: this) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }

  /** The entries as a plain object (costs a copy of every entry). */
  toObject(): Record<string, V> {
    return Object.fromEntries(this.entries()) as Record<string, V>;
  }

  /**
   * The stored form: `{ "$rxpsMap": 1, "size": n, "entries": [[key, value], …] }`, what
   * `Actor.getValue`, a JSON viewer or `new Map(stored.entries)` read as the map's entries (in
   * its own order, see `entries()`). Pairs rather than an object: any key stays an own key
   * (`__proto__`, `"10"` keeps its place), and JSON.parse reads a list of pairs about 3× faster
   * than an object of as many keys. `size` is checked on reading: a stored text damaged so that
   * it still parses (a chunk overwritten inside a string) loses entries, and is refused.
   * Reading it back rebuilds the trie (see `mapFromStored`).
   */
  toJSON(): { [MARK]: 1; size: number; entries: [string, V][] } {
    return { [MARK]: 1, size: this[ROOT].size, entries: triePairs(this[ROOT].node) as [string, V][] };
  }

  private change(next: MapRoot, change: MapChange): void {
    if (Object.isFrozen(this)) {
      throw new KeyedMapError('READ_ONLY_MAP', 'This KeyedMap belongs to a store snapshot and is read-only: change it inside store.update().');
    }
    if (isDraft(this)) next.step = { from: this[ROOT], change };
    this[ROOT] = next;
  }
}
Object.assign(KeyedMap.prototype, { [immerable]: true, [CHECKED_JSON]: true });

/** Is `value` the stored form of a KeyedMap? */
export function isStoredMap(value: unknown): value is { [MARK]: 1 } {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[MARK] === 1;
}

/**
 * Rebuilds a KeyedMap from its stored form, or returns an error message: its entries, as many as
 * its `size` says (a key given twice keeps its last value, as in `new Map(entries)`), or, as
 * earlier versions stored it, the trie itself, taken over as it is (a state they wrote must open).
 */
export function mapFromStored(stored: { [MARK]: 1 }): KeyedMap | string {
  if ('entries' in stored) {
    const { entries, size } = stored as { entries: unknown; size?: unknown };
    if (!Array.isArray(entries)) return 'a KeyedMap whose entries are not a list';
    if (size !== entries.length) return `a KeyedMap that says it has ${String(size)} entries but holds ${entries.length}`;
    const built = trieFromPairs(entries);
    if (typeof built === 'string') return `a KeyedMap whose ${built}`;
    const map = new KeyedMap();
    map[ROOT] = new MapRoot(built.node, built.size);
    return map;
  }
  const { node, size } = stored as { node?: unknown; size?: unknown };
  const count = trieCount(node);
  if (count < 0) return 'a KeyedMap whose trie is malformed';
  if (count !== size) return `a KeyedMap that says it has ${String(size)} entries but holds ${count}`;
  const map = new KeyedMap();
  map[ROOT] = new MapRoot(node as TrieNode, count);
  return map;
}

/**
 * The changes that turned `from` into `to` within one update, oldest first, or undefined when
 * `to` does not descend from `from` (a map replaced wholesale). Forgets the chain it followed.
 */
export function changesBetween(from: MapRoot, to: MapRoot): MapChange[] | undefined {
  const changes: MapChange[] = [];
  for (let at = to; at !== from;) {
    const step = at.step;
    if (step === undefined) return undefined;
    changes.push(step.change);
    at.step = undefined; // cut the chain as we go: old versions must not stay reachable
    at = step.from;
  }
  from.step = undefined;
  return changes.reverse();
}

/**
 * Applies journalled changes to a map that only the caller holds (while hydrating), or to a draft
 * of one (catching up with another writer's records).
 */
export function applyMapChanges(map: KeyedMap, changes: readonly MapChange[]): void {
  for (const change of changes) {
    if (change[0] === 'set') map.set(change[1], change[2]);
    else if (change[0] === 'delete') map.delete(change[1]);
    else map.clear();
  }
  map[ROOT].step = undefined; // on a draft: nobody follows these links, and they would keep every version alive
}

/**
 * Applies journalled changes to maps that only the caller holds, while hydrating, as
 * `applyMapChanges` would, but without a new version of a map per change: each map's trie is
 * edited in place (see `TrieEditor`) and the map takes its new contents at `commit()`, once. A
 * map it was told it made (`made`, from `reviveMaps` on this open's parsed snapshot and records)
 * is changed where it is, without a copy; any other is copied where first changed. The maps
 * changed are whole again at `commit()` (before it, a map changed in place has its old size).
 */
export function createMapReplay() {
  const editing = new Map<KeyedMap, { editor: TrieEditor; size: number }>();
  /** Maps made from this open's parsed text: nothing else holds their tries yet. */
  const ours = new Set<KeyedMap>();
  return {
    /** For `reviveMaps`: a map made from the text being replayed. */
    made: (map: KeyedMap): void => void ours.add(map),
    apply(map: KeyedMap, changes: readonly MapChange[]): void {
      let edit = editing.get(map);
      if (edit === undefined) editing.set(map, (edit = { editor: new TrieEditor(map[ROOT].node, ours.has(map)), size: map.size }));
      for (let i = 0; i < changes.length; i++) {
        const change = changes[i]!;
        if (change[0] === 'set') {
          // What `KeyedMap.set` checks and does, but for the copy of the key (a parsed key is a
          // string of its own already), and for primitives that cannot fail (parsed numbers can: 1e999).
          const key = change[1];
          const value = change[2];
          if (typeof key !== 'string') throw new KeyedMapError('INVALID_MAP_KEY', `KeyedMap keys are strings, got ${typeof key}`);
          if (!isPlainScalar(value)) {
            assertJson(value, [key]);
            freeze(value, true);
          }
          if (edit.editor.set(key, value)) edit.size++;
        } else if (change[0] === 'delete') {
          if (edit.editor.delete(change[1])) edit.size--;
        } else if (edit.size > 0) {
          // As `clear()`: an empty map keeps its trie (emptied leaves leave their branches).
          edit.editor.clear();
          edit.size = 0;
        }
      }
    },
    /** Gives each map changed its new contents. */
    commit(): void {
      for (const [map, { editor, size }] of editing) map[ROOT] = new MapRoot(editor.node, size);
      editing.clear();
      ours.clear();
    },
  };
}

export type MapReplay = ReturnType<typeof createMapReplay>;

/** null, a boolean, a string or a finite number: valid JSON, and frozen by nature. */
const isPlainScalar = (value: unknown): boolean =>
  value === null || typeof value === 'boolean' || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
