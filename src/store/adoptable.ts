import { describeValue } from '../errors.js';
import { KeyedMap } from './keyed-map.js';

type Kind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' | 'KeyedMap';

function kindOf(value: unknown): Kind | undefined {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  // A bare value never holds one (only our envelope does): code written for a map must not get a plain object.
  if (value instanceof KeyedMap) return 'KeyedMap';
  const type = typeof value;
  return type === 'object' || type === 'string' || type === 'number' || type === 'boolean' ? type : undefined;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => kindOf(value) === 'object';
const describeKind = (kind: Kind | undefined): string => (kind === undefined ? 'not JSON' : kind === 'KeyedMap' ? 'a KeyedMap' : `a JSON ${kind}`);

/**
 * Why a bare stored value (no envelope), adopted without a schema, does not look like this
 * store's state, or undefined when it does: it must have the same JSON kind as `initial` and,
 * when `initial` is a non-empty plain object, every top-level key of `initial` with a value of
 * the same kind (any value where `initial` holds null, a placeholder). A gateway's own 200 page (`{ "error": … }`) is so told apart from a state that
 * Crawlee's `useState` stored (the whole state, every key of the default included). Names only
 * keys of `initial` and kinds, never stored content.
 *
 * @example
 * whyNotAdoptable({ error: 'Bad gateway' }, { done: 0 }); // 'it has no key "done", which initial has'
 */
export function whyNotAdoptable(value: unknown, initial: unknown): string | undefined {
  const want = kindOf(initial);
  const got = kindOf(value);
  if (got !== want) return `it is ${describeKind(got)} where initial is ${describeKind(want)}`;
  if (!isPlainObject(initial) || !isPlainObject(value)) return undefined;
  for (const key of Object.keys(initial)) {
    if (!Object.hasOwn(value, key)) return `it has no key ${describeValue(key)}, which initial has`;
    const expected = kindOf(initial[key]);
    if (expected === 'null') continue; // a placeholder in initial: any value may have replaced it
    const found = kindOf(value[key]);
    if (found !== expected) return `its key ${describeValue(key)} holds ${describeKind(found)} where initial has ${describeKind(expected)}`;
  }
  return undefined;
}
