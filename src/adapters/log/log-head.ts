/** Marks a head record of the log layout (an envelope written whole, by earlier versions, has `$rxps: 1`). */
export const HEAD_FORMAT = 2;

/** Journal segments of an earlier writer to replay, `from`–`to` inclusive, before the head's own. */
export interface ClosedRange {
  readonly gen: string;
  readonly from: number;
  readonly to: number;
}

/** Where the snapshot is: inside the head when small, else in `count` chunks under `id`. */
/** `length`: the snapshot's JSON text in characters, checked when the chunks are joined. */
export type SnapshotRef = { readonly inline: unknown } | { readonly id: string; readonly count: number; readonly length: number };

/**
 * A key's head: which snapshot holds the state up to record `seq`, and which journal segments
 * follow it: those of `closed`, in order, then the head's own generation's from `from` on, up to
 * the first gap. Rewritten only by compaction, and on an exclusive backend once per writer, to
 * name its generation.
 */
export interface LogHead {
  readonly $rxps: typeof HEAD_FORMAT;
  readonly gen: string;
  readonly seq: number;
  readonly from: number;
  readonly closed: readonly ClosedRange[];
  readonly snapshot: SnapshotRef;
  readonly savedAt: string;
}

const ID = /^[a-z0-9]{1,32}$/;
const isSeq = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n < 2 ** 52;

/** Whether a stored value is a head of this layout (anything else is a value stored whole). */
export function isLogHead(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { $rxps?: unknown }).$rxps === HEAD_FORMAT;
}

/**
 * Checks a head read from storage; returns why it is not one this library writes, or undefined.
 * Hostile heads (ids that would build other names, ranges out of order, absurd counts) are refused.
 */
export function whyNotLogHead(value: object, maxChunks: number): string | undefined {
  const head = value as Partial<Record<keyof LogHead, unknown>>;
  if (typeof head.gen !== 'string' || !ID.test(head.gen)) return 'its generation is not an id';
  if (!isSeq(head.seq) || !isSeq(head.from) || head.from <= head.seq) return 'its record numbers are not whole numbers in order';
  if (!Array.isArray(head.closed)) return 'its closed ranges are not a list';
  let next = head.seq + 1;
  for (const range of head.closed as unknown[]) {
    const { gen, from, to } = (range ?? {}) as Partial<ClosedRange>;
    if (typeof gen !== 'string' || !ID.test(gen) || !isSeq(from) || !isSeq(to) || from !== next || to < from)
      return 'its closed ranges do not follow each other';
    next = to + 1;
  }
  if (head.from !== next) return 'its own segments do not follow its closed ranges';
  const snapshot = head.snapshot as Record<string, unknown> | null | undefined;
  if (typeof snapshot !== 'object' || snapshot === null) return 'it names no snapshot';
  if (!('inline' in snapshot)) {
    const { id, count, length } = snapshot;
    if (typeof id !== 'string' || !ID.test(id)) return 'its snapshot id is not an id';
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > maxChunks)
      return `its snapshot chunk count ${JSON.stringify(count)} is not from 1 to ${maxChunks}`;
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) return 'its snapshot length is not a whole number';
  }
  return undefined;
}
