import { CorruptStateError } from '../errors.js';

/** Journal records as text: one JSON document per line. */
export function formatRecords(records: readonly unknown[]): string {
  let text = '';
  for (const record of records) text += `${JSON.stringify(record)}\n`;
  return text;
}

const NEWLINE = 0x0a;
// Made on first use: some environments (jsdom) have no TextDecoder when this module loads.
let decoder: TextDecoder | undefined;

/**
 * Where a journal's whole records end. A journal ends at its first NUL byte: no record holds one
 * (JSON escapes it), while the file adapter's journal has room of zeros past its records, and a
 * write cut short by a power loss can leave zeros where its first bytes should be, before bytes
 * that did land. Within that, the tail after the last newline was torn by a crash (an append
 * writes its newline last). What follows is what no write finished: it is never read.
 *
 * @example journalEnd(Buffer.from('{"seq":1}\n{"se\0\0')); // 10
 */
export function journalEnd(journal: string | Uint8Array): number {
  if (typeof journal === 'string') {
    const nul = journal.indexOf('\0');
    return journal.lastIndexOf('\n', nul < 0 ? journal.length : nul) + 1;
  }
  const nul = journal.indexOf(0);
  return journal.lastIndexOf(NEWLINE, nul < 0 ? journal.length : nul) + 1;
}

/**
 * Bytes of whole lines decoded at a time (8 MiB). One decode for many lines, then a `JSON.parse`
 * per line, took 37 ms where a decode per line took 44–48 (10,000 records, a fresh process);
 * and a journal larger than the longest string an engine can hold (about 512 MB in V8) still
 * reads, a piece at a time.
 */
const DECODE_PIECE = 8 << 20;

/**
 * Parses a journal, as text or as its bytes, line by line, up to `journalEnd`. Any whole line
 * that is not one JSON value is corruption, named by its number (a byte order mark is no JSON:
 * never skipped). (Many lines parsed as one JSON list, checked by its count, was no faster, and
 * damage on two lines could make up for each other and pass as records nobody wrote.)
 *
 * @example parseJournal(Buffer.from('{"seq":1}\n{"se'), 'K', 'K.json.journal'); // [{ seq: 1 }]
 */
export function parseJournal(journal: string | Uint8Array, key: string, location: string): unknown[] {
  const records: unknown[] = [];
  const end = journalEnd(journal);
  if (typeof journal === 'string') {
    parseLines(journal.slice(0, end), records, key, location);
    return records;
  }
  for (let start = 0; start < end;) {
    let stop = end;
    if (end - start > DECODE_PIECE) {
      // To the last newline in the piece, or to the first after it (one record longer than a piece).
      const last = journal.lastIndexOf(NEWLINE, start + DECODE_PIECE - 1);
      stop = (last >= start ? last : journal.indexOf(NEWLINE, start + DECODE_PIECE)) + 1;
    }
    parseLines((decoder ??= new TextDecoder('utf-8', { ignoreBOM: true })).decode(journal.subarray(start, stop)), records, key, location);
    start = stop;
  }
  return records;
}

/** Parses `text`, whole lines each ending with a newline, one record per line, onto `records`. */
function parseLines(text: string, records: unknown[], key: string, location: string): void {
  for (let start = 0; start < text.length;) {
    const stop = text.indexOf('\n', start);
    try {
      records.push(JSON.parse(text.slice(start, stop)));
    } catch (error) {
      throw new CorruptStateError(key, location, `journal line ${records.length + 1} is not valid JSON (${(error as Error).message})`, { cause: error });
    }
    start = stop + 1;
  }
}
