import type { StorageAdapter } from '../adapters/storage-adapter.js';
import { wrap } from './envelope.js';
import type { JournalRecord } from './hydrate.js';
import { weighOps, type JournalOp } from './journal-ops.js';
import { freezeAndWeigh } from './revive.js';
import type { WriteLineage } from './write-lineage.js';

export interface JournalWriterOptions {
  readonly key: string;
  readonly adapter: StorageAdapter;
  readonly version: number;
  /** The last journal sequence number in storage. */
  readonly seq: number;
  /** Storage holds no snapshot of the current state's version: write one before any append. */
  readonly needsSnapshot: boolean;
  /** Number of values in the state when it was loaded. */
  readonly weight: number;
  /** Weight of the journal records in storage after the snapshot. */
  readonly journalWeight: number;
  /** The state as loaded: durable as it is, unless `needsSnapshot`. */
  readonly state: unknown;
  /** The writes the loaded state includes. */
  readonly writes: WriteLineage;
}

/** Journals smaller than this are never compacted for size: replaying them costs little. */
const MIN_COMPACT_WEIGHT = 10_000;

/**
 * Decides what a write is: the ops recorded since the last one, appended to the journal (cost
 * of the change), or a whole snapshot (cost of the state) when the adapter has no journal, when
 * storage has no snapshot of this version yet, or when compacting. Compaction is due once the
 * journal outweighs a quarter of the state, so its cost, amortised over the changes, stays flat
 * and replaying the journal on start never costs much more than parsing the snapshot.
 */
export function createJournalWriter({ key, adapter, version, seq: lastSeq, needsSnapshot, weight, journalWeight: storedJournal, state: loaded, writes: loadedWrites }: JournalWriterOptions) {
  let seq = lastSeq;
  let snapshotDue = needsSnapshot || adapter.append === undefined;
  let stateWeight = weight;
  let journalWeight = storedJournal;
  let recorded: JournalOp[] = [];
  /** Records numbered but not yet durable; sent again, unchanged, after a failed append. */
  let unsent: JournalRecord[] = [];
  /** The last state known durable, with the number of its last record and its lineage: what compaction writes. */
  let durable: { state: unknown; seq: number; writes: WriteLineage } | undefined = needsSnapshot ? undefined : { state: loaded, seq: lastSeq, writes: loadedWrites };

  /** Writes `state` whole as the snapshot at `atSeq`; the adapter then empties the journal. */
  async function writeSnapshot(state: unknown, atSeq: number, writes: WriteLineage): Promise<void> {
    await adapter.write(key, wrap(state, version, atSeq, new Date(), writes));
    durable = { state, seq: atSeq, writes };
    // The state written, not the changes that led to it: a state that keeps its size while its
    // values change must keep a bounded journal (counting history let the journal grow forever).
    // Without a journal there is nothing to size, and the walk would cost the state's size per write.
    if (adapter.append !== undefined) stateWeight = freezeAndWeigh(state);
    journalWeight = unsent.reduce((sum, record) => sum + weighOps(record.ops), 0);
    snapshotDue = adapter.append === undefined;
  }

  return {
    /** Ops of one update, to be written by the next `persist`. */
    record(ops: readonly JournalOp[]): void {
      for (const op of ops) recorded.push(op);
    },

    /** Makes everything recorded so far durable; `state` is the current state, `writes` its lineage. */
    async persist(state: unknown, writes: WriteLineage): Promise<void> {
      if (snapshotDue) {
        // Capture synchronously: ops recorded while the write is under way belong to the next one.
        const taken = recorded;
        const takenUnsent = unsent;
        recorded = [];
        unsent = [];
        try {
          await writeSnapshot(state, seq, writes);
        } catch (error) {
          recorded = taken.concat(recorded);
          unsent = takenUnsent;
          throw error;
        }
        return;
      }
      if (recorded.length > 0) {
        unsent.push({ seq: ++seq, ops: recorded });
        journalWeight += weighOps(recorded);
        recorded = [];
      }
      if (unsent.length > 0) {
        await adapter.append!(key, unsent);
        unsent = [];
      }
      durable = { state, seq, writes };
    },

    /**
     * Folds the journal into a snapshot of the last durable state. Changes recorded since are left
     * for the next append (numbered after it), so compaction can run while updates keep coming.
     */
    async compact(): Promise<void> {
      if (durable && journalWeight > 0) await writeSnapshot(durable.state, durable.seq, durable.writes);
    },

    /** A synchronous best-effort copy of `state` for a page being closed, where the adapter has one. */
    persistSync(state: unknown, writes: WriteLineage): void {
      adapter.writeSync?.(key, wrap(state, version, seq, new Date(), writes));
    },

    /** True once the journal is worth folding into a snapshot. */
    compactionDue: (): boolean => !snapshotDue && journalWeight >= Math.max(MIN_COMPACT_WEIGHT, stateWeight / 4),
  };
}

export type JournalWriter = ReturnType<typeof createJournalWriter>;
