import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { openRegularFile } from '../adapters/durable-file.js';
import { defaultStorageDir, fileAdapter, wholeRecordsEnd } from '../adapters/file-adapter.js';
import { assertValidKey } from '../adapters/keys.js';
import { errorMessage } from '../errors.js';
import { unwrap } from '../store/envelope.js';
import { restore } from '../store/hydrate.js';
import type { LogHeadFacts } from '../adapters/log/log-adapter.js';
import type { StorageAdapter } from '../adapters/storage-adapter.js';
import { CommandError, UsageError } from './cli-error.js';
import { remoteTarget, type RemoteBackend, type RemoteTarget } from './inspect-remote.js';
import { plainState, previewState } from './state-preview.js';

export const INSPECT_USAGE = `usage: rx-persistent-store inspect <key-or-file> [--dir DIR] [--json]
       rx-persistent-store inspect <key> (--etcd URL [--prefix P] | --webdav URL | --apify [--store-id ID]) [--json]

Prints what a store holds: version, when it was saved, its size, its journal, and the state (the
journal replayed); on a remote backend, also what the key's head says (generation, snapshot,
journal segments). Reads only; never locks, migrates or writes.

  --dir DIR        the key-value store folder (default $CRAWLEE_STORAGE_DIR/key_value_stores/default
                   or ./storage/key_value_stores/default)
  --etcd URL       an etcd client URL, e.g. http://127.0.0.1:2379
  --prefix P       the prefix of etcd keys (default rx-persistent-store/)
  --webdav URL     a WebDAV collection URL, e.g. https://user:password@host/state
  --apify          the Apify key-value store: the token from APIFY_TOKEN, the store from
                   ACTOR_DEFAULT_KEY_VALUE_STORE_ID, the API at APIFY_API_BASE_URL
                   (default https://api.apify.com)
  --store-id ID    another Apify key-value store (an id, or username~store-name)
  --json           print everything as JSON, the whole state included

Credentials (the token, a URL's password) are never printed.`;

interface InspectionBase {
  readonly key: string;
  /** `null` for a bare value stored without the envelope (Crawlee's `useState`, `Actor.setValue`). */
  readonly version: number | null;
  readonly savedAt: string | null;
  readonly state: unknown;
}

export interface FileInspection extends InspectionBase {
  readonly file: string;
  readonly bytes: number;
  readonly journal: { readonly records: number; readonly bytes: number; readonly replayed: number };
}

export interface RemoteInspection extends InspectionBase {
  readonly backend: RemoteBackend;
  /** The head's URL, without credentials. */
  readonly location: string;
  /** What the head says; `null` for a value stored whole, not yet in the log layout (moved on the next write). */
  readonly log: LogHeadFacts | null;
  readonly journal: { readonly records: number; readonly replayed: number };
}

export type Inspection = FileInspection | RemoteInspection;

/** What any adapter holds under `key`, restored as a store would, without its lock, migration or writes. */
async function readThrough(adapter: StorageAdapter, key: string, stored: unknown, journal: readonly unknown[]) {
  const decoded = unwrap(stored, key, adapter.locate(key));
  const restored = await restore(stored, journal, {
    key,
    adapter,
    initial: undefined,
    schema: undefined,
    version: decoded.version,
    migrate: undefined,
    adoptUnversioned: true,
    onInvalidStored: 'throw',
  });
  return {
    version: decoded.unversioned ? null : decoded.version,
    savedAt: decoded.unversioned ? null : (((stored as { savedAt?: unknown }).savedAt as string | undefined) ?? null),
    replayed: restored.seq - decoded.seq,
    state: restored.state,
  };
}

/** Any failure but ours becomes a `CommandError` naming the key (remote messages come redacted). */
const asCommandError = (key: string, error: unknown): CommandError =>
  error instanceof CommandError ? error : new CommandError(`${key}: ${errorMessage(error)}`);

const fileSize = (file: string): Promise<number> =>
  fs.stat(file).then(
    (s) => s.size,
    () => 0,
  );

/** The bytes of a journal's whole records: its file has room of zeros past them (file-adapter.ts), which are not the journal's. */
async function journalBytes(file: string): Promise<number> {
  const handle = await openRegularFile(file, constants.O_RDONLY, 'read the journal').catch(() => undefined);
  if (handle === undefined) return 0;
  try {
    return await wholeRecordsEnd(handle);
  } finally {
    await handle.close();
  }
}

/** Where `<key-or-file>` points: a path to `<KEY>.json` (or its journal), else a key in `dir`. */
function locate(target: string, dir: string | undefined): { key: string; dir: string } {
  const file = /^(.*)\.json(\.journal)?$/.exec(target);
  if (file && (target.includes('/') || target.includes(path.sep) || dir === undefined)) {
    return { key: path.basename(file[1]!), dir: path.dirname(path.resolve(target)) };
  }
  try {
    assertValidKey(target);
  } catch (error) {
    throw new UsageError(`inspect: ${errorMessage(error)}`);
  }
  return { key: target, dir: path.resolve(dir ?? defaultStorageDir()) };
}

/** Reads a store without opening it: no lock, no migration, no schema, no write. */
export async function inspectStore(target: string, dir?: string): Promise<FileInspection> {
  const { key, dir: folder } = locate(target, dir);
  const adapter = fileAdapter({ dir: folder });
  const file = adapter.locate(key);
  try {
    const stored = await adapter.read(key);
    const journal = (await adapter.readJournal?.(key)) ?? [];
    if (stored === undefined) {
      const others = (await fs.readdir(folder).catch(() => [] as string[])).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -5));
      const hint = others.length > 0 ? `; stores there: ${others.slice(0, 10).join(', ')}${others.length > 10 ? ', …' : ''}` : '';
      if (journal.length > 0) throw new CommandError(`${key}: a journal but no snapshot in ${folder}: the store is damaged`);
      throw new CommandError(`no store ${JSON.stringify(key)} in ${folder} (no ${key}.json)${hint}`);
    }
    const read = await readThrough(adapter, key, stored, journal);
    return {
      key,
      file,
      bytes: await fileSize(file),
      version: read.version,
      savedAt: read.savedAt,
      journal: { records: journal.length, bytes: await journalBytes(`${file}.journal`), replayed: read.replayed },
      state: read.state,
    };
  } catch (error) {
    throw asCommandError(key, error);
  }
}

/** Reads a key on a remote backend without opening a store: a few GETs (and listings), no write. */
export async function inspectRemote(key: string, { backend, adapter }: RemoteTarget): Promise<RemoteInspection> {
  try {
    assertValidKey(key);
  } catch (error) {
    throw new UsageError(`inspect: ${errorMessage(error)}`);
  }
  const location = adapter.locate(key);
  try {
    const stored = await adapter.read(key);
    if (stored === undefined) throw new CommandError(`no store ${JSON.stringify(key)} on ${backend} (nothing at ${location})`);
    const journal = (await adapter.readJournal?.(key)) ?? [];
    const read = await readThrough(adapter, key, stored, journal);
    return {
      key,
      backend,
      location,
      log: adapter.headOf(key) ?? null,
      version: read.version,
      savedAt: read.savedAt,
      journal: { records: journal.length, replayed: read.replayed },
      state: read.state,
    };
  } catch (error) {
    throw asCommandError(key, error);
  }
}

const size = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 2 ** 20).toFixed(1)} MB`;

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The head's facts, on one line. */
function describeLog(log: LogHeadFacts | null): string {
  if (log === null) return 'a value stored whole, not yet a log (moved into one on the next write)';
  const snapshot = log.snapshot === 'inline' ? 'inline in the head' : `in ${plural(log.snapshot.chunks, 'chunk')}`;
  const closed = log.closedRanges === 0 ? '' : `, after ${plural(log.closedRanges, 'closed range')} of earlier writers`;
  return `generation ${log.generation}; snapshot up to record ${log.snapshotSeq}, ${snapshot}${closed}`;
}

/** The report `inspect` prints, as lines. */
export function formatInspection(found: Inspection): string {
  const rows: Array<[string, string]> = [['store', found.key]];
  if ('file' in found) rows.push(['file', `${found.file} (${size(found.bytes)})`]);
  else rows.push(['at', `${found.location} (${found.backend})`], ['log', describeLog(found.log)]);
  rows.push(['version', found.version === null ? 'none: a bare value, not written by this library (read as version 0)' : String(found.version)]);
  if (found.savedAt) rows.push(['saved at', found.savedAt]);
  const { records, replayed } = found.journal;
  const weight = 'bytes' in found.journal ? `, ${size(found.journal.bytes)}` : '';
  rows.push(['journal', records === 0 ? 'empty' : `${plural(records, 'record')}${weight}; ${replayed} newer than the snapshot, replayed below`]);
  const lines = rows.map(([name, value]) => `${name.padEnd(9)}${value}`);
  lines.push('state', JSON.stringify(previewState(found.state), null, 2));
  return lines.join('\n');
}

const INSPECT_OPTIONS = {
  dir: { type: 'string' },
  etcd: { type: 'string' },
  prefix: { type: 'string' },
  webdav: { type: 'string' },
  apify: { type: 'boolean' },
  'store-id': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `inspect`: parses its arguments, prints the report (or JSON); returns the text to print. */
export async function runInspect(argv: readonly string[]): Promise<string> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: INSPECT_OPTIONS });
  } catch (error) {
    throw new UsageError(`inspect: ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return INSPECT_USAGE;
  if (positionals.length !== 1) throw new UsageError(`inspect: expected one key or file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  const remote = remoteTarget(values);
  const found = remote ? await inspectRemote(positionals[0]!, remote) : await inspectStore(positionals[0]!, values.dir);
  return values.json ? JSON.stringify({ ...found, state: plainState(found.state) }, null, 2) : formatInspection(found);
}
