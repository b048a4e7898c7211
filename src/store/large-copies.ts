import { KeyedMap } from './keyed-map.js';
import type { JournalOp, Path } from './journal-ops.js';

/** From this many entries on, a plain container copied by an update is reported. */
export const LARGE_CONTAINER_ENTRIES = 10_000;

/** Its entries, counted up to `LARGE_CONTAINER_ENTRIES` only: the count must not cost more than the copy it looks for. */
function entriesUpTo(container: object): number {
  if (Array.isArray(container)) return container.length;
  let n = 0;
  for (const _ in container) if (++n >= LARGE_CONTAINER_ENTRIES) break;
  return n;
}

/**
 * The plain objects and arrays of at least 10,000 entries that an update copied: immer copies
 * every container on the path to a change, so a change to one entry of a big plain collection
 * costs the whole collection. Looks only along the changed paths (a KeyedMap's changes stop at
 * the map, which is not copied).
 *
 * @example
 * largeCopies(next, ops); // [{ path: ['seen'], entries: 200000, kind: 'object' }]
 */
export function largeCopies(state: unknown, ops: readonly JournalOp[]): Array<{ path: Path; entries: number; kind: 'object' | 'array' }> {
  const found: Array<{ path: Path; entries: number; kind: 'object' | 'array' }> = [];
  const seen = new Set<object>();
  for (const { path } of ops) {
    let container: unknown = state;
    for (let depth = 0; depth < path.length; depth++) {
      if (typeof container !== 'object' || container === null || container instanceof KeyedMap) break;
      if (!seen.has(container)) {
        seen.add(container);
        const entries = entriesUpTo(container);
        if (entries >= LARGE_CONTAINER_ENTRIES) {
          const array = Array.isArray(container);
          found.push({ path: path.slice(0, depth), entries: array ? entries : Object.keys(container).length, kind: array ? 'array' : 'object' });
        }
      }
      container = (container as Record<string | number, unknown>)[path[depth]!];
    }
  }
  return found;
}
