import { describe, expect, test } from '@jest/globals';
import { formatRecords, journalEnd, parseJournal } from '../../src/adapters/journal-text.js';
import { CorruptStateError } from '../../src/errors.js';

const record = (seq: number, text = `page ${seq}`): { seq: number; ops: unknown[] } => ({ seq, ops: [{ op: 'replace', path: ['note'], value: text }] });
/** 9 MiB: more than one piece of bytes decoded at a time (8 MiB). */
const LARGE = 9 << 20;

function parseBoth(text: string): unknown[] {
  const fromText = parseJournal(text, 'K', 'K.journal');
  expect(JSON.stringify(parseJournal(Buffer.from(text), 'K', 'K.journal'))).toBe(JSON.stringify(fromText));
  return fromText;
}

/** The error parsing `text` throws, the same read as text and as bytes. */
function corruption(text: string): CorruptStateError {
  const [fromText, fromBytes] = [text, Buffer.from(text)].map((journal) => {
    try {
      parseJournal(journal, 'K', 'K.journal');
    } catch (error) {
      expect(error).toBeInstanceOf(CorruptStateError);
      return error as CorruptStateError;
    }
    throw new Error(`parsed without an error, as ${typeof journal === 'string' ? 'text' : 'bytes'}`);
  });
  expect(fromBytes!.message).toBe(fromText!.message);
  return fromText!;
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

  test('a large journal reads whole', () => {
    const records = Array.from({ length: Math.ceil(LARGE / 60) }, (_, i) => record(i + 1));
    const text = formatRecords(records);
    expect(text.length).toBeGreaterThan(LARGE);
    // Compared as text: jest's deep equality takes seconds on 150,000 records.
    expect(JSON.stringify(parseBoth(text))).toBe(JSON.stringify(records));
  });

  test('one record of 9 MiB reads whole, with the records around it', () => {
    const records = [record(1), record(2, 'x'.repeat(LARGE)), record(3)];
    expect(JSON.stringify(parseBoth(formatRecords(records)))).toBe(JSON.stringify(records));
  });

  test('a line that is not one JSON value is corruption, named by its line', () => {
    const good = formatRecords([record(1), record(2)]);
    expect(corruption(`${good}{"seq": 3, oops\n${formatRecords([record(4)])}`).message).toMatch(/journal line 3 is not valid JSON/);
    // A newline turned into a comma: two records on one line parse as a list, never as one line each.
    const joined = formatRecords([record(3), record(4)]).replace('\n', ',');
    expect(corruption(good + joined).message).toMatch(/journal line 3 is not valid JSON/);
    expect(corruption(`${good}\n${formatRecords([record(3)])}`).message).toMatch(/journal line 3 is not valid JSON/);
    // Damage on two lines that makes up for itself: a newline within a value, a comma where one ended.
    const broken = `${good}{"seq":3,"ops":[{"op":"replace","path":["n"],"value":[1\n2]}]},{"seq":4,"ops":[]}\n`;
    expect(corruption(broken).message).toMatch(/journal line 3 is not valid JSON/);
    // A byte order mark is no JSON, at the start or further on, read as text or as bytes.
    expect(corruption(`\uFEFF${good}`).message).toMatch(/journal line 1 is not valid JSON/);
    expect(corruption(`${good}\uFEFF${formatRecords([record(3)])}`).message).toMatch(/journal line 3 is not valid JSON/);
  });

  test('a bad line deep in a large journal is named by its line', () => {
    const records = Array.from({ length: Math.ceil(LARGE / 60) }, (_, i) => record(i + 1));
    const text = `${formatRecords(records)}[1,\n${formatRecords([record(records.length + 1)])}`;
    expect(corruption(text).message).toMatch(new RegExp(`journal line ${records.length + 1} is not valid JSON`));
  });
});
