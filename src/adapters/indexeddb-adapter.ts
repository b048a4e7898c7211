import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { ConflictError, QuotaExceededError } from '../errors.js';
import { jsonCompatible } from './json-compatible.js';
import { assertValidKey } from './keys.js';
import type { StorageAdapter } from './storage-adapter.js';

export interface IndexedDbAdapterOptions {
  /** @default 'rx-persistent-store' */
  readonly dbName?: string;
  /** @default 'state' */
  readonly storeName?: string;
}

/** What is stored per key: the value, and a counter that makes writes conditional. */
interface StoredRecord {
  readonly version: number;
  readonly value: unknown;
}

/** The synchronous copy in localStorage: the value, and the version it was based on. */
interface SyncCopy {
  readonly base: number;
  readonly value: unknown;
}

// Safari, and any browser after sleep, may close the connection without telling (idb-keyval #165).
const isClosedConnection = (error: unknown): boolean => error instanceof DOMException && error.name === 'InvalidStateError';

/**
 * Keeps each key as one structured-clone record in IndexedDB (via idb-keyval). Whole snapshots,
 * not a journal: tabs of the same page share the data, and a snapshot written conditionally in
 * one IndexedDB transaction is what lets two tabs never overwrite each other unknowingly
 * (`ConflictError`; use `onConflict: 'rebase'`). Other tabs hear of each write through a
 * BroadcastChannel. When the page is closed, `writeSync` keeps a copy in localStorage, since an
 * IndexedDB write started then is often lost; the next open takes whichever copy is newer.
 *
 * @example
 * const store = await createPersistentStore({ key: 'READING_LIST', initial: { items: [] }, adapter: indexedDbAdapter(), onConflict: 'rebase' });
 */
export function indexedDbAdapter({ dbName = 'rx-persistent-store', storeName = 'state' }: IndexedDbAdapterOptions = {}): StorageAdapter {
  let useStore: UseStore = createStore(dbName, storeName);
  const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(`rx-persistent-store:${dbName}:${storeName}`);
  (channel as { unref?: () => void } | undefined)?.unref?.(); // Node: a channel must not keep the process alive
  /** The version of each key as this tab last read or wrote it. */
  const seen = new Map<string, number>();
  const syncKey = (key: string) => `rx-persistent-store:${dbName}:${storeName}:${key}`;
  const where = (key: string) => `indexedDB ${dbName}/${storeName}/${key}`;

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

  const readSync = (key: string): SyncCopy | undefined => {
    try {
      const text = globalThis.localStorage?.getItem(syncKey(key));
      return text ? (JSON.parse(text) as SyncCopy) : undefined;
    } catch {
      return undefined; // an unreadable emergency copy is no worse than none
    }
  };
  const dropSync = (key: string): void => globalThis.localStorage?.removeItem(syncKey(key));

  /** Puts `value` if the stored version is still `expected`, in one transaction. */
  const putIf = (key: string, value: unknown, expected: number): Promise<number> =>
    run('readwrite', (store) => {
      let conflict = false;
      let failure: unknown;
      const request = store.get(key);
      request.onsuccess = () => {
        const current = request.result as StoredRecord | undefined;
        try {
          if ((current?.version ?? 0) !== expected) conflict = true;
          else store.put({ version: expected + 1, value } satisfies StoredRecord, key);
        } catch (error) {
          failure = error; // e.g. a DataCloneError, or a quota error raised at once
        }
        if (conflict || failure !== undefined) store.transaction.abort();
      };
      return promisifyRequest(store.transaction).then(
        () => expected + 1,
        (error: unknown) => {
          if (conflict) throw new ConflictError(key, where(key));
          const cause = failure ?? error;
          if (cause instanceof DOMException && cause.name === 'QuotaExceededError') {
            throw new QuotaExceededError(key, JSON.stringify(value).length, { cause });
          }
          throw cause;
        },
      );
    });

  return {
    name: 'indexeddb',
    locate: where,
    async read(key) {
      assertValidKey(key);
      const record = await run('readonly', (store) => promisifyRequest(store.get(key) as IDBRequest<StoredRecord | undefined>));
      const version = record?.version ?? 0;
      seen.set(key, version);
      const copy = readSync(key);
      // A copy written on page close, after the last durable write we know of, is the newer one.
      if (copy !== undefined && copy.base >= version) return copy.value;
      return record?.value;
    },
    async write(key, value) {
      assertValidKey(key);
      const version = await putIf(key, jsonCompatible(value), seen.get(key) ?? 0);
      seen.set(key, version);
      dropSync(key);
      channel?.postMessage({ key });
    },
    async delete(key) {
      assertValidKey(key);
      await run('readwrite', (store) => (store.delete(key), promisifyRequest(store.transaction)));
      seen.set(key, 0);
      dropSync(key);
      channel?.postMessage({ key });
    },
    async rename(key, toKey) {
      assertValidKey(key);
      assertValidKey(toKey);
      const record = await run('readonly', (store) => promisifyRequest(store.get(key) as IDBRequest<StoredRecord | undefined>));
      if (record === undefined) return;
      await putIf(toKey, record.value, 0); // create-if-absent: never replaces
      await run('readwrite', (store) => (store.delete(key), promisifyRequest(store.transaction)));
      seen.set(key, 0);
    },
    writeSync(key, value) {
      try {
        globalThis.localStorage?.setItem(syncKey(key), JSON.stringify({ base: seen.get(key) ?? 0, value } satisfies SyncCopy));
      } catch {
        // over the localStorage quota: the asynchronous write is all there is
      }
    },
    watch(key, onChange) {
      if (channel === undefined) return () => undefined;
      const listener = (event: MessageEvent<{ key?: string }>) => {
        if (event.data?.key === key) onChange();
      };
      channel.addEventListener('message', listener);
      return () => channel.removeEventListener('message', listener);
    },
  };
}
