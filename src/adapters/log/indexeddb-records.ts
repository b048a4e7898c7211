import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { ConflictError, CorruptStateError, QuotaExceededError, StorageError, ValueTooLargeError } from '../../errors.js';
import type { ListedRecord, RecordStore, StoredRecord } from './record-store.js';

export interface IndexedDbRecordsOptions {
  /** @default 'rx-persistent-store' */
  readonly dbName?: string;
  /** @default 'state' */
  readonly storeName?: string;
}

export interface IndexedDbRecords extends RecordStore {
  readonly atomicCreate: true;
  createThenGet(name: string, text: string, then: string): Promise<{ created: boolean; then: StoredRecord | undefined }>;
  list(prefix: string, after?: string): Promise<ListedRecord[]>;
  /** Closes the database connection (another tab's upgrade or deletion is no longer blocked); a later call opens it again. */
  close(): Promise<void>;
}

/** A record as this module stores it: the text, and a counter raised by each put. */
interface LogRecord {
  readonly v: number;
  readonly text: string;
}

/** A record written by indexedDbAdapter (one structured clone per key), still readable here. */
interface LegacyRecord {
  readonly version: number;
  readonly value: unknown;
}

/**
 * Chrome refused structured clones over 127 MiB (before it moved large values to blobs), Firefox
 * refuses them over 255 MiB. A text serialises as UTF-16 once it holds a non-Latin-1 character,
 * so 32 MiB of UTF-8 stays under both caps with room to spare; larger records would only raise
 * the memory peak of one write, since the log adapter chunks snapshots anyway.
 */
const MAX_RECORD_BYTES = 32 * 1024 * 1024;

const LEGACY = 'legacy:';

// Safari, and any browser after sleep, may close the connection without telling (idb-keyval #165).
const isClosedConnection = (error: unknown): boolean => error instanceof DOMException && error.name === 'InvalidStateError';
const isQuotaError = (error: unknown): boolean => error instanceof DOMException && error.name === 'QuotaExceededError';
const isLogRecord = (stored: unknown): stored is LogRecord =>
  typeof stored === 'object' && stored !== null && typeof (stored as LogRecord).v === 'number' && typeof (stored as LogRecord).text === 'string';
const isLegacyRecord = (stored: unknown): stored is LegacyRecord =>
  typeof stored === 'object' && stored !== null && typeof (stored as LegacyRecord).version === 'number' && 'value' in stored;

/** The version a conditional put names: the counter, or the legacy adapter's counter marked as such. */
const versionOf = (stored: unknown): string | undefined =>
  isLogRecord(stored) ? String(stored.v) : isLegacyRecord(stored) ? `${LEGACY}${stored.version}` : undefined;
/** Each put raises the counter (a legacy one included), so a version seen goes stale at the next put. */
const nextCounter = (stored: unknown): number => (isLogRecord(stored) ? stored.v : isLegacyRecord(stored) ? stored.version : 0) + 1;

/**
 * A `RecordStore` over one IndexedDB object store (by default the one `indexedDbAdapter` uses),
 * one record per name, `{ v, text }`. Each operation is one transaction, so a conditional put
 * and `createThenGet` are atomic across tabs: IndexedDB runs read-write transactions on the same
 * store one after the other. Records the whole-snapshot adapter wrote read as their JSON text.
 *
 * @example
 * const records = indexedDbRecords();
 * await records.put('READING_LIST(rxps)seg.1', text, null); // ConflictError if another tab wrote it first
 */
export function indexedDbRecords({ dbName = 'rx-persistent-store', storeName = 'state' }: IndexedDbRecordsOptions = {}): IndexedDbRecords {
  let useStore: UseStore = createStore(dbName, storeName);
  const where = (name: string) => `indexedDB ${dbName}/${storeName}/${name}`;

  /** Runs a transaction, reopening the database once if the browser closed it. */
  const run = async <T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => Promise<T>): Promise<T> => {
    try {
      return await useStore(mode, work);
    } catch (error) {
      if (!isClosedConnection(error)) throw error;
      useStore = createStore(dbName, storeName);
      return useStore(mode, work);
    }
  };

  /** The text and version of a stored value; a value of neither shape is refused, never guessed at. */
  const decode = (name: string, stored: unknown): StoredRecord | undefined => {
    if (stored === undefined) return undefined;
    if (isLogRecord(stored)) return { text: stored.text, version: String(stored.v) };
    if (isLegacyRecord(stored)) {
      let text: string | undefined;
      try {
        text = JSON.stringify(stored.value);
      } catch (error) {
        throw new CorruptStateError(name, where(name), 'a record of the whole-snapshot adapter that JSON cannot hold', { cause: error });
      }
      if (text === undefined) throw new CorruptStateError(name, where(name), 'a record of the whole-snapshot adapter without a value');
      return { text, version: `${LEGACY}${stored.version}` };
    }
    throw new CorruptStateError(name, where(name), 'neither a log record ({ v, text }) nor one of the whole-snapshot adapter ({ version, value })');
  };

  const refuseTooLarge = (name: string, text: string): void => {
    if (text.length * 3 <= MAX_RECORD_BYTES) return; // no UTF-16 unit takes more than 3 bytes in UTF-8
    const bytes = new TextEncoder().encode(text).length;
    if (bytes > MAX_RECORD_BYTES) throw new ValueTooLargeError(name, bytes, MAX_RECORD_BYTES, 'IndexedDB (records)');
  };

  /**
   * One read-write transaction: reads `name`, lets `decide` write (or not) from what it found,
   * and resolves with `decide`'s answer once the transaction committed. What `decide` or the put
   * throws (a DataCloneError, a quota error raised at once) aborts the transaction.
   */
  const readThenWrite = <T>(name: string, text: string, decide: (store: IDBObjectStore, current: unknown) => () => T): Promise<T> =>
    run('readwrite', (store) => {
      let answer: (() => T) | undefined;
      let failure: unknown;
      const request = store.get(name);
      request.onsuccess = () => {
        try {
          answer = decide(store, request.result);
        } catch (error) {
          failure = error;
          store.transaction.abort();
        }
      };
      return promisifyRequest(store.transaction).then(
        () => answer!(),
        (error: unknown) => {
          const cause = failure ?? error;
          if (isQuotaError(cause)) throw new QuotaExceededError(name, new TextEncoder().encode(text).length, { cause });
          if (cause == null) throw new StorageError(where(name), undefined, `IndexedDB aborted the write to ${where(name)} without giving a reason`);
          throw cause;
        },
      );
    });

  return {
    name: 'indexeddb',
    locate: where,
    maxRecordBytes: MAX_RECORD_BYTES,
    atomicCreate: true,

    async get(name) {
      const stored = await run('readonly', (store) => promisifyRequest(store.get(name) as IDBRequest<unknown>));
      return decode(name, stored);
    },

    async put(name, text, expected) {
      refuseTooLarge(name, text);
      return readThenWrite(name, text, (store, current) => {
        const holds = expected === undefined || (expected === null ? current === undefined : versionOf(current) === expected);
        if (!holds) throw new ConflictError(name, where(name));
        const v = nextCounter(current);
        store.put({ v, text } satisfies LogRecord, name);
        return () => String(v);
      });
    },

    async createThenGet(name, text, then) {
      refuseTooLarge(name, text);
      return readThenWrite(name, text, (store, current) => {
        const created = current === undefined;
        if (created) store.put({ v: 1, text } satisfies LogRecord, name);
        // Requested in the same transaction: it sees this put, or the record that stopped it.
        const read = store.get(then);
        return () => ({ created, then: decode(then, read.result) });
      });
    },

    async delete(name) {
      await run('readwrite', (store) => (store.delete(name), promisifyRequest(store.transaction)));
    },

    async list(prefix, after) {
      // Every UTF-16 unit sorts at or below \uffff, and names use printable ASCII only.
      const range = after !== undefined && after > prefix ? IDBKeyRange.bound(after, `${prefix}\uffff`, true) : IDBKeyRange.bound(prefix, `${prefix}\uffff`);
      const [keys, values] = await run('readonly', (store) =>
        Promise.all([promisifyRequest(store.getAllKeys(range)), promisifyRequest(store.getAll(range) as IDBRequest<unknown[]>)]),
      );
      // Both requests ran in one transaction, in key order: the i-th value is the i-th key's.
      const listed: ListedRecord[] = [];
      keys.forEach((key, i) => {
        const record = decode(String(key), values[i]); // undefined for a stored `undefined`, which get() calls absent too
        if (record !== undefined) listed.push({ name: String(key), text: record.text });
      });
      return listed;
    },

    async close() {
      const db = await run('readonly', (store) => Promise.resolve(store.transaction.db));
      db.close();
    },
  };
}
