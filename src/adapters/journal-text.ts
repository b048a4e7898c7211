import { CorruptStateError } from '../errors.js';

/** Journal records as text: one JSON document per line. */
export function formatRecords(records: readonly unknown[]): string {
  let text = '';
  for (const record of records) text += `${JSON.stringify(record)}\n`;
  return text;
}

/**
 * Parses journal text. Only the tail after the last newline can be torn by a crash (an append
 * writes its newline last), so it is left out; any whole line that does not parse is corruption.
 */
export function parseJournal(text: string, key: string, location: string): unknown[] {
  const end = text.lastIndexOf('\n') + 1;
  const records: unknown[] = [];
  let start = 0;
  let line = 1;
  while (start < end) {
    const stop = text.indexOf('\n', start);
    try {
      records.push(JSON.parse(text.slice(start, stop)));
    } catch (error) {
      throw new CorruptStateError(key, location, `journal line ${line} is not valid JSON (${(error as Error).message})`, { cause: error });
    }
    start = stop + 1;
    line++;
  }
  return records;
}
