import { KeyedMap, isStoredMap, mapFromStored } from './keyed-map.js';

/**
 * Turns parsed JSON into state: every stored KeyedMap becomes a KeyedMap again. Walks the plain
 * parts only (a map's entries are taken over as they are). Mutates containers that only the
 * caller holds; returns the value to use. Throws a message string's Error on a malformed map.
 */
export function reviveMaps(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isStoredMap(value)) {
    const map = mapFromStored(value);
    if (typeof map === 'string') throw new Error(map);
    return map;
  }
  const container = value as Record<string, unknown>;
  for (const key in container) {
    const child = container[key];
    if (typeof child === 'object' && child !== null) {
      const revived = reviveMaps(child);
      if (revived !== child) container[key] = revived;
    }
  }
  return value;
}

/**
 * Freezes a state deeply, as immer would, so that immer never walks it again, and returns its
 * weight: the number of values in it, counting a KeyedMap by its entries (frozen on its own level
 * only: its contents are immutable by construction). The weight sizes the journal's compaction.
 */
export function freezeAndWeigh(value: unknown, maxDepth = Infinity, depth = 0): number {
  if (typeof value !== 'object' || value === null) return 1;
  // A state this deep could not be written back (see MAX_DEPTH): say so rather than overflow later.
  if (depth > maxDepth) throw new Error(`the state is nested deeper than ${maxDepth} levels`);
  Object.freeze(value);
  if (value instanceof KeyedMap) return 1 + value.size;
  let weight = 1;
  for (const key in value) weight += freezeAndWeigh((value as Record<string, unknown>)[key], maxDepth, depth + 1);
  return weight;
}
