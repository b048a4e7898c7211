import type { StorageAdapter } from '../adapters/storage-adapter.js';
import { ConflictError, CorruptStateError, LockLostError, StorageReplacedError, ValueTooLargeError, errorMessage } from '../errors.js';
import { wrap } from './envelope.js';
import type { Hydrated, JournalRecord } from './hydrate.js';
import { applyJournalRecords, weighOps, type JournalOp, type Path } from './journal-ops.js';
import type { MapChange } from './keyed-map.js';
import type { Notices } from './notices.js';
import { applyRecipe, type Recipe } from './recipe.js';
import { freezeAndWeigh, type Weight } from './revive.js';
import { createWriteLineage, withRecordWrites, type WriteLineage } from './write-lineage.js';
import { backoffDelay } from '../time/backoff.js';

export interface JournalWriterOptions<T> {
  readonly key: string;
  readonly adapter: StorageAdapter;
  readonly version: number;
  /** What was read from storage on open. */
  readonly loaded: Hydrated<T>;
  /** Where files removed behind the store's back and a lost lock are reported. */
  readonly notices: Notices;
  /** onConflict 'rebase': after a conflict, take in the other writers' changes and apply this store's unwritten recipes again on top. */
  readonly rebase: boolean;
  /** Reads the stored state again, whole (restored as on open). */
  readonly reload: () => Promise<Hydrated<T>>;
  /** The store's state: read when writing, replaced when other writers' changes are taken in. */
  readonly state: { get(): T; set(next: T): void };
}

/** Journals with fewer changes than this are never compacted for size: replaying them costs little. */
const MIN_COMPACT_VALUES = 10_000;
/**
 * Nor journals smaller than this, in bytes (1 MiB): parsing and replaying 1 MiB takes a few
 * milliseconds on start, and a floor this low keeps a journal of large values (a 1 MB field
 * rewritten again and again) at a few MB, while a small state with small changes is still
 * compacted no more often than every 10,000 changes.
 */
const MIN_COMPACT_BYTES = 1 << 20;
/**
 * Above those floors, the journal is compacted once it outweighs this fraction of the state
 * (1/8), in values or in bytes. Replaying a change costs three to four times what loading one
 * entry of the snapshot costs (a record is parsed as several objects, then applied), so at a
 * quarter a journal of new keys reopened in 1.5× the time of the snapshot alone, at an eighth in
 * 1.2× (200,000 entries, each open in a fresh process: bench/reopen.ts). Compaction (the whole
 * state written, 120 ms there) comes twice as often: about 12 µs per update of one key, amortised.
 */
export const COMPACT_FRACTION = 8;

/**
 * Decides what a write is: the ops recorded since the last one, appended to the journal (cost
 * of the change), or a whole snapshot (cost of the state) when the adapter has no journal, when
 * storage has no snapshot of this version yet, when its files were removed or replaced behind the
 * store's back, or when compacting. Compaction is due once the journal outweighs an eighth of the
 * state (COMPACT_FRACTION), in values or in bytes, so its cost, amortised over the changes, stays
 * flat and replaying the journal on start costs less than half of loading the snapshot. Before
 * each write the journal so stays under max(10,000 changes, an eighth of the state's values) and
 * under max(1 MiB, an eighth of the state's bytes); the write that crosses a bound (compaction
 * follows it) and those made while the compaction is under way come on top. *
 * It is the one place that knows what is not durable yet: the ops recorded since the last write,
 * the batches numbered but not stored, the last state known durable, and (with onConflict
 * 'rebase') the recipes behind them, with the write lineage that tells which of them another
 * writer's state already holds.
 */
export function createJournalWriter<T>({ key, adapter, version, notices, loaded, rebase: rebasing, reload, state: store }: JournalWriterOptions<T>) {
  let seq = 0;
  let snapshotDue = true;
  let stateWeight: Weight = { values: 0, bytes: 0 };
  let journalWeight: Weight = { values: 0, bytes: 0 };
  /** Journal records in storage after the snapshot: some adapters compact by their number. */
  let journalRecords = 0;
  let recorded: JournalOp[] = [];
  /**
   * The last op of `recorded` when it is a map op this writer made by joining two or more (see
   * `recordOp`): its changes are its own to extend. Any other op may be held elsewhere as well.
   */
  let joined: { readonly op: 'map'; readonly path: Path; readonly changes: MapChange[] } | undefined;
  /**
   * Records numbered but not yet durable, in the batches they were first sent in, each with the
   * state and lineage it completes. After a failed append each batch is sent again unchanged, on
   * its own: a batch whose answer was lost is then recognised as landed (never merged with later
   * records into a segment that meets its own), and the state known durable follows it.
   */
  let unsent: Array<{ readonly records: JournalRecord[]; readonly state: unknown; readonly writes: WriteLineage }> = [];
  /** The last state known durable, with the number of its last record and its lineage: what compaction writes. */
  let durable: { state: unknown; seq: number; writes: WriteLineage } | undefined;
  /**
   * A shared key with no snapshot of this state yet (new, or a value stored whole): the state as
   * read goes first, as it was read, and the changes after it as a record. So a snapshot on a
   * shared key holds only what the journal numbers: a retry of a create whose answer was lost
   * writes the same snapshot again, and no writer's records are ever buried under changes of
   * ours that it does not have.
   */
  let unstoredBase: { state: unknown; seq: number; writes: WriteLineage } | undefined;

  /** Starts over from a state read from storage (on open, or read again after a conflict). */
  function load(from: Hydrated<T>): void {
    seq = from.seq;
    snapshotDue = from.needsSnapshot || adapter.append === undefined;
    stateWeight = from.weight;
    journalWeight = { ...from.journalWeight };
    journalRecords = from.journalRecords;
    recorded = [];
    joined = undefined;
    unsent = [];
    durable = from.needsSnapshot ? undefined : { state: from.state, seq: from.seq, writes: from.writes };
    unstoredBase =
      from.needsSnapshot && adapter.sharing === 'shared' && adapter.append !== undefined
        ? { state: from.state, seq: from.seq, writes: from.writes }
        : undefined;
  }
  load(loaded);
  /** With onConflict 'rebase': the recipes whose effect is not durable yet, oldest first. */
  const unwritten: Recipe<T>[] = [];
  /** Which writes the stored state holds, this store's numbered (see write-lineage.ts). */
  const lineage = createWriteLineage(loaded.writes);
  /** Set once another process took the key: from then on nothing is written. */
  let lockLost: LockLostError | undefined;
  /** The stored files were found removed or replaced: the next snapshot rewrites them whole. */
  let replaced = false;

  /** Writes `state` whole as the snapshot at `atSeq`; the adapter then empties the journal. */
  async function writeSnapshot(state: unknown, atSeq: number, writes: WriteLineage): Promise<void> {
    await adapter.write(key, wrap(state, version, atSeq, new Date(), writes));
    durable = { state, seq: atSeq, writes };
    // The state written, not the changes that led to it: a state that keeps its size while its
    // values change must keep a bounded journal (counting history let the journal grow forever).
    // Without a journal there is nothing to size, and the walk would cost the state's size per write.
    if (adapter.append !== undefined) stateWeight = freezeAndWeigh(state);
    journalWeight = { values: 0, bytes: 0 };
    journalRecords = 0;
    for (const { records } of unsent) {
      for (const record of records) addTo(journalWeight, weighOps(record.ops));
      journalRecords += records.length;
    }
    snapshotDue = adapter.append === undefined;
    if (replaced) {
      replaced = false;
      notices.settled('storage-replaced');
    }
  }

  /**
   * Runs an adapter call; resolves false when it found the stored files removed or replaced, or
   * when a journal record is too large for one request (a snapshot is then written, in chunks).
   */
  async function checked(call: () => Promise<void>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (error) {
      // Not on a shared key: a snapshot there may hold only what the journal numbers (see unstoredBase).
      if (error instanceof ValueTooLargeError && adapter.append !== undefined && adapter.sharing !== 'shared') {
        snapshotDue = true;
        return false;
      }
      if (!(error instanceof StorageReplacedError)) throw error;
      replaced = true;
      snapshotDue = true;
      notices.report({ type: 'storage-replaced', key, message: `${error.message} Writing the whole state again (record ${seq}).`, error });
      return false;
    }
  }

  /** Another process owns the key now: remember it, so that nothing more is ever written. */
  function noteLockLost(error: unknown): void {
    if (!(error instanceof LockLostError) || lockLost) return;
    lockLost = error;
    notices.report({ type: 'lock-lost', key, message: error.message, error });
  }

  /**
   * Makes everything recorded so far durable; `state` is the current state, `writes` its lineage.
   * First asks the adapter whether its stored files are still the ones it wrote; if they were
   * removed or replaced (or an append finds so), writes the whole state instead, in this same call.
   */
  async function persistOnce(state: unknown, writes: WriteLineage): Promise<void> {
    if (lockLost) throw lockLost;
    if (unstoredBase) {
      await writeSnapshot(unstoredBase.state, unstoredBase.seq, unstoredBase.writes);
      unstoredBase = undefined;
    }
    // Synchronously, before any wait: everything recorded so far is in `state`, while what is
    // recorded during the adapter's calls belongs to the next persist.
    const taken = snapshotDue ? recorded : [];
    if (snapshotDue) recorded = [];
    else if (recorded.length > 0) {
      const by = lineage.own(writes);
      unsent.push({ records: [{ seq: ++seq, ops: recorded, ...(by && { by }) }], state, writes });
      addTo(journalWeight, weighOps(recorded));
      recorded = [];
    }
    joined = undefined; // its record is being written, or (on failure) it comes back as another's op
    const atSeq = seq;
    const takenUnsent = unsent;
    try {
      // An append makes the same checks itself (see StorageAdapter.verify): one round of system calls less per write.
      if (adapter.verify && (snapshotDue || unsent.length === 0)) await checked(() => adapter.verify!(key));
      if (!snapshotDue) {
        while (unsent.length > 0 && (await checked(() => adapter.append!(key, unsent[0]!.records)))) {
          const landed = unsent.shift()!;
          journalRecords += landed.records.length;
          durable = { state: landed.state, seq: landed.records.at(-1)!.seq, writes: landed.writes };
        }
        if (unsent.length === 0) {
          durable = { state, seq: atSeq, writes };
          return;
        }
      }
      // Nothing recorded and storage intact (the check at close on an idle store): nothing to write.
      if (!replaced && taken.length === 0 && unsent.length === 0) return;
      unsent = [];
      await writeSnapshot(state, atSeq, writes);
    } catch (error) {
      recorded = taken.concat(recorded);
      // Landed batches were shifted out of `unsent` (the same array as `takenUnsent`); the snapshot
      // path emptied `unsent`: its batches were not written and are sent again.
      if (unsent.length === 0) unsent = takenUnsent;
      noteLockLost(error);
      throw error;
    }
  }

  /**
   * Takes in what other writers stored, then applies this store's unwritten recipes again on top
   * (with onConflict 'rebase'; without it, only when nothing is waiting to be written). On a
   * shared journal only the records stored after the last durable one are read; the whole state
   * only when a compaction took them in meanwhile, or on other adapters. Resolves whether it took
   * in anything another writer stored (a conflict without that is no race).
   */
  async function takeIn(): Promise<boolean> {
    const base = durable;
    const since = base !== undefined && adapter.sharing === 'shared' ? await adapter.readJournal?.(key, base.seq) : undefined;
    if (since !== undefined) {
      const records = since as JournalRecord[];
      let state: unknown;
      try {
        state = applyJournalRecords(base!.state, records);
      } catch (error) {
        throw new CorruptStateError(key, adapter.locate(key), `another writer's journal records do not apply (${errorMessage(error)})`, { cause: error });
      }
      if (!rebasing && pending()) return false; // an update came meanwhile: the next write meets the conflict
      seq = records.at(-1)?.seq ?? base!.seq;
      durable = { state, seq, writes: withRecordWrites(base!.writes, records) };
      recorded = [];
      joined = undefined;
      unsent = [];
      journalRecords += records.length;
      for (const record of records) addTo(journalWeight, weighOps(record.ops));
      // The writes taken in are named in this store's next stamps, and so in its snapshots.
      reapply(state as T, lineage.rebasedOn(durable.writes));
      return records.length > 0;
    }
    const restored = await reload();
    if (!rebasing && pending()) return false;
    const moved = restored.seq !== base?.seq || JSON.stringify(restored.writes) !== JSON.stringify(base?.writes);
    load(restored);
    // A write of ours whose answer was lost may be in it, kept by a writer who wrote on top: those recipes are applied already.
    reapply(restored.state, lineage.rebasedOn(restored.writes));
    return moved;
  }

  /** Makes `base` the state, with the unwritten recipes but the first `applied` run again on it and journalled anew. */
  function reapply(base: T, applied: number): void {
    unwritten.splice(0, applied);
    let next = base;
    for (const recipe of unwritten) {
      const run = applyRecipe(next, recipe);
      for (const op of run.ops) recordOp(op);
      next = run.next;
    }
    store.set(next);
  }

  /**
   * Adds `op` to what the next write records. A map op on the same map as the op before it joins
   * that op: one op per run of changes to a map, not one per update. A record of 8 updates that
   * each set one URL of 35 characters (8 producers) then takes 59 bytes of journal a change, not
   * 95, weighed 76 rather than 102 (weighOps), and the journal is compacted every 16,000 to
   * 17,000 updates at 200k entries where it was every 12,000 to 14,000. Replayed, the joined
   * changes apply in the same order.
   */
  function recordOp(op: JournalOp): void {
    const last = recorded.at(-1);
    if (op.op !== 'map' || last?.op !== 'map' || !samePath(last.path, op.path)) {
      recorded.push(op);
      return;
    }
    if (last !== joined) recorded[recorded.length - 1] = joined = { op: 'map', path: last.path, changes: last.changes.slice() };
    for (const change of op.changes) joined.changes.push(change);
  }

  const pending = (): boolean => recorded.length > 0 || unsent.length > 0;

  return {
    /** The ops of one update, and (with onConflict 'rebase') its recipe, to be written by the next `persist`. */
    record(ops: readonly JournalOp[], recipe: Recipe<T>): void {
      for (const op of ops) recordOp(op);
      if (rebasing) unwritten.push(recipe);
    },

    /**
     * Makes everything recorded so far durable. With onConflict 'rebase', a conflict is resolved
     * here: the other writers' changes are taken in, the unwritten recipes applied again on top
     * (the state replaced through `state.set`), and the write tried again. Writers that keep
     * meeting each other back off, each by its own random share (10 ms, doubling, at most 2 s):
     * fewer requests wasted on a busy key, though the writer that just landed tends to land again
     * (retrying at once after a catch-up was measured fairer but halved the throughput of 4
     * workers on one queue). A conflict after which nothing new was found is no race but a stale
     * read: after 9 of them in a row the write fails (status$ says error; the pipeline retries).
     */
    async persist(): Promise<void> {
      for (let conflicts = 0, stalls = 0; ; conflicts++) {
        if (conflicts > 1) await new Promise((resolve) => setTimeout(resolve, backoffDelay(conflicts - 2, { initialMs: 10, maxMs: 2_000, jitter: 'full' })));
        const writes = rebasing ? lineage.stamp(unwritten.length) : lineage.current();
        try {
          await persistOnce(store.get(), writes);
          unwritten.splice(0, lineage.landed(writes));
          return;
        } catch (error) {
          if (!rebasing || !(error instanceof ConflictError)) throw error;
          // Batches that landed before the conflict hold some recipes already: they are not applied again.
          unwritten.splice(0, lineage.landed(durable?.writes ?? lineage.current()));
          stalls = (await takeIn()) ? 0 : stalls + 1;
          if (stalls > 8) throw error;
        }
      }
    },

    /** Takes in what other writers stored since (see `takeIn`). */
    refresh: async (): Promise<void> => {
      if (rebasing || !pending()) await takeIn();
    },

    /**
     * Folds the journal into a snapshot of the last durable state. Changes recorded since are left
     * for the next append (numbered after it), so compaction can run while updates keep coming.
     */
    async compact(): Promise<void> {
      if (lockLost) throw lockLost;
      if (!durable || (journalWeight.values === 0 && journalWeight.bytes === 0)) return;
      await writeSnapshot(durable.state, durable.seq, durable.writes).catch((error: unknown) => {
        noteLockLost(error);
        throw error;
      });
    },

    /** A synchronous best-effort copy of the state for a page being closed, where the adapter has one. */
    persistSync(): void {
      if (!lockLost) adapter.writeSync?.(key, wrap(store.get(), version, seq, new Date(), lineage.current()));
    },

    /** About how many bytes the stored state takes: the last snapshot and the journal since (0 without a journal). */
    storedBytes: (): number => stateWeight.bytes + journalWeight.bytes,

    /** True once the journal is worth folding into a snapshot: by its number of changes or by its bytes. */
    compactionDue: (): boolean => {
      if (snapshotDue) return false;
      const bounds = compactionBounds(stateWeight);
      return journalRecords >= (adapter.compactAfterRecords ?? Infinity) || journalWeight.values >= bounds.values || journalWeight.bytes >= bounds.bytes;
    },
  };
}

/** The journal's weight at which a state of `state`'s weight is compacted, in values or in bytes (whichever comes first). */
export function compactionBounds(state: Weight, fraction = COMPACT_FRACTION): Weight {
  return { values: Math.max(MIN_COMPACT_VALUES, state.values / fraction), bytes: Math.max(MIN_COMPACT_BYTES, state.bytes / fraction) };
}

function samePath(a: Path, b: Path): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function addTo(sum: Weight, weight: Weight): void {
  sum.values += weight.values;
  sum.bytes += weight.bytes;
}

export type JournalWriter<T> = ReturnType<typeof createJournalWriter<T>>;
