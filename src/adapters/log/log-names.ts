/**
 * Marks the records a key keeps beside its head. Store keys may not contain it (see keys.ts), so
 * no key's head or records can be taken for another key's.
 */
export const LOG_MARK = '(rxps)';

/** Digits of a sequence number in a segment's name: zero-padded, so names sort as numbers do. */
const SEQ_DIGITS = 16;

/**
 * Longest key used as it is in record names; longer ones are cut and given a hash, so names stay
 * within 256 characters. A cut name is one character longer than this, so that no key used as it
 * is can spell it (and share, list and clean up the long key's records).
 */
const MAX_BASE = 200;
/** The hash's length in a cut name: FNV-1a's 32 bits take at most 7 digits of base 36. */
const HASH_DIGITS = 7;

export interface SegmentName {
  readonly kind: 'segment';
  readonly gen: string;
  readonly seq: number;
}
export interface ChunkName {
  readonly kind: 'chunk';
  readonly id: string;
  readonly index: number;
}
/** A piece of a journal segment too large for one request. */
export interface PieceName {
  readonly kind: 'piece';
  readonly gen: string;
  readonly seq: number;
}

/**
 * The names of one key's records: the head is the key itself (so a value stored by Crawlee or an
 * earlier version of this library is found where it always was); snapshot chunks and journal
 * segments share the prefix `<key>(rxps)`.
 *
 * @example logNames('STATE').segment('k3f9a2c1', 12) // 'STATE(rxps)s.k3f9a2c1.0000000000000012'
 */
export function logNames(key: string) {
  const base = key.length <= MAX_BASE ? key : `${key.slice(0, MAX_BASE - HASH_DIGITS)}.${hash(key)}`;
  const prefix = base + LOG_MARK;
  return {
    head: key,
    prefix,
    segmentPrefix: (gen: string): string => `${prefix}s.${gen}.`,
    segment: (gen: string, seq: number): string => `${prefix}s.${gen}.${String(seq).padStart(SEQ_DIGITS, '0')}`,
    chunk: (id: string, index: number): string => `${prefix}c.${id}.${index}`,
    /** Piece `index` of segment `seq` whose text has id `id` (within 256 characters: the number in base 36). */
    piece: (gen: string, seq: number, id: string, index: number): string => `${prefix}p.${gen}.${seq.toString(36)}.${id}.${index}`,
    /** What a name under `prefix` is, or undefined for a name this library does not write. */
    parse(name: string): SegmentName | ChunkName | PieceName | undefined {
      if (!name.startsWith(prefix)) return undefined;
      const piece = /^p\.([a-z0-9]{1,32})\.([a-z0-9]{1,11})\.[a-z0-9]{1,16}\.\d{1,6}$/.exec(name.slice(prefix.length));
      if (piece) return { kind: 'piece', gen: piece[1]!, seq: parseInt(piece[2]!, 36) };
      const match = /^(s|c)\.([a-z0-9]{1,32})\.(\d{1,16})$/.exec(name.slice(prefix.length));
      if (!match) return undefined;
      const number = Number(match[3]);
      return match[1] === 's' ? { kind: 'segment', gen: match[2]!, seq: number } : { kind: 'chunk', id: match[2]!, index: number };
    },
  };
}

export type LogNames = ReturnType<typeof logNames>;

/** A new id for a generation or a snapshot: its time first (base 36), so that orphans can be told by age. */
export function newLogId(now = Date.now()): string {
  return now.toString(36) + Math.random().toString(36).slice(2, 8).padEnd(6, '0');
}

/** When an id from `newLogId` was made, in epoch ms, or NaN. */
export function logIdTime(id: string): number {
  return parseInt(id.slice(0, -6), 36);
}

/** FNV-1a, 32 bits, base 36: enough to keep cut-down long keys, or the texts of one segment number, apart. */
export function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36).padStart(HASH_DIGITS, '0');
}
