import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultStorageDir, fileAdapter } from '../adapters/file-adapter.js';
import { assertValidKey } from '../adapters/keys.js';
import { errorMessage } from '../errors.js';
import { unwrap } from '../store/envelope.js';
import { restore } from '../store/hydrate.js';
import { CommandError, UsageError } from './cli-error.js';
import { plainState, previewState } from './state-preview.js';

export const INSPECT_USAGE = `usage: rx-persistent-store inspect <key-or-file> [--dir DIR] [--json]

Prints what a store on the file adapter holds: version, when it was saved, its size, its
journal, and the state (the journal replayed). Reads only; never changes a file.

  --dir DIR   the key-value store folder (default $CRAWLEE_STORAGE_DIR/key_value_stores/default
              or ./storage/key_value_stores/default)
  --json      print everything as JSON, the whole state included`;

export interface Inspection {
  readonly key: string;
  readonly file: string;
  readonly bytes: number;
  /** `null` for a bare value stored without the envelope (Crawlee's `useState`, `Actor.setValue`). */
  readonly version: number | null;
  readonly savedAt: string | null;
  readonly journal: { readonly records: number; readonly bytes: number; readonly replayed: number };
  readonly state: unknown;
}

const fileSize = (file: string): Promise<number> => fs.stat(file).then((s) => s.size, () => 0);

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
export async function inspectStore(target: string, dir?: string): Promise<Inspection> {
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
    const decoded = unwrap(stored, key, file);
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
    const savedAt = decoded.unversioned ? null : ((stored as { savedAt?: unknown }).savedAt as string | undefined) ?? null;
    return {
      key,
      file,
      bytes: await fileSize(file),
      version: decoded.unversioned ? null : decoded.version,
      savedAt,
      journal: { records: journal.length, bytes: await fileSize(`${file}.journal`), replayed: restored.seq - decoded.seq },
      state: restored.state,
    };
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(`${key}: ${errorMessage(error)}`);
  }
}

const size = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** The report `inspect` prints, as lines. */
export function formatInspection(found: Inspection): string {
  const rows: Array<[string, string]> = [
    ['store', found.key],
    ['file', `${found.file} (${size(found.bytes)})`],
    ['version', found.version === null ? 'none: a bare value, not written by this library (read as version 0)' : String(found.version)],
  ];
  if (found.savedAt) rows.push(['saved at', found.savedAt]);
  rows.push(['journal', found.journal.records === 0 ? 'empty' : `${found.journal.records} records, ${size(found.journal.bytes)}; ${found.journal.replayed} newer than the snapshot, replayed below`]);
  const lines = rows.map(([name, value]) => `${name.padEnd(9)}${value}`);
  lines.push('state', JSON.stringify(previewState(found.state), null, 2));
  return lines.join('\n');
}

/** `inspect`: parses its arguments, prints the report (or JSON); returns the text to print. */
export async function runInspect(argv: readonly string[]): Promise<string> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { dir: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new UsageError(`inspect: ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return INSPECT_USAGE;
  if (positionals.length !== 1) throw new UsageError(`inspect: expected one key or file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  const found = await inspectStore(positionals[0]!, values.dir);
  return values.json ? JSON.stringify({ ...found, state: plainState(found.state) }, null, 2) : formatInspection(found);
}
