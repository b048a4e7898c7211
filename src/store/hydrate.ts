import type { StorageAdapter } from '../adapters/storage-adapter.js';
import { CorruptStateError, FutureVersionError, InvalidStateError, MigrationError, UnserializableStateError, errorMessage } from '../errors.js';
import { assertJson } from './assert-json.js';
import { unwrap } from './envelope.js';
import { formatPath } from './json-path.js';
import type { StateSchema } from './state-schema.js';

export interface HydrateOptions<T> {
  readonly key: string;
  readonly adapter: StorageAdapter;
  readonly initial: T;
  readonly schema: StateSchema<T> | undefined;
  readonly version: number;
  readonly migrate: ((state: unknown, fromVersion: number) => T | Promise<T>) | undefined;
  readonly adoptUnversioned: boolean;
  readonly onInvalidStored: 'throw' | 'moveAside';
}

export interface Hydrated<T> {
  readonly state: T;
  readonly restored: boolean;
  /** The key the unusable stored copy was moved to (with `onInvalidStored: 'moveAside'`). */
  readonly movedAside: string | undefined;
}

/**
 * Loads the stored state: unwrap, migrate, validate. Every failure throws a typed error and
 * leaves storage untouched, except that `moveAside` moves an unusable copy to a new key
 * (never overwriting) so that the store can start from `initial`.
 */
export async function hydrate<T>(options: HydrateOptions<T>): Promise<Hydrated<T>> {
  const { key, adapter } = options;
  try {
    const stored = await adapter.read(key);
    if (stored === undefined) return { state: validateInitial(options), restored: false, movedAside: undefined };
    return { state: await restore(stored, options), restored: true, movedAside: undefined };
  } catch (error) {
    if (options.onInvalidStored !== 'moveAside' || !isRecoverable(error)) throw error;
    const aside = asideKey(key, new Date());
    await adapter.rename(key, aside);
    return { state: validateInitial(options), restored: false, movedAside: aside };
  }
}

async function restore<T>(stored: unknown, options: HydrateOptions<T>): Promise<T> {
  const { key, adapter, version, migrate, schema } = options;
  const location = adapter.locate(key);
  const decoded = unwrap(stored, key, location);
  if (decoded.unversioned && !options.adoptUnversioned) {
    throw new CorruptStateError(key, location, 'it holds a bare value without the store envelope, and adoptUnversioned is off');
  }
  if (decoded.version > version) throw new FutureVersionError(key, decoded.version, version);
  if (decoded.version === version) return validate(decoded.state, schema, key, 'stored');
  if (migrate === undefined) throw new MissingMigrationError(key, decoded.version, version);
  let migrated: T;
  try {
    migrated = await migrate(decoded.state, decoded.version);
    assertJson(migrated);
  } catch (error) {
    const reason = error instanceof UnserializableStateError ? error.message : `migrate threw: ${errorMessage(error)}`;
    throw new MigrationError(key, decoded.version, version, reason, { cause: error });
  }
  return validate(migrated, schema, key, 'migrated');
}

function validateInitial<T>({ initial, schema, key }: HydrateOptions<T>): T {
  assertJson(initial);
  return validate(initial, schema, key, 'initial');
}

function validate<T>(value: unknown, schema: StateSchema<T> | undefined, key: string, source: InvalidStateError['source']): T {
  if (schema === undefined) return value as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = (issue?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)));
  throw new InvalidStateError(key, source, formatPath(path), issue?.message ?? 'rejected');
}

/** A store declared a version with no way to reach it: a programming error, never moved aside. */
class MissingMigrationError extends MigrationError {
  constructor(key: string, from: number, to: number) {
    super(key, from, to, 'no migrate function was given');
  }
}

function isRecoverable(error: unknown): boolean {
  if (error instanceof MissingMigrationError) return false;
  if (error instanceof InvalidStateError) return error.source !== 'initial';
  return error instanceof CorruptStateError || error instanceof MigrationError;
}

/** `KEY.invalid-20261123T005100123Z`, shortened so it stays a valid key. */
function asideKey(key: string, now: Date): string {
  const suffix = `.invalid-${now.toISOString().replace(/[-:]/g, '')}`;
  return key.slice(0, 256 - suffix.length) + suffix;
}
