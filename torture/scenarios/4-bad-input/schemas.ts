import fc from 'fast-check';
import * as path from 'node:path';
import { z } from 'zod';
import { KeyedMap, type StateSchema } from '../../../src/index.js';
import { checkPollution, RUNS, sample, type Context } from './harness.js';
import { show } from './print.js';
import { baseOptions, checkStored, putFiles, type Files } from './stored-files.js';

// Family 2: schemas the stored state fails.

type FieldKind = 'right' | 'number' | 'string' | 'boolean' | 'array' | 'missing' | 'optional' | 'nullable' | 'literal' | 'coerce-date' | 'refine-false';
const fieldKind = fc.constantFrom<FieldKind>(
  'right',
  'right',
  'right',
  'number',
  'string',
  'boolean',
  'array',
  'missing',
  'optional',
  'nullable',
  'literal',
  'coerce-date',
  'refine-false',
);
const schemaShape = fc.record({
  root: fc.constantFrom('object', 'object', 'strict', 'loose', 'array', 'number', 'string', 'any', 'union', 'record'),
  fields: fc.record({
    n: fieldKind,
    name: fieldKind,
    list: fieldKind,
    nested: fieldKind,
    items: fc.constantFrom('instanceof', 'instanceof', 'object', 'any', 'missing', 'string', 'map'),
  }),
  extra: fc.constantFrom('none', 'none', 'number', 'string', 'optional'),
  transform: fc.boolean(),
  stored: fc.constantFrom('base', 'base', 'base', 'nothing'),
  initial: fc.constantFrom('good', 'bad'),
});
type SchemaShape = typeof schemaShape extends fc.Arbitrary<infer S> ? S : never;

function buildSchema(shape: SchemaShape): StateSchema<unknown> {
  const right: Record<string, z.ZodType> = {
    n: z.number(),
    name: z.string(),
    list: z.array(z.number()),
    nested: z.object({ a: z.object({ b: z.array(z.unknown()) }) }),
  };
  const field = (name: string, kind: FieldKind): z.ZodType | undefined => {
    switch (kind) {
      case 'right':
        return right[name];
      case 'number':
        return z.number();
      case 'string':
        return z.string();
      case 'boolean':
        return z.boolean();
      case 'array':
        return z.array(z.string());
      case 'missing':
        return undefined;
      case 'optional':
        return right[name]!.optional();
      case 'nullable':
        return z.null();
      case 'literal':
        return z.literal('something else');
      case 'coerce-date':
        return z.coerce.date();
      case 'refine-false':
        return right[name]!.refine(() => false, 'refused by a refinement');
    }
  };
  const fields: Record<string, z.ZodType> = {};
  for (const [name, kind] of Object.entries(shape.fields)) {
    if (name === 'items') {
      const items = {
        instanceof: z.instanceof(KeyedMap),
        object: z.object({}),
        any: z.any(),
        missing: undefined,
        string: z.string(),
        map: z.map(z.string(), z.unknown()),
      }[kind as string];
      if (items) fields.items = items;
      continue;
    }
    const schema = field(name, kind as FieldKind);
    if (schema) fields[name] = schema;
  }
  if (shape.extra === 'number') fields.extra = z.number();
  if (shape.extra === 'string') fields.extra = z.string();
  if (shape.extra === 'optional') fields.extra = z.number().optional();
  let schema: z.ZodType = {
    object: z.object(fields),
    strict: z.strictObject(fields),
    loose: z.looseObject(fields),
    array: z.array(z.unknown()),
    number: z.number(),
    string: z.string(),
    any: z.any(),
    union: z.union([z.number(), z.object(fields)]),
    record: z.record(z.string(), z.number()),
  }[shape.root]!;
  if (shape.transform) schema = schema.transform((value) => value);
  return schema as unknown as StateSchema<unknown>;
}

export async function schemas(ctx: Context, seed: number, base: Files): Promise<void> {
  const folder = path.join(ctx.dir, 'schemas');
  for (const shape of sample(schemaShape, seed, RUNS.schemas)) {
    await putFiles(folder, 'BASE', shape.stored === 'base' ? base : { snapshot: undefined, journal: undefined });
    ctx.tally.try('schemas');
    const input = show(shape);
    const initial = shape.initial === 'good' ? { n: 0, name: '', list: [], nested: { a: { b: [] } }, items: new KeyedMap() } : { n: 'not a number' };
    const { crashed } = await checkStored(
      ctx,
      'schemas',
      folder,
      'BASE',
      (onInvalidStored) => ({ key: 'BASE', initial, schema: buildSchema(shape), ...baseOptions(folder), onInvalidStored }),
      input,
      false,
    );
    if (crashed) ctx.tally.crash('schemas');
    checkPollution(ctx, 'schemas', input);
  }
}
