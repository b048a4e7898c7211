import { stringifyInSlices } from '../../../src/adapters/log/json-in-slices.js';
import { KeyedMap } from '../../../src/store/keyed-map.js';

describe('stringifyInSlices', () => {
  test.each([
    ['scalars', [1, 'two', true, null]],
    ['deep nesting past the sliced levels', { a: { b: { c: { d: { e: { f: { g: [1, { h: 'é😀' }] } } } } } } }],
    ['undefined and functions, as JSON drops them', { keep: 1, gone: undefined, fn: () => 1, list: [undefined, () => 1] }],
    ['a KeyedMap, through its toJSON', { seen: new KeyedMap(Array.from({ length: 500 }, (_, i) => [`k${i}`, { i }] as const)) }],
    [
      'a long list, written in runs',
      { list: Array.from({ length: 1_000 }, (_, i): unknown => (i % 3 === 0 ? undefined : i % 3 === 1 ? [`k${i}`, { i }] : () => i)) },
    ],
    ['a long list of big items (a slow run: the rest item by item)', { list: Array.from({ length: 400 }, (_, i) => ({ i, text: String(i).repeat(10_000) })) }],
    ['odd keys', { '"quoted"': 1, '\n': 2, __proto__x: 3 }],
  ])('%s: the same text as JSON.stringify', async (_what, value) => {
    expect(await stringifyInSlices(value)).toBe(JSON.stringify(value));
  });
});
