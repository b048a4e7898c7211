import { trieEach } from './hash-trie.js';
import { KeyedMap, ROOT, isStoredMap, mapFromStored } from './keyed-map.js';
import { MAX_DEPTH } from './assert-json.js';

/**
 * Turns parsed JSON into state: every stored KeyedMap becomes a KeyedMap again. Walks the plain
 * parts only (a map's entries are taken over as they are). Mutates containers that only the
 * caller holds; returns the value to use. Throws a message string's Error on a malformed map.
 * `made` hears of each map it makes (a replay on open may then change its trie in place).
 */
export function reviveMaps(value: unknown, made?: (map: KeyedMap) => void): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isStoredMap(value)) {
    const map = mapFromStored(value);
    if (typeof map === 'string') throw new Error(map);
    made?.(map);
    return map;
  }
  const container = value as Record<string, unknown>;
  for (const key in container) {
    const child = container[key];
    if (typeof child === 'object' && child !== null) {
      const revived = reviveMaps(child, made);
      if (revived !== child) container[key] = revived;
    }
  }
  return value;
}

/**
 * How much a state or a journal holds: its number of values, and roughly how many bytes its JSON
 * takes. Both size compaction: counting values alone let one 1 MB string replaced 600 times grow
 * a 600 MB journal, since each replacement counted as one value.
 */
export interface Weight {
  values: number;
  bytes: number;
}

/** A number, boolean or null as JSON: a small constant, close enough for sizing a journal. */
export const SCALAR_BYTES = 8;
/** Quotes, colon and comma around an object key. */
const KEY_BYTES = 4;

/**
 * Freezes a state deeply, as immer would, so that immer never walks it again, and returns its
 * weight: the number of values in it, counting a KeyedMap by its entries (the map and its values
 * frozen, its trie not: immutable by construction), and the approximate bytes of its JSON.
 */
export function freezeAndWeigh(value: unknown, maxDepth = Infinity): Weight {
  const weight = { values: 0, bytes: 0 };
  walk(value, maxDepth, 0, true, weight);
  return weight;
}

/**
 * Adds the weight of `value` (a JSON value, maybe holding KeyedMaps) to `into`, without freezing
 * it. Throws past MAX_DEPTH levels: a value from storage may be nested deep enough to overflow the
 * stack (nothing the store writes is deeper).
 */
export function addWeight(value: unknown, into: Weight): void {
  walk(value, MAX_DEPTH, 0, false, into);
}

/** Adds the approximate JSON size of a string (its quotes included) to `into`. */
export const stringBytes = (text: string): number => text.length + 2;

// One walk for both measures, so that weighing costs one pass over what is weighed.
function walk(value: unknown, maxDepth: number, depth: number, freeze: boolean, into: Weight): void {
  into.values++;
  if (typeof value === 'string') {
    into.bytes += stringBytes(value);
    return;
  }
  if (typeof value !== 'object' || value === null) {
    into.bytes += SCALAR_BYTES;
    return;
  }
  // A state this deep could not be written back (see MAX_DEPTH): say so rather than overflow later.
  if (depth > maxDepth) throw new Error(`the state is nested deeper than ${maxDepth} levels`);
  if (freeze) Object.freeze(value);
  into.bytes += 2;
  if (value instanceof KeyedMap) {
    // Its entries are checked already. Set in an update or replayed, they are frozen too; read from
    // a snapshot, not yet: frozen here, or a value changed outside update() would change the state
    // unseen (never journalled).
    into.values += value.size;
    const entries: Weight = { values: 0, bytes: 0 };
    trieEach(value[ROOT].node, (key, entry) => {
      entries.bytes += stringBytes(key) + KEY_BYTES;
      walk(entry, maxDepth, depth + 1, freeze, entries);
    });
    into.bytes += entries.bytes;
    return;
  }
  const isArray = Array.isArray(value);
  for (const key in value) {
    into.bytes += isArray ? 1 : key.length + KEY_BYTES;
    walk((value as Record<string, unknown>)[key], maxDepth, depth + 1, freeze, into);
  }
}
