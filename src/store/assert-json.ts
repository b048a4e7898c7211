import { UnserializableStateError } from '../errors.js';
import { formatPath } from './json-path.js';
import { CHECKED_JSON } from './checked-json.js';

/**
 * Throws `UnserializableStateError`, naming the path, unless `value` survives a JSON round trip
 * unchanged: null, booleans, finite numbers, strings, dense arrays, plain objects and KeyedMaps
 * (whose values were checked when set), no cycles. Called on what an update changed, so its cost
 * follows the change, not the whole state.
 */
export function assertJson(value: unknown, path: readonly (string | number)[] = []): void {
  check(value, [...path], new Set());
}

/**
 * How deep a state may nest. immer's freeze and JSON.stringify recurse, and past some thousand
 * levels they overflow the stack: a deeper state could be taken in but never written back.
 */
export const MAX_DEPTH = 1_000;

function check(value: unknown, path: (string | number)[], ancestors: Set<object>): void {
  const fail = (reason: string, hint?: string): never => {
    throw new UnserializableStateError(formatPath(path), reason, hint);
  };
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(`the number ${value}`);
      return;
    case 'undefined':
      return fail('undefined');
    case 'bigint':
      return fail(`the BigInt ${value}n`);
    case 'function':
      return fail('a function');
    case 'symbol':
      return fail('a symbol');
  }
  if (value === null) return;
  const object = value as object;
  if (ancestors.has(object)) fail('a circular reference');
  if (path.length > MAX_DEPTH) fail(`a value nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(object)) {
    ancestors.add(object);
    for (let i = 0; i < object.length; i++) {
      path.push(i);
      if (!(i in object)) fail('an empty array slot');
      check(object[i], path, ancestors);
      path.pop();
    }
    ancestors.delete(object);
    return;
  }
  if (CHECKED_JSON in object) return;
  // The two a state most often reaches for: say what to use instead.
  if (object instanceof Map) fail('a Map object', 'use KeyedMap, a string-keyed map whose changes cost the same at any size');
  if (object instanceof Set) fail('a Set object', 'use KeyedMap<true> (set(key, true), has(key)) or an array');
  const proto = Object.getPrototypeOf(object) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    fail(`a ${(object.constructor as { name?: string } | undefined)?.name ?? 'non-plain'} object`);
  }
  ancestors.add(object);
  for (const key in object) {
    path.push(key);
    check((object as Record<string, unknown>)[key], path, ancestors);
    path.pop();
  }
  ancestors.delete(object);
}
