/** One stored record: its text, and what makes a later put conditional on it (an ETag, a revision). */
export interface StoredRecord {
  readonly text: string;
  readonly version: string | undefined;
}

/** A name in a listing, with its text when the backend sends it along at no extra cost (etcd). */
export interface ListedRecord {
  readonly name: string;
  readonly text?: string;
}

/**
 * The few operations a backend must offer for a key to be kept as a log (see log-adapter.ts): a
 * flat namespace of small text records. Names are built from store keys and stay within the
 * Apify rule (1–256 of `a-zA-Z0-9!-_.'()`). Errors: `ConflictError` for a lost condition, typed
 * `PersistentStoreError`s otherwise, `retryable: false` for those retrying cannot fix.
 *
 * @example
 * // On a key-value client of your own (`kv`) where the last writer wins: one writer per key.
 * const records: RecordStore = {
 *   name: 'kv',
 *   locate: (name) => `kv:${name}`,
 *   maxRecordBytes: 1024 * 1024,
 *   atomicCreate: false,
 *   get: async (name) => {
 *     const text = await kv.get(name);
 *     return text === null ? undefined : { text, version: undefined };
 *   },
 *   put: async (name, text) => void (await kv.set(name, text)),
 *   delete: (name) => kv.del(name),
 * };
 * const store = await createPersistentStore({ key: 'STATE', initial, adapter: logAdapter(records) });
 */
export interface RecordStore {
  /** For messages, e.g. `"etcd"`. */
  readonly name: string;
  /** Where a record lives, for messages; no credentials. */
  locate(name: string): string;
  /** The largest record text, in UTF-8 bytes, that one request can carry (encodings and envelopes accounted for). */
  readonly maxRecordBytes: number;
  /**
   * True when `put(name, text, null)` is an atomic create-if-absent (etcd, WebDAV with Apache,
   * IndexedDB): several writers can then share a key. False when the last writer wins (Apify).
   */
  readonly atomicCreate: boolean;
  /** The record, or undefined when absent. */
  get(name: string): Promise<StoredRecord | undefined>;
  /**
   * Stores `text` under `name`. `expected` a version: only if the record still is that version;
   * null: only if absent; undefined: unconditionally. A lost condition throws `ConflictError`.
   * Resolves to the new version, when known.
   */
  put(name: string, text: string, expected: string | null | undefined): Promise<string | undefined>;
  /**
   * Creates `name` if absent, then reads `then`, in one atomic step where the backend can (an
   * etcd transaction, an IndexedDB transaction). `created: false` when `name` existed (nothing
   * written). Without it the log adapter sends `put(name, text, null)` then `get(then)`.
   */
  createThenGet?(name: string, text: string, then: string): Promise<{ created: boolean; then: StoredRecord | undefined }>;
  /** Removes `name`; an absent one is not an error. */
  delete(name: string): Promise<void>;
  /**
   * Every record whose name starts with `prefix`, in any order; with `after`, those not named after it
   * in code-unit order may be left out (a hint that spares a catching-up writer the records it has).
   * Optional: without it the log adapter finds a key's journal segments one after the other, and
   * leaves orphans in place.
   */
  list?(prefix: string, after?: string): Promise<ListedRecord[]>;
}
