import { describe, expect, test } from '@jest/globals';
import { formatRecords, journalEnd, parseJournal } from '../../src/adapters/journal-text.js';
import { CorruptStateError } from '../../src/errors.js';

const record = (seq: number, text = `page ${seq}`): { seq: number; ops: unknown[] } => ({ seq, ops: [{ op: 'replace', path: ['note'], value: text }] });
/** More bytes than one parse takes at a time (8 MiB), as text and as bytes. */
const CHUNKS = 9 << 20;

function parseBoth(text: string): unknown[] {
  const fromText = parseJournal(text, 'K', 'K.journal');
  expect(JSON.stringify(parseJournal(Buffer.from(text), 'K', 'K.journal'))).toBe(JSON.stringify(fromText));
  return fromText;
}

function corruption(text: string): CorruptStateError {
  for (const journal of [text, Buffer.from(text)]) {
    try {
      parseJournal(journal, 'K', 'K.journal');
    } catch (error) {
      expect(error).toBeInstanceOf(CorruptStateError);
      return error as CorruptStateError;
    }
  }
  throw new Error('parsed without an error');
}

describe('parseJournal', () => {
  test('reads each whole line as one record, in order, up to a torn tail or the room of zeros', () => {
    const records = [record(1), record(2, 'a "quoted"\nline, with \u2028 and é'), record(3)];
    const text = formatRecords(records);
    expect(parseBoth(text)).toEqual(records);
    expect(parseBoth(`${text}{"seq":4,"op`)).toEqual(records);
    expect(parseBoth(`${text}\0\0\0{"seq":9,"ops":[]}\n`)).toEqual(records);
    expect(parseBoth('')).toEqual([]);
    expect(journalEnd(`${text}{"se`)).toBe(text.length);
  });

  test('a journal of several chunks reads whole, the records on both sides of each cut included', () => {
    const records = Array.from({ length: Math.ceil(CHUNKS / 60) }, (_, i) => record(i + 1));
    const text = formatRecords(records);
    expect(text.length).toBeGreaterThan(CHUNKS);
    // Compared as text: jest's deep equality takes seconds on 150,000 records.
    expect(JSON.stringify(parseBoth(text))).toBe(JSON.stringify(records));
  });

  test('one record longer than a chunk reads whole, with the records around it', () => {
    const records = [record(1), record(2, 'x'.repeat(CHUNKS)), record(3)];
    expect(JSON.stringify(parseBoth(formatRecords(records)))).toBe(JSON.stringify(records));
  });

  test('a line that is not one JSON value is corruption, named by its line', () => {
    const good = formatRecords([record(1), record(2)]);
    expect(corruption(`${good}{"seq": 3, oops\n${formatRecords([record(4)])}`).message).toMatch(/journal line 3 is not valid JSON/);
    // A newline turned into a comma: two records on one line parse as a list, never as one line each.
    const joined = formatRecords([record(3), record(4)]).replace('\n', ',');
    expect(corruption(good + joined).message).toMatch(/journal line 3 is not valid JSON/);
    expect(corruption(`${good}\n${formatRecords([record(3)])}`).message).toMatch(/journal line 3 is not valid JSON/);
  });

  test('a bad line past the first chunk is named by its line in the whole journal', () => {
    const records = Array.from({ length: Math.ceil(CHUNKS / 60) }, (_, i) => record(i + 1));
    const text = `${formatRecords(records)}[1,\n${formatRecords([record(records.length + 1)])}`;
    expect(corruption(text).message).toMatch(new RegExp(`journal line ${records.length + 1} is not valid JSON`));
  });
});
