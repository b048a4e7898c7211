/**
 * The part of a zod schema the store uses: `safeParse`. Any zod 3 or 4 schema fits, and so does
 * any validator with the same shape.
 *
 * @example
 * // Without zod: any object with a safeParse of this shape.
 * const schema: StateSchema<{ n: number }> = {
 *   safeParse: (data) =>
 *     typeof (data as { n?: unknown } | null)?.n === 'number'
 *       ? { success: true, data: data as { n: number } }
 *       : { success: false, error: { issues: [{ path: ['n'], message: 'expected a number' }] } },
 * };
 */
export interface StateSchema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssue[] } };
}

export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}
