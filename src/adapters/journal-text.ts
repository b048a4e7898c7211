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
 * Bytes of a journal parsed by one `JSON.parse` (8 MiB): one call for many records cost half what
 * a call per line did on a store's first open (10,000 records), and a journal far larger than the
 * longest string an engine can hold (about 512 MB in V8) still reads, a chunk at a time.
 */
const PARSE_CHUNK = 8 << 20;

/**
 * Parses a journal, as text or as its bytes, up to `journalEnd`: its whole lines, each one record,
 * a chunk of lines at a time (see PARSE_CHUNK). A line that is not one JSON value is corruption,
 * named by its line number.
 *
 * @example parseJournal(Buffer.from('{"seq":1}\n{"se'), 'K', 'K.json.journal'); // [{ seq: 1 }]
 */
export function parseJournal(journal: string | Uint8Array, key: string, location: string): unknown[] {
  const records: unknown[] = [];
  const end = journalEnd(journal);
  for (let start = 0; start < end;) {
    let stop = end;
    if (end - start > PARSE_CHUNK) {
      // Whole lines: to the last newline in the chunk, or to the first after it (one record longer than a chunk).
      const last = lastNewline(journal, start + PARSE_CHUNK - 1);
      stop = (last >= start ? last : nextNewline(journal, start + PARSE_CHUNK)) + 1;
    }
    const lines = typeof journal === 'string' ? journal.slice(start, stop - 1) : (decoder ??= new TextDecoder()).decode(journal.subarray(start, stop - 1));
    // Newlines only end records (JSON escapes them in strings): as commas, the lines are one list,
    // which holds as many values as there are lines unless a line is not one value.
    let parsed: unknown;
    try {
      parsed = JSON.parse(`[${lines.replaceAll('\n', ',')}]`);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.length !== countLines(lines)) throw badLine(lines, records.length, key, location);
    for (let i = 0; i < parsed.length; i++) records.push(parsed[i]);
    start = stop;
  }
  return records;
}

const lastNewline = (journal: string | Uint8Array, from: number): number =>
  typeof journal === 'string' ? journal.lastIndexOf('\n', from) : journal.lastIndexOf(NEWLINE, from);
const nextNewline = (journal: string | Uint8Array, from: number): number =>
  typeof journal === 'string' ? journal.indexOf('\n', from) : journal.indexOf(NEWLINE, from);

function countLines(text: string): number {
  let count = 1;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

/** The corruption error for the first of `lines` that is not one JSON value (`before`: the lines before them). */
function badLine(lines: string, before: number, key: string, location: string): CorruptStateError {
  const all = lines.split('\n');
  for (let i = 0; i < all.length; i++) {
    try {
      JSON.parse(all[i]!);
    } catch (error) {
      return new CorruptStateError(key, location, `journal line ${before + i + 1} is not valid JSON (${(error as Error).message})`, { cause: error });
    }
  }
  // Unreachable: lines that each parse make a list of as many values.
  return new CorruptStateError(key, location, `journal lines ${before + 1} to ${before + all.length} do not parse as one record each`);
}
