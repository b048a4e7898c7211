import { isDraft, produce, type Patch } from 'immer';
import { assertJson } from './assert-json.js';
import { KeyedMap, MapRoot, ROOT, applyMapChanges, changesBetween, type MapChange, type MapReplay } from './keyed-map.js';
import { addWeight, reviveMaps, SCALAR_BYTES, stringBytes, type Weight } from './revive.js';

export type Path = readonly (string | number)[];

/** One change of the state as the journal records it: an immer patch, or changes to a KeyedMap. */
export type JournalOp =
  | { readonly op: 'add' | 'replace'; readonly path: Path; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: Path }
  | { readonly op: 'map'; readonly path: Path; readonly changes: readonly MapChange[] };

/** The JSON around an op or a map change: its name, brackets, commas. */
const OP_BYTES = 24;
/** The JSON around a record's ops: `{"seq":…,"ops":[…]}` and its newline. */
const RECORD_BYTES = 24;

/**
 * How much the record of a list of ops adds to the journal: one value per patch and per map
 * change, and the approximate bytes of its JSON (the record's own included: a journal of many
 * small records is that much longer to read back). Walks only the changed values: costs the size
 * of the change.
 * (Indexed loops here and in `applyJournalOps`: on open they run thousands of times before the
 * JIT has optimized them, and unoptimized, an iterator per loop costs more than the loop's work.)
 */
export function weighOps(ops: readonly JournalOp[]): Weight {
  const weight: Weight = { values: 0, bytes: RECORD_BYTES };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    weight.bytes += OP_BYTES;
    for (let p = 0; p < op.path.length; p++) weight.bytes += typeof op.path[p] === 'string' ? stringBytes(op.path[p] as string) : 8;
    if (op.op === 'map') {
      weight.values += op.changes.length;
      for (let c = 0; c < op.changes.length; c++) {
        const change = op.changes[c]!;
        weight.bytes += OP_BYTES;
        if (change[0] !== 'clear') weight.bytes += stringBytes(change[1]);
        if (change[0] === 'set') weight.bytes += bytesOf(change[2]);
      }
      continue;
    }
    weight.values++;
    if (op.op !== 'remove') weight.bytes += bytesOf(op.value);
  }
  return weight;
}

/** The bytes `addWeight` gives a value; a scalar's without a walk (most map values are one: replayed by the thousand on open). */
function bytesOf(value: unknown): number {
  if (typeof value === 'string') return stringBytes(value);
  if (typeof value !== 'object' || value === null) return SCALAR_BYTES;
  const weight: Weight = { values: 0, bytes: 0 };
  addWeight(value, weight);
  return weight.bytes;
}

/** Follows a path through own properties only: a stored path must never reach a prototype. */
function getIn(state: unknown, path: Path): unknown {
  let at = state;
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, part)) return undefined;
    at = (at as Record<string | number, unknown>)[part];
  }
  return at;
}

const OPS = new Set(['add', 'replace', 'remove', 'map']);

/** Why a stored op is not one this library writes, or undefined when it is. */
function malformed(op: unknown): string | undefined {
  const { op: name, path, changes } = (op ?? {}) as { op?: unknown; path?: unknown; changes?: unknown };
  if (typeof name !== 'string' || !OPS.has(name)) return `unknown op ${JSON.stringify(name)}`;
  if (!Array.isArray(path)) return 'its path is not a list of keys';
  for (let i = 0; i < path.length; i++) if (typeof path[i] !== 'string' && typeof path[i] !== 'number') return 'its path is not a list of keys';
  if (name === 'map' && !Array.isArray(changes)) return 'a map op without changes';
  return undefined;
}

/**
 * Turns the patches of one update into journal ops, checking that every new value is plain JSON
 * (throws `UnserializableStateError` naming the path). A KeyedMap's new root becomes the few
 * changes made to it, so the journal grows with the change, never with the map.
 */
export function toJournalOps(patches: readonly Patch[], before: unknown, after: unknown): JournalOp[] {
  const ops: JournalOp[] = [];
  for (const patch of patches) {
    const { path } = patch;
    if (patch.value instanceof MapRoot && (path.at(-1) as unknown) === ROOT) {
      const mapPath = path.slice(0, -1);
      const old = getIn(before, mapPath);
      const changes = old instanceof KeyedMap ? changesBetween(old[ROOT], patch.value) : undefined;
      ops.push(changes ? { op: 'map', path: mapPath, changes } : { op: 'replace', path: mapPath, value: getIn(after, mapPath) });
    } else if (patch.op === 'remove') {
      ops.push({ op: 'remove', path });
    } else {
      assertJson(patch.value, path);
      ops.push({ op: patch.op, path, value: patch.value });
    }
  }
  return ops;
}

/**
 * Applies journal ops to a state that only the caller holds (freshly parsed), in place.
 * Returns the new root, which differs only when an op replaced the whole state. With `maps`
 * (replaying a journal on open), a map's changes go through it: they show once it commits.
 */
export function applyJournalOps(state: unknown, ops: readonly JournalOp[], maps?: MapReplay): unknown {
  let root = state;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const problem = malformed(op);
    if (problem) throw new Error(problem);
    if (op.op === 'map') {
      const map = getIn(root, op.path);
      if (!(map instanceof KeyedMap)) throw new Error(`no KeyedMap at ${JSON.stringify(op.path)}`);
      if (maps) maps.apply(map, op.changes);
      else applyMapChanges(map, op.changes);
      continue;
    }
    if (op.path.length === 0) {
      root = op.op === 'remove' ? undefined : reviveMaps(op.value, maps?.made);
      continue;
    }
    const parent = getIn(root, op.path.slice(0, -1));
    const key = op.path[op.path.length - 1]!;
    if (typeof parent !== 'object' || parent === null || parent instanceof KeyedMap) throw new Error(`no container at ${JSON.stringify(op.path)}`);
    if (Array.isArray(parent)) {
      const index = Number(key);
      const last = op.op === 'add' ? parent.length : parent.length - 1;
      if (!Number.isInteger(index) || index < 0 || index > last) throw new Error(`no index ${JSON.stringify(key)} in the list at ${JSON.stringify(op.path)}`);
      if (op.op === 'remove') parent.splice(index, 1);
      else if (op.op === 'add') parent.splice(index, 0, reviveMaps(op.value, maps?.made));
      else parent[index] = reviveMaps(op.value, maps?.made);
    } else if (op.op === 'remove') {
      if (Object.hasOwn(parent, key)) delete (parent as Record<string, unknown>)[key];
    } else if (isDraft(parent)) {
      // A draft takes no defineProperty; and assigning "__proto__" would set its prototype.
      if (key === '__proto__') throw new Error('a "__proto__" key cannot be applied to a live state');
      (parent as Record<string | number, unknown>)[key] = reviveMaps(op.value, maps?.made);
    } else {
      // An own property whatever the key: assigning "__proto__" would set the prototype instead.
      Object.defineProperty(parent, key, { value: reviveMaps(op.value, maps?.made), writable: true, enumerable: true, configurable: true });
    }
  }
  return root;
}

/**
 * Applies journal records to a frozen state without touching it, as immer updates would: the
 * records another writer stored, taken in after a conflict. Costs the size of the records.
 */
export function applyJournalRecords(state: unknown, records: readonly { readonly ops: readonly JournalOp[] }[]): unknown {
  let root = state;
  for (const { ops } of records) {
    for (const op of ops) {
      root = op.path.length === 0 ? applyJournalOps(undefined, [op]) : produce(root, (draft: unknown) => void applyJournalOps(draft, [op]));
    }
  }
  return root;
}
