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
 * Parses a journal, as text or as its bytes, line by line: bytes are never decoded whole, so a
 * journal larger than the longest string an engine can hold (about 512 MB in V8) still reads.
 * Only the tail after the last newline can be torn by a crash (an append writes its newline
 * last), so it is left out; any whole line that does not parse is corruption.
 *
 * @example parseJournal(Buffer.from('{"seq":1}\n{"se'), 'K', 'K.json.journal'); // [{ seq: 1 }]
 */
export function parseJournal(journal: string | Uint8Array, key: string, location: string): unknown[] {
  const records: unknown[] = [];
  const text = typeof journal === 'string';
  const end = text ? journal.lastIndexOf('\n') + 1 : journal.lastIndexOf(NEWLINE) + 1;
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
