import type { StorageAdapter } from '../adapters/storage-adapter.js';
import { wrap } from './envelope.js';
import type { JournalRecord } from './hydrate.js';
import { weighOps, type JournalOp } from './journal-ops.js';

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
export function createJournalWriter({ key, adapter, version, seq: lastSeq, needsSnapshot, weight, journalWeight: storedJournal }: JournalWriterOptions) {
  let seq = lastSeq;
  let snapshotDue = needsSnapshot || adapter.append === undefined;
  let stateWeight = weight;
  let journalWeight = storedJournal;
  let recorded: JournalOp[] = [];
  /** Records numbered but not yet durable; sent again, unchanged, after a failed append. */
  let unsent: JournalRecord[] = [];

  async function snapshot(state: unknown): Promise<void> {
    // Capture synchronously: ops recorded while the write is under way belong to the next one.
    const taken = recorded;
    const takenUnsent = unsent;
    recorded = [];
    unsent = [];
    try {
      await adapter.write(key, wrap(state, version, seq, new Date()));
    } catch (error) {
      recorded = taken.concat(recorded);
      unsent = takenUnsent;
      throw error;
    }
    stateWeight += journalWeight + weighOps(taken);
    journalWeight = 0;
    snapshotDue = adapter.append === undefined;
  }

  return {
    /** Ops of one update, to be written by the next `persist`. */
    record(ops: readonly JournalOp[]): void {
      for (const op of ops) recorded.push(op);
    },

    /** Makes everything recorded so far durable; `state` is the current state. */
    async persist(state: unknown): Promise<void> {
      if (snapshotDue) return snapshot(state);
      if (recorded.length > 0) {
        unsent.push({ seq: ++seq, ops: recorded });
        journalWeight += weighOps(recorded);
        recorded = [];
      }
      if (unsent.length === 0) return;
      await adapter.append!(key, unsent);
      unsent = [];
    },

    /** Writes `state` as the new snapshot, emptying the journal; nothing to do if it is empty. */
    async compact(state: unknown): Promise<void> {
      if (journalWeight > 0 || recorded.length > 0 || unsent.length > 0) await snapshot(state);
    },

    /** A synchronous best-effort copy of `state` for a page being closed, where the adapter has one. */
    persistSync(state: unknown): void {
      adapter.writeSync?.(key, wrap(state, version, seq, new Date()));
    },

    /** True once the journal is worth folding into a snapshot. */
    compactionDue: (): boolean => !snapshotDue && journalWeight >= Math.max(MIN_COMPACT_WEIGHT, stateWeight / 4),
  };
}

export type JournalWriter = ReturnType<typeof createJournalWriter>;
