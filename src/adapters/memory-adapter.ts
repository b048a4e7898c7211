import { CorruptStateError, StoreLockedError, TargetExistsError } from '../errors.js';
import { formatRecords, parseJournal } from './journal-text.js';
import { assertValidKey } from './keys.js';
import type { StorageAdapter } from './storage-adapter.js';

/**
 * Options of `memoryAdapter`.
 *
 * @example
 * const records = new Map<string, string>();
 * await (await createPersistentStore({ key: 'S', initial: { n: 1 }, adapter: memoryAdapter({ records }) })).close();
 * const again = await createPersistentStore({ key: 'S', initial: { n: 0 }, adapter: memoryAdapter({ records }) }); // restored: n is 1
 */
export interface MemoryAdapterOptions {
  /**
   * The map that holds the stored JSON texts: a key's snapshot under the key, its journal under
   * `<key>#journal` (`#` never occurs in a key). Pass the same map to several adapters to
   * simulate a restart within one process.
   * @default a new, empty Map
   */
  readonly records?: Map<string, string>;
}

const journalOf = (key: string): string => `${key}#journal`;

/**
 * Keeps values as JSON text in a `Map`, so they round-trip exactly like on disk:
 * no shared references, and what JSON drops is dropped here too. Journals like the file adapter.
 * For tests and short jobs.
 *
 * @example
 * const store = await createPersistentStore({ key: 'S', initial: { n: 0 }, adapter: memoryAdapter() });
 */
export function memoryAdapter({ records = new Map<string, string>() }: MemoryAdapterOptions = {}): StorageAdapter {
  const locked = new Set<string>();
  /** The journal text this adapter last wrote, per key: known to end on a whole record. */
  const appended = new Map<string, string>();
  const move = (from: string, to: string): void => {
    const text = records.get(from);
    if (text === undefined) return;
    records.set(to, text);
    records.delete(from);
  };
  return {
    name: 'memory',
    locate: (key) => `memory:${key}`,
    async lock(key) {
      assertValidKey(key);
      if (locked.has(key)) throw new StoreLockedError(key, 'on this memory adapter.');
      locked.add(key);
      return async () => void locked.delete(key);
    },
    async read(key) {
      assertValidKey(key);
      const text = records.get(key);
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new CorruptStateError(key, `memory:${key}`, (error as Error).message, { cause: error });
      }
    },
    async write(key, value) {
      assertValidKey(key);
      records.set(key, JSON.stringify(value));
      records.delete(journalOf(key));
    },
    async delete(key) {
      assertValidKey(key);
      records.delete(key);
      records.delete(journalOf(key));
    },
    async rename(key, toKey) {
      assertValidKey(key);
      assertValidKey(toKey);
      if (records.has(toKey) || records.has(journalOf(toKey))) {
        throw new TargetExistsError(key, `"${toKey}"`);
      }
      move(key, toKey);
      move(journalOf(key), journalOf(toKey));
    },
    async append(key, entries) {
      assertValidKey(key);
      const text = records.get(journalOf(key)) ?? '';
      // Drop a torn tail first, as a file would be truncated. Text we wrote ourselves is whole:
      // skipping the check keeps appends O(1) (it would flatten the growing string each time).
      const whole = text === appended.get(key) || text === '' || text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
      const next = whole + formatRecords(entries);
      records.set(journalOf(key), next);
      appended.set(key, next);
    },
    async readJournal(key, after) {
      assertValidKey(key);
      const journal = parseJournal(records.get(journalOf(key)) ?? '', key, `memory:${journalOf(key)}`);
      if (after === undefined) return journal;
      // Catching up (a test sharing one map between stores): nothing, if a snapshot took the records in.
      const snapshotSeq = (JSON.parse(records.get(key) ?? '{}') as { seq?: number }).seq ?? 0;
      return snapshotSeq > after ? undefined : journal.filter((record) => (record as { seq: number }).seq > after);
    },
  };
}
