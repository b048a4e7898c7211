/**
 * Which writes a stored state holds: for each of the most recent writers, the number of its
 * latest write that the state includes. Every write carries forward the lineage of the state it
 * was built on, so a writer whose write landed but whose answer was lost can tell, after another
 * writer wrote on top, that its changes are in already and must not be replayed.
 */
export type WriteLineage = Readonly<Record<string, number>>;

/** Writers remembered per state. Forgetting one needs this many others to write between its lost answer and its retry. */
export const MAX_LINEAGE_WRITERS = 32;

/**
 * `base` with the writes of `records` (journal records stamped with their writer's write) taken
 * in, the most recent writers last, at most MAX_LINEAGE_WRITERS of them: a state replayed from
 * another writer's segments names that writer's writes, so that a snapshot made of it does too.
 */
export function withRecordWrites(base: WriteLineage, records: readonly { readonly by?: unknown }[]): WriteLineage {
  let merged: Record<string, number> | undefined;
  for (const { by } of records) {
    if (typeof by !== 'object' || by === null) continue;
    for (const [writer, write] of Object.entries(by)) {
      if (!Number.isSafeInteger(write) || write <= 0) continue;
      merged ??= { ...base };
      delete merged[writer];
      merged[writer] = write as number;
    }
  }
  if (merged === undefined) return base;
  const names = Object.keys(merged);
  return names.length <= MAX_LINEAGE_WRITERS ? merged : Object.fromEntries(names.slice(-MAX_LINEAGE_WRITERS).map((name) => [name, merged![name]!]));
}

/**
 * One store's side of the lineage: it numbers its writes, remembers how many pending recipes
 * each included, and tells, from a state read back after a conflict, how many of them are in it.
 */
export function createWriteLineage(initial: WriteLineage) {
  // Not a number-like string: object keys must keep insertion order, which trims the oldest.
  const me = `w${Math.random().toString(36).slice(2, 10)}${Date.now().toString(36)}`;
  let base = initial;
  let count = 0;
  /** Write number → recipes it included, for writes not known to have landed. */
  const pending = new Map<number, number>();

  /** Our writes up to `upTo` are in storage: drops them, returns how many recipes they included. */
  const settle = (upTo: number | undefined): number => {
    const included = upTo === undefined ? 0 : (pending.get(upTo) ?? 0);
    for (const [write, recipes] of pending) {
      if (upTo !== undefined && write <= upTo) pending.delete(write);
      else pending.set(write, recipes - included); // a later write included those too
    }
    return included;
  };

  return {
    /** The lineage to store with a new write of ours that includes the first `included` pending recipes. */
    stamp(included: number): WriteLineage {
      pending.set(++count, included);
      const { [me]: _previous, ...others } = base;
      const names = Object.keys(others).slice(-(MAX_LINEAGE_WRITERS - 1));
      return Object.fromEntries([...names.map((name) => [name, others[name]!] as const), [me, count]]);
    },

    /** A write stamped with `lineage` is durable; returns how many of the pending recipes it included, now in storage and not to be applied again. */
    landed(lineage: WriteLineage): number {
      base = lineage;
      return settle(lineage[me]);
    },

    /** Builds on the state read back from storage from now on; returns how many pending recipes it holds already. */
    rebasedOn(stored: WriteLineage): number {
      base = stored;
      return settle(stored[me]);
    },

    /** The lineage of the state built on, for a write that is not numbered (a copy on page close). */
    current: (): WriteLineage => base,

    /** This store's own entry of `lineage`, which its journal records carry; undefined when it has none. */
    own: (lineage: WriteLineage): WriteLineage | undefined => (lineage[me] === undefined ? undefined : { [me]: lineage[me] }),
  };
}
