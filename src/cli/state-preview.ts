import { KeyedMap } from '../store/keyed-map.js';

export interface PreviewLimits {
  /** Entries shown of each array, object or KeyedMap. @default 10 */
  readonly entries?: number;
  /** Characters shown of each string. @default 200 */
  readonly chars?: number;
  /** Levels shown below the root. @default 6 */
  readonly depth?: number;
}

/** A deep copy with each KeyedMap turned into a plain object, as JSON output shows it. */
export function plainState(value: unknown): unknown {
  if (value instanceof KeyedMap) return plainState(value.toObject());
  if (Array.isArray(value)) return value.map(plainState);
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) Object.defineProperty(copy, key, { value: plainState(child), enumerable: true, writable: true });
    return copy;
  }
  return value;
}

/**
 * A bounded view of a state for a terminal: the first entries of each collection, with what was
 * left out said in place (`"…": "199,990 more entries"`), so a big state prints in a screenful.
 */
export function previewState(value: unknown, limits: PreviewLimits = {}, level = 0): unknown {
  const { entries = 10, chars = 200, depth = 6 } = limits;
  if (typeof value === 'string') return value.length > chars ? `${value.slice(0, chars)}… (${value.length.toLocaleString('en')} characters)` : value;
  if (typeof value !== 'object' || value === null) return value;
  const size = value instanceof KeyedMap ? value.size : Object.keys(value).length;
  const kind = Array.isArray(value) ? 'items' : 'entries';
  if (level >= depth) return `… ${size.toLocaleString('en')} ${kind}`;
  const shown = first(value instanceof KeyedMap ? value.entries() : Object.entries(value), entries).map(([key, child]): [string, unknown] => [
    key,
    previewState(child, limits, level + 1),
  ]);
  const more = size > entries ? `${(size - entries).toLocaleString('en')} more ${kind}` : undefined;
  if (Array.isArray(value)) return more ? [...shown.map(([, child]) => child), `… ${more}`] : shown.map(([, child]) => child);
  const copy: Record<string, unknown> = {};
  for (const [key, child] of shown) Object.defineProperty(copy, key, { value: child, enumerable: true, writable: true });
  if (more) copy['…'] = more;
  return copy;
}

function first<T>(items: Iterable<T>, n: number): T[] {
  const taken: T[] = [];
  for (const item of items) {
    if (taken.length >= n) break;
    taken.push(item);
  }
  return taken;
}
