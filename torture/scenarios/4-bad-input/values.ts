import fc from 'fast-check';

// Generated values more than one family uses.

/** Odd numbers: the edges of integers, floats and the safe range. */
export const edgeNumber = fc.constantFrom(0, -0, 1, -1, 0.5, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e21, 1e308, -1e308, 5e-324);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  edgeNumber,
  fc.integer(),
  fc.constantFrom(
    '',
    'x',
    '1',
    null,
    true,
    false,
    [],
    {},
    { $rxpsMap: 1 },
    { $rxpsMap: 1, size: 0, node: [1] },
    { $rxpsMap: 1, size: 0, entries: [] },
    { $rxpsMap: 1, size: 1, entries: [['__proto__', 1]] },
    { $rxpsMap: 1, entries: [] },
    { $rxps: 1 },
  ),
);

export const deepText = (depth: number, arrays: boolean): string =>
  arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
export const deepValue = (depth: number, arrays: boolean): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
};
/** Depths around the limits of the JavaScript stack (a few thousand frames) and well past them. */
export const depth = fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1_000, max: 10_000 }), fc.integer({ min: 10_000, max: 60_000 }));
