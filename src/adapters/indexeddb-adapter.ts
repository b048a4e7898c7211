import { ConflictError } from '../errors.js';
import { indexedDbRecords } from './log/indexeddb-records.js';
import { logAdapter } from './log/log-adapter.js';
import { assertValidKey } from './keys.js';
import type { StorageAdapter } from './storage-adapter.js';

/**
 * Options of `indexedDbAdapter`: the database and object store that hold the keys.
 *
 * @example
 * const adapter = indexedDbAdapter({ dbName: 'reading-list' });
 */
export interface IndexedDbAdapterOptions {
  /** @default 'rx-persistent-store' */
  readonly dbName?: string;
  /** @default 'state' */
  readonly storeName?: string;
}

/**
 * The copy `writeSync` keeps in localStorage: a snapshot envelope, with the number of its last
 * record, and `base`, the last record this tab knew stored when it wrote the copy (absent in copies
 * of earlier versions). Records past `base` in the copy may be numbers another tab stored first.
 */
interface SyncCopy {
  readonly value: { readonly seq: number };
  readonly base?: number;
}

/**
 * Keeps each key as a log in IndexedDB (via idb-keyval): a head, its snapshot, and one journal
 * segment per write, each written in one transaction, so a write costs the size of the change.
 * Tabs of the same page share a key: a segment is created only if absent, in the same
 * transaction that checks the head, so two tabs never both write one (`ConflictError`; use
 * `onConflict: 'rebase'`, which takes in the other tab's segments and writes on top). Other tabs
 * hear of each write through a BroadcastChannel. When the page is closed, `writeSync` keeps a
 * copy in localStorage, since an IndexedDB write started then is often lost; the next open takes
 * it when nothing newer was stored meanwhile, and stores it.
 *
 * @example
 * const store = await createPersistentStore({ key: 'READING_LIST', initial: { items: [] }, adapter: indexedDbAdapter(), onConflict: 'rebase' });
 */
export function indexedDbAdapter({ dbName = 'rx-persistent-store', storeName = 'state' }: IndexedDbAdapterOptions = {}): StorageAdapter {
  const log = logAdapter(indexedDbRecords({ dbName, storeName }));
  const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(`rx-persistent-store:${dbName}:${storeName}`);
  (channel as { unref?: () => void } | undefined)?.unref?.(); // Node: a channel must not keep the process alive
  const syncKey = (key: string) => `rx-persistent-store:${dbName}:${storeName}:${key}`;
  const announce = (key: string) => channel?.postMessage({ key });
  /** The journal read with the state, for the `readJournal` that follows `read`. */
  const journals = new Map<string, unknown[]>();
  /** Per key, the last record this tab read or wrote: what its page-close copy builds on. */
  const known = new Map<string, number>();
  const lastOf = (records: readonly unknown[] | undefined, otherwise: number): number => (records?.at(-1) as { seq?: number } | undefined)?.seq ?? otherwise;

  const readSync = (key: string): SyncCopy | undefined => {
    try {
      const text = globalThis.localStorage?.getItem(syncKey(key));
      const copy = text ? (JSON.parse(text) as Partial<SyncCopy>) : undefined;
      return typeof copy?.value?.seq === 'number' ? (copy as SyncCopy) : undefined;
    } catch {
      return undefined; // an unreadable emergency copy is no worse than none
    }
  };
  const dropSync = (key: string): void => globalThis.localStorage?.removeItem(syncKey(key));

  return {
    ...log,
    name: 'indexeddb',
    writeTiming: { debounceMs: 200, maxWaitMs: 1_000 },
    // localStorage holds about 5 million characters per origin in the common browsers.
    stateLimit: {
      bytes: 5_000_000,
      what: 'the about 5 MB of localStorage that holds the copy written as the page closes (past it, changes made just before a close can be lost)',
    },
    async read(key) {
      assertValidKey(key);
      const value = await log.read(key);
      const journal = (await log.readJournal!(key)) ?? [];
      const last = lastOf(journal, (value as { seq?: number } | undefined)?.seq ?? 0);
      const copy = readSync(key);
      // Only a copy built on everything stored: another tab's records, stored past what the closing
      // tab knew, may bear the numbers the copy gave its own changes, and are not in it.
      if (copy !== undefined && copy.value.seq >= last && (copy.base ?? copy.value.seq) >= last) {
        // Written as the page closed, after everything stored since: store it now, as the snapshot.
        try {
          await log.write(key, copy.value);
          dropSync(key);
          journals.set(key, []);
          known.set(key, copy.value.seq);
          announce(key);
          return copy.value;
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error; // another tab wrote meanwhile: its state is the newer one
          dropSync(key);
          return this.read(key);
        }
      }
      journals.set(key, journal);
      known.set(key, last);
      return value;
    },
    async readJournal(key, after) {
      const journal = after === undefined ? journals.get(key) : undefined;
      journals.delete(key);
      if (journal !== undefined) return journal;
      const read = await log.readJournal!(key, after);
      if (after !== undefined && read !== undefined) known.set(key, lastOf(read, after));
      return read;
    },
    async write(key, value) {
      await log.write(key, value);
      known.set(key, (value as { seq?: number } | null)?.seq ?? 0);
      dropSync(key);
      announce(key);
    },
    async append(key, records) {
      await log.append!(key, records);
      known.set(key, lastOf(records, known.get(key) ?? 0));
      dropSync(key);
      announce(key);
    },
    async delete(key) {
      await log.delete(key);
      known.delete(key);
      dropSync(key);
      announce(key);
    },
    writeSync(key, value) {
      try {
        // A tab that never read the key builds on nothing known: base -1 never wins.
        globalThis.localStorage?.setItem(syncKey(key), JSON.stringify({ value, base: known.get(key) ?? -1 } as { value: unknown; base: number }));
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
