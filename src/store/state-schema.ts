/**
 * The part of a zod schema the store uses: `safeParse`. Any zod 3 or 4 schema fits, and so does
 * any validator with the same shape.
 */
export interface StateSchema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssue[] } };
}

export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}
