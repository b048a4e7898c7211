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
 * Parses a journal, as text or as its bytes, line by line, up to `journalEnd`: bytes are never
 * decoded whole, so a journal larger than the longest string an engine can hold (about 512 MB in
 * V8) still reads. Any whole line that is not one JSON value is corruption, named by its number.
 * (Many lines parsed as one JSON list, checked by its count, saved 5 to 10 ms on 10,000 records;
 * but damage on two lines could make up for each other and pass as records nobody wrote.)
 *
 * @example parseJournal(Buffer.from('{"seq":1}\n{"se'), 'K', 'K.json.journal'); // [{ seq: 1 }]
 */
export function parseJournal(journal: string | Uint8Array, key: string, location: string): unknown[] {
  const records: unknown[] = [];
  const text = typeof journal === 'string';
  const end = journalEnd(journal);
  let start = 0;
  let line = 1;
  while (start < end) {
    const stop = text ? journal.indexOf('\n', start) : journal.indexOf(NEWLINE, start);
    const source = text ? journal.slice(start, stop) : (decoder ??= new TextDecoder()).decode(journal.subarray(start, stop));
    try {
      records.push(JSON.parse(source));
    } catch (error) {
      throw new CorruptStateError(key, location, `journal line ${line} is not valid JSON (${(error as Error).message})`, { cause: error });
    }
    start = stop + 1;
    line++;
  }
  return records;
}
