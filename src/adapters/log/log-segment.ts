/** Marks a journal segment record. */
const SEGMENT_FORMAT = 1;

/** One journal record, as the store numbers it. */
export interface LogRecord {
  readonly seq: number;
  readonly ops: unknown;
}

/**
 * One write's journal records, as one stored record named by the first one's number. It names its
 * generation and writer, so that a writer whose answer was lost recognises its own segment.
 */
export interface Segment {
  readonly $rxpsSegment: typeof SEGMENT_FORMAT;
  readonly gen: string;
  readonly writer: string;
  readonly records: readonly LogRecord[];
}

export function segmentText(gen: string, writer: string, records: readonly LogRecord[]): string {
  return JSON.stringify({ $rxpsSegment: SEGMENT_FORMAT, gen, writer, records } satisfies Segment);
}

/** Where a segment too large for one request is: `count` pieces of its text (`length` characters), under `id`. */
export interface SegmentPieces {
  readonly id: string;
  readonly count: number;
  readonly length: number;
}

/** The record stored under a segment's name when its text goes in pieces. */
export function piecesText(gen: string, pieces: SegmentPieces): string {
  return JSON.stringify({ $rxpsSegment: SEGMENT_FORMAT, gen, pieces });
}

/**
 * Parses a segment stored under generation `gen` and number `seq`; returns why it cannot be
 * applied (torn, foreign, from another generation, misnumbered) as a string, or the segment.
 */
export function parseSegment(text: string, gen: string, seq: number, inPieces = false): Segment | { readonly pieces: SegmentPieces } | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'it is not valid JSON (torn?)';
  }
  const segment = (value ?? {}) as Partial<Segment>;
  if (segment.$rxpsSegment !== SEGMENT_FORMAT) return 'it is not a journal segment of this library';
  if (segment.gen !== gen) return `it belongs to generation ${JSON.stringify(segment.gen)}, not ${gen}`;
  const pieces = (value as { pieces?: Partial<SegmentPieces> }).pieces;
  if (pieces !== undefined && !inPieces) {
    const { id, count, length } = pieces;
    if (
      typeof id !== 'string' ||
      !/^[a-z0-9]{1,16}$/.test(id) ||
      !Number.isSafeInteger(count) ||
      count! < 1 ||
      count! > 100_000 ||
      !Number.isSafeInteger(length) ||
      length! < 0
    )
      return 'it names its pieces wrongly';
    return { pieces: pieces as SegmentPieces };
  }
  if (typeof segment.writer !== 'string') return 'it names no writer';
  const records = segment.records;
  if (!Array.isArray(records) || records.length === 0) return 'it holds no records';
  for (const [index, record] of records.entries()) {
    if ((record as Partial<LogRecord> | null)?.seq !== seq + index || !Array.isArray((record as LogRecord).ops))
      return `its record ${index + 1} is not record ${seq + index}`;
  }
  return segment as Segment;
}
