import { ConflictError, CorruptStateError, InvalidOptionError, LockLostError, TargetExistsError } from '../../errors.js';
import { assertDuration } from '../../time/duration.js';
import { assertValidKey } from '../keys.js';
import type { StorageAdapter } from '../storage-adapter.js';
import { inParallel } from './in-parallel.js';
import { stringifyInSlices } from './json-in-slices.js';
import { HEAD_FORMAT, isLogHead, whyNotLogHead, type ClosedRange, type LogHead, type SnapshotRef } from './log-head.js';
import { hash, logIdTime, logNames, newLogId, type LogNames } from './log-names.js';
import { parseSegment, piecesText, segmentText, type LogRecord, type Segment } from './log-segment.js';
import { splitUtf8 } from './split-utf8.js';
import type { RecordStore, StoredRecord } from './record-store.js';

/**
 * Options of `logAdapter`: how a key's log is laid out on its `RecordStore`.
 *
 * @example
 * const adapter = logAdapter(records, { inlineBytes: 64 * 1024, concurrency: 8 });
 */
export interface LogAdapterOptions {
  /** Snapshots up to this many bytes of JSON are kept inside the head: one request to open. @default 262144 (256 KiB) */
  readonly inlineBytes?: number;
  /** Requests sent at once for chunks, segments and clean-up. @default 4 */
  readonly concurrency?: number;
  /** Journal records after which the store folds the journal into a snapshot, bounding the requests of an open. @default 1000 */
  readonly compactAfterRecords?: number;
  /**
   * On a shared backend, chunks no head names (left by a compaction that crashed, or lost a race)
   * are removed once older than this: a younger one may belong to a compaction still under way.
   * `Infinity` keeps them forever.
   * @default 3600000 (1 h)
   */
  readonly orphanAgeMs?: number;
  /** Passed on as the adapter's `writeTiming` (see StorageAdapter). @default the store's own default */
  readonly writeTiming?: StorageAdapter['writeTiming'];
  /** Passed on as the adapter's `stateLimit` (see StorageAdapter). @default no limit */
  readonly stateLimit?: StorageAdapter['stateLimit'];
}

/** What a key's head says: for inspection (`rx-persistent-store inspect`). */
export interface LogHeadFacts {
  /** The generation whose own segments follow the head's closed ranges. */
  readonly generation: string;
  /** The last journal record the snapshot holds. */
  readonly snapshotSeq: number;
  /** Where the snapshot is: inside the head, or cut into this many chunks. */
  readonly snapshot: 'inline' | { readonly chunks: number };
  /** Earlier writers' ranges of segments, replayed before the generation's own. */
  readonly closedRanges: number;
  readonly savedAt: string;
}

/** A `StorageAdapter` that keeps each key as a log, and tells what a key's head says. */
export interface LogStorageAdapter extends StorageAdapter {
  /**
   * The facts of the head the last `read(key)` found; `undefined` before a read, for a missing
   * key, or for a value stored whole (by Crawlee or an earlier version: moved into the log on the
   * next write). Sends no request.
   */
  headOf(key: string): LogHeadFacts | undefined;
}

/** What this adapter knows of one key's log. */
interface KeyLog {
  readonly names: LogNames;
  /** The head as last read or written; undefined when absent or when the key holds a value stored whole. */
  head: LogHead | undefined;
  /** The head record as last seen (text and version), to tell whether another writer changed it; undefined: absent. */
  headRecord: StoredRecord | undefined;
  /** A value stored whole (by an earlier version, or by Crawlee): moved into the layout on the first write. */
  legacy: string | undefined;
  /** The last journal record known to be stored, by any writer. */
  last: number;
  /** Segments known to exist (read or written): name → number of their last record; for clean-up. */
  readonly segments: Map<string, number>;
  /** The journal read with the head, handed to the `readJournal` that follows `read`. */
  journal: LogRecord[] | undefined;
  /** Exclusive backends: the head names this writer's generation. */
  mine: boolean;
  /** The state `lock` read, handed to the `read` that follows it. */
  opened: { readonly snapshot: unknown } | undefined;
  /** This adapter wrote a segment or a snapshot of the key. */
  wrote: boolean;
}

/** A chunk or a closed range's segment was missing: the head may have changed meanwhile. */
class MissingRecord extends Error {}

/** Most chunks one snapshot may have: 100,000 × the smallest record limit is far beyond any state. */
const MAX_CHUNKS = 100_000;

/**
 * Keeps each key as a log on any `RecordStore`: a small head naming a snapshot (inline, or in
 * chunks under a fresh id, each within the backend's request limit) and the journal segments
 * after it, one per write. A write costs one segment, the size of the change; compaction writes a
 * new snapshot, swaps the head, then removes what the new head no longer reaches; a crash at any
 * step leaves the previous head valid.
 *
 * Sharing: where the backend creates atomically (`atomicCreate`), segment N is put-if-absent, so
 * two writers never both write it: the loser gets `ConflictError` and catches up through
 * `readJournal(key, after)`. A segment names its writer, so a write whose answer was lost is
 * recognised as landed. Where the last writer wins (Apify), one writer per key: each writer
 * appends under its own generation, named in the head, and a writer that finds the head naming
 * another generation throws `LockLostError` instead of writing where nobody reads.
 *
 * @example
 * const adapter = logAdapter(records); // records: a RecordStore of your own (see RecordStore)
 * const store = await createPersistentStore({ key: 'STATE', initial: { n: 0 }, adapter });
 */
export function logAdapter(records: RecordStore, options: LogAdapterOptions = {}): LogStorageAdapter {
  const inlineBytes = options.inlineBytes ?? 256 * 1024;
  const concurrency = options.concurrency ?? 4;
  const compactAfterRecords = options.compactAfterRecords ?? 1000;
  const orphanAgeMs = options.orphanAgeMs ?? 3_600_000;
  for (const [name, value] of Object.entries({ concurrency, compactAfterRecords })) {
    if (!(Number.isInteger(value) && value >= 1)) throw new InvalidOptionError(name, `expected an integer ≥ 1, got ${String(value)}`);
  }
  if (orphanAgeMs !== Infinity) assertDuration('orphanAgeMs', orphanAgeMs, { allowZero: true }); // an age, not a timer: "never" is allowed
  if (options.writeTiming !== undefined) {
    assertDuration('writeTiming.debounceMs', options.writeTiming.debounceMs, { allowZero: true });
    assertDuration('writeTiming.maxWaitMs', options.writeTiming.maxWaitMs, { allowZero: true });
  }
  /** This adapter's writer id, in every segment it writes; on an exclusive backend, also its generation. */
  const writer = newLogId();
  const shared = records.atomicCreate;
  const logs = new Map<string, KeyLog>();
  const encoder = new TextEncoder();
  const where = (name: string) => records.locate(name);

  const logOf = (key: string): KeyLog => {
    let log = logs.get(key);
    if (!log) {
      log = {
        names: logNames(key),
        head: undefined,
        headRecord: undefined,
        legacy: undefined,
        last: 0,
        segments: new Map(),
        journal: undefined,
        mine: false,
        opened: undefined,
        wrote: false,
      };
      logs.set(key, log);
    }
    return log;
  };
  const corrupt = (key: string, name: string, reason: string, cause?: unknown) => new CorruptStateError(key, where(name), reason, { cause });
  const sameRecord = (a: StoredRecord | undefined, b: StoredRecord | undefined): boolean =>
    a === undefined || b === undefined ? a === b : a.version !== undefined && b.version !== undefined ? a.version === b.version : a.text === b.text;

  /** Parses a head record: a head of this layout, or a value stored whole. */
  const parseHead = (key: string, found: StoredRecord): { head: LogHead } | { whole: unknown } => {
    let value: unknown;
    try {
      value = JSON.parse(found.text);
    } catch (error) {
      throw corrupt(key, key, `not valid JSON (${(error as Error).message})`, error);
    }
    if (!isLogHead(value)) return { whole: value };
    const why = whyNotLogHead(value as object, MAX_CHUNKS);
    if (why) throw corrupt(key, key, `its head is malformed: ${why}`);
    return { head: value as LogHead };
  };

  const readSnapshot = async (key: string, log: KeyLog, head: LogHead): Promise<unknown> => {
    const snapshot = head.snapshot;
    if ('inline' in snapshot) return snapshot.inline;
    const names = Array.from({ length: snapshot.count }, (_, index) => log.names.chunk(snapshot.id, index));
    const texts = await inParallel(names, concurrency, async (name) => {
      const found = await records.get(name);
      if (found === undefined) throw new MissingRecord(name);
      return found.text;
    });
    const text = texts.join('');
    if (text.length !== snapshot.length) throw corrupt(key, names[0]!, `its snapshot has ${text.length} characters, its head says ${snapshot.length}`);
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw corrupt(key, names[0]!, `its snapshot is not valid JSON (${(error as Error).message})`, error);
    }
  };

  /** Parses segment `at` of `gen`, fetching its pieces when it was too large for one request. */
  const segmentAt = async (log: KeyLog, gen: string, at: number, text: string): Promise<Segment | string> => {
    const parsed = parseSegment(text, gen, at);
    if (typeof parsed === 'string' || !('pieces' in parsed)) return parsed;
    const { id, count, length } = parsed.pieces;
    const texts = await inParallel(
      Array.from({ length: count }, (_, index) => log.names.piece(gen, at, id, index)),
      concurrency,
      async (name) => (await records.get(name))?.text,
    );
    if (texts.some((piece) => piece === undefined)) return 'a piece of it is missing';
    const joined = texts.join('');
    if (joined.length !== length) return `its pieces hold ${joined.length} characters, it says ${length}`;
    return parseSegment(joined, gen, at, true) as Segment | string;
  };

  /**
   * The journal records after `after` that `head` reaches: its closed ranges, whole, then its own
   * generation's segments up to the first gap. A segment that is torn, foreign or misnumbered is
   * never applied: it is reported as corruption.
   */
  const readSegments = async (key: string, log: KeyLog, head: LogHead, after: number): Promise<LogRecord[]> => {
    // Without closed ranges only the head's own segments after `after` count: the listing starts
    // there (compacted ones, kept a while on a shared backend, and other writers' are not sent).
    const listed = records.list
      ? await (head.closed.length === 0
          ? records.list(log.names.segmentPrefix(head.gen), log.names.segment(head.gen, after))
          : records.list(`${log.names.prefix}s.`))
      : undefined;
    const texts = new Map<string, string | undefined>(listed?.map(({ name, text }) => [name, text]));
    const out: LogRecord[] = [];
    let at = head.seq + 1;
    const ranges: readonly ClosedRange[] = [...head.closed, { gen: head.gen, from: head.from, to: Number.MAX_SAFE_INTEGER }];
    for (const [index, range] of ranges.entries()) {
      const open = index === ranges.length - 1;
      at = Math.max(range.from, after + 1);
      if (at > range.to) continue;
      if (listed) {
        // Fetch what the listing names but did not send, at once; the walk below checks the order.
        const wanted = [...texts.keys()].filter((name) => {
          const parsed = log.names.parse(name);
          return texts.get(name) === undefined && parsed?.kind === 'segment' && parsed.gen === range.gen && parsed.seq >= at && parsed.seq <= range.to;
        });
        const fetched = await inParallel(wanted, concurrency, (name) => records.get(name));
        wanted.forEach((name, i) => texts.set(name, fetched[i]?.text));
      }
      while (at <= range.to) {
        const name = log.names.segment(range.gen, at);
        const text = listed ? texts.get(name) : (await records.get(name))?.text;
        if (text === undefined) {
          if (open) break;
          throw new MissingRecord(name);
        }
        const segment = await segmentAt(log, range.gen, at, text);
        if (typeof segment === 'string') throw corrupt(key, name, `journal segment ${at} cannot be applied: ${segment}`);
        const last = at + segment.records.length - 1;
        if (last > range.to) throw corrupt(key, name, `journal segment ${at} runs past record ${range.to}, where its range ends`);
        for (const record of segment.records) out.push(record);
        log.segments.set(name, last);
        at = last + 1;
      }
      if (!open && at !== range.to + 1) throw new MissingRecord(log.names.segment(range.gen, at));
    }
    log.last = Math.max(at - 1, after);
    return out;
  };

  /** Reads the head, its snapshot and its journal; reads again when a compaction removed them meanwhile. */
  const load = async (key: string): Promise<unknown> => {
    const log = logOf(key);
    log.segments.clear();
    for (let attempt = 1; ; attempt++) {
      const found = await records.get(key);
      log.headRecord = found;
      log.head = undefined;
      log.legacy = undefined;
      log.mine = false;
      log.journal = [];
      if (found === undefined) {
        log.last = 0;
        return undefined;
      }
      const parsed = parseHead(key, found);
      if ('whole' in parsed) {
        log.legacy = found.text;
        const seq = (parsed.whole as { seq?: unknown } | null)?.seq;
        log.last = typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : 0;
        return parsed.whole;
      }
      try {
        const snapshot = await readSnapshot(key, log, parsed.head);
        log.journal = await readSegments(key, log, parsed.head, parsed.head.seq);
        log.head = parsed.head;
        return snapshot;
      } catch (error) {
        if (!(error instanceof MissingRecord)) throw error;
        if (attempt < 5 && !sameRecord(await records.get(key), found)) continue;
        throw corrupt(key, error.message, 'a record its head names is missing');
      }
    }
  };

  /** Stores a snapshot's text: inline when small, else in chunks under a fresh id. */
  const storeSnapshot = async (log: KeyLog, value: unknown, text: string): Promise<SnapshotRef> => {
    if (text.length <= inlineBytes && (text.length * 3 <= inlineBytes || encoder.encode(text).length <= inlineBytes)) return { inline: value };
    const id = newLogId();
    const pieces = splitUtf8(text, records.maxRecordBytes);
    await inParallel(pieces, concurrency, (piece, index) => records.put(log.names.chunk(id, index), piece, undefined));
    return { id, count: pieces.length, length: text.length };
  };

  /** Writes `head`; on a shared backend only over the head last seen. */
  const putHead = async (key: string, log: KeyLog, head: LogHead): Promise<void> => {
    const text = JSON.stringify(head);
    const expected = shared ? (log.headRecord === undefined ? null : log.headRecord.version) : undefined;
    if (shared && expected === undefined) throw new ConflictError(key, where(key)); // a head without a version cannot be swapped safely
    let version: string | undefined;
    try {
      version = await records.put(key, text, expected);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // The head there may be this very one, put by a request whose answer was lost (and retried).
      const now = await records.get(key);
      if (now?.text !== text) throw error;
      version = now.version;
    }
    log.headRecord = { text, version };
    log.head = head;
    log.legacy = undefined;
    log.mine = true;
  };

  /**
   * Moves a value stored whole into the layout; on an exclusive backend, makes the head name this
   * writer's generation, the earlier writer's segments up to `log.last` closed. That writer
   * appends a segment, then reads the head; this one writes the head, then looks for that
   * writer's next segment: one of the two sees the other. A segment found so is taken in (the
   * head written again to close after it) and returned; the earlier writer, at its next write,
   * finds the new head and stops (`LockLostError`).
   */
  const takeOver = async (key: string, log: KeyLog): Promise<LogRecord[]> => {
    const previous = log.head;
    if (log.legacy !== undefined) {
      const whole = JSON.parse(log.legacy) as { seq?: number };
      const snapshot = await storeSnapshot(log, whole, log.legacy);
      await putHead(key, log, { $rxps: HEAD_FORMAT, gen: writer, seq: log.last, from: log.last + 1, closed: [], snapshot, savedAt: new Date().toISOString() });
      return [];
    }
    if (previous === undefined) throw new ConflictError(key, where(key)); // nothing stored to append to: the store writes a snapshot first
    if (shared) return [];
    await checkStillOurs(key, log);
    const late: LogRecord[] = [];
    for (;;) {
      const closed = log.last >= previous.from ? [...previous.closed, { gen: previous.gen, from: previous.from, to: log.last }] : previous.closed;
      await putHead(key, log, { ...previous, gen: writer, from: log.last + 1, closed, savedAt: new Date().toISOString() });
      const name = log.names.segment(previous.gen, log.last + 1);
      const found = await records.get(name);
      const segment = found === undefined ? undefined : await segmentAt(log, previous.gen, log.last + 1, found.text);
      if (segment === undefined || typeof segment === 'string') return late; // none, or none that could be applied
      for (const record of segment.records) late.push(record);
      log.last += segment.records.length;
      log.segments.set(name, log.last);
    }
  };

  /** Exclusive backends: throws `LockLostError` when the head changed since this writer last saw it. */
  const checkStillOurs = async (key: string, log: KeyLog): Promise<void> => {
    const now = await records.get(key);
    if (sameRecord(now, log.headRecord)) return;
    const found =
      now === undefined
        ? undefined
        : (() => {
            try {
              return JSON.parse(now.text) as { $rxps?: unknown; gen?: unknown };
            } catch {
              return undefined;
            }
          })();
    const who =
      now === undefined
        ? `something removed ${where(key)}`
        : found?.$rxps === undefined
          ? // A bare value: most often an auto-save on the same key (Crawlee's useState, a persistState handler, Actor.setValue).
            `something else overwrote ${where(key)} with a value of its own (an auto-save on the same key, such as Crawlee's useState or a persistState handler calling setValue? give it another key)`
          : `another writer (generation ${String(found.gen)}) took ${where(key)}`;
    throw new LockLostError(key, `${who}, which ${records.name} cannot refuse; this store's writes would no longer be read`);
  };

  /** Removes what `head` no longer reaches: the old snapshot's chunks, compacted segments, orphans. */
  const cleanUp = async (log: KeyLog, old: LogHead | undefined, head: LogHead): Promise<void> => {
    // On a shared backend, compacted segments stay one compaction more: a writer whose answer was
    // lost then still finds its segment, and knows its write is in the snapshot.
    const upTo = shared ? Math.min(old?.seq ?? 0, head.seq) : head.seq;
    const doomed = new Set<string>();
    if (old && 'id' in old.snapshot && !('id' in head.snapshot && head.snapshot.id === old.snapshot.id)) {
      for (let index = 0; index < old.snapshot.count; index++) doomed.add(log.names.chunk(old.snapshot.id, index));
    }
    for (const [name, last] of log.segments) if (last <= upTo) doomed.add(name);
    // Orphans are looked for too; a listing that fails leaves them for a later compaction.
    const listed = records.list ? await records.list(log.names.prefix).catch(() => []) : [];
    for (const { name } of listed) {
      const parsed = log.names.parse(name);
      if (parsed?.kind === 'chunk') {
        const live = 'id' in head.snapshot && parsed.id === head.snapshot.id;
        if (!live && (!shared || Date.now() - logIdTime(parsed.id) > orphanAgeMs)) doomed.add(name);
      } else if ((parsed?.kind === 'segment' || parsed?.kind === 'piece') && (parsed.gen !== head.gen || parsed.seq <= upTo)) {
        doomed.add(name); // another generation's segments are never read again: its head is gone
      }
    }
    await inParallel([...doomed], concurrency, async (name) => {
      await records.delete(name).catch(() => undefined); // what remains is an orphan, removed by a later compaction
      log.segments.delete(name);
    });
  };

  return {
    name: records.name,
    sharing: shared ? 'shared' : 'exclusive',
    compactAfterRecords,
    writeTiming: options.writeTiming,
    stateLimit: options.stateLimit,
    locate: where,
    /**
     * Exclusive backends: "lock" means taking the key over from whoever wrote it before (a run
     * that migrated away, or died): the state is read, the head made to name this writer, and
     * the earlier writer's late segments taken in; the read that follows gets that state.
     */
    lock: shared
      ? undefined
      : async (key) => {
          assertValidKey(key);
          const log = logOf(key);
          let snapshot: unknown;
          try {
            snapshot = await load(key);
          } catch (error) {
            // Unreadable: said by the read that follows (where `onInvalidStored` applies); nothing is taken over.
            if (error instanceof CorruptStateError) return async () => undefined;
            throw error;
          }
          // A value stored whole is moved into the layout on the first write, not here: a store that
          // fails to open (a schema that refuses it) must leave it as it was.
          if (log.head === undefined) return async () => undefined;
          const before = log.headRecord!.text;
          log.journal = [...(log.journal ?? []), ...(await takeOver(key, log))];
          const taken = log.headRecord!.text;
          log.opened = { snapshot };
          // A store that wrote nothing (one that failed to open: a schema refused the state) gives the
          // head back as it found it, so that such an open leaves storage byte for byte as it was.
          return async () => {
            if (!log.wrote && log.headRecord?.text === taken && (await records.get(key))?.text === taken) await records.put(key, before, undefined);
          };
        },
    async read(key) {
      assertValidKey(key);
      const log = logOf(key);
      const opened = log.opened;
      log.opened = undefined;
      return opened ? opened.snapshot : load(key);
    },
    headOf(key) {
      const head = logs.get(key)?.head;
      if (head === undefined) return undefined;
      const { snapshot } = head;
      return {
        generation: head.gen,
        snapshotSeq: head.seq,
        snapshot: 'inline' in snapshot ? 'inline' : { chunks: snapshot.count },
        closedRanges: head.closed.length,
        savedAt: head.savedAt,
      };
    },
    async readJournal(key, after) {
      assertValidKey(key);
      const log = logOf(key);
      if (after === undefined) {
        if (log.journal === undefined) await load(key);
        const journal = log.journal ?? [];
        log.journal = undefined;
        return journal;
      }
      // Catching up with other writers: the head first, since a compaction may have moved it.
      const found = await records.get(key);
      if (!sameRecord(found, log.headRecord)) {
        if (found === undefined) return undefined;
        const parsed = parseHead(key, found);
        if ('whole' in parsed || (log.head !== undefined && parsed.head.gen !== log.head.gen) || parsed.head.seq > after) return undefined;
        log.head = parsed.head;
        log.headRecord = found;
      }
      // A head already known may have been learned after `after` (an append that found another
      // writer's compaction): the records up to its snapshot are only in that snapshot.
      if (log.head === undefined || log.head.seq > after) return undefined;
      try {
        return await readSegments(key, log, log.head, after);
      } catch (error) {
        if (error instanceof MissingRecord) return undefined;
        throw error;
      }
    },
    async append(key, entries) {
      assertValidKey(key);
      const log = logOf(key);
      const recordsToWrite = entries as readonly LogRecord[];
      if (recordsToWrite[0] === undefined) return;
      if (log.legacy !== undefined || log.head === undefined || (!shared && !log.mine)) {
        // Used without `lock`: records the earlier writer appended meanwhile are not in this store's state.
        if ((await takeOver(key, log)).length > 0) throw new ConflictError(key, where(key));
      }
      const head = log.head!;
      const first = recordsToWrite[0]!.seq;
      const name = log.names.segment(head.gen, first);
      let text = segmentText(head.gen, writer, recordsToWrite);
      if (text.length * 3 > records.maxRecordBytes && encoder.encode(text).length > records.maxRecordBytes) {
        // Too large for one request (one big change): its text goes in pieces, the segment names them.
        // The id follows from the text, so the same records sent again name the same pieces.
        const pieces = splitUtf8(text, records.maxRecordBytes);
        const id = hash(text);
        await inParallel(pieces, concurrency, (piece, index) => records.put(log.names.piece(head.gen, first, id, index), piece, undefined));
        text = piecesText(head.gen, { id, count: pieces.length, length: text.length });
      }
      const last = first + recordsToWrite.length - 1;
      if (!shared) {
        await records.put(name, text, undefined);
        // Whoever opened the key since took it over: it will never read this segment.
        await checkStillOurs(key, log);
      } else {
        const { created, then } = records.createThenGet
          ? await records.createThenGet(name, text, key)
          : await records.put(name, text, null).then(
              async () => ({ created: true, then: await records.get(key) }),
              async (error: unknown) => {
                if (!(error instanceof ConflictError)) throw error;
                return { created: false, then: await records.get(key) };
              },
            );
        // Taken: by another writer, or by this one in a write whose answer was lost.
        if (!created && (await records.get(name))?.text !== text) throw new ConflictError(key, where(name));
        if (!sameRecord(then, log.headRecord)) {
          const parsed = then === undefined ? undefined : parseHead(key, then);
          const moved = parsed === undefined || 'whole' in parsed ? undefined : parsed.head;
          // A compaction took in records up to `moved.seq`. A segment found there already (ours,
          // answered late) is in it; one just created there landed where nobody reads.
          if (moved === undefined || moved.gen !== head.gen || (created && moved.seq >= first)) {
            if (created) await records.delete(name).catch(() => undefined);
            throw new ConflictError(key, where(key));
          }
          log.head = moved;
          log.headRecord = then;
        }
      }
      log.segments.set(name, last);
      log.last = Math.max(log.last, last);
      log.wrote = true;
    },
    async write(key, value) {
      assertValidKey(key);
      const log = logOf(key);
      const seq = (value as { seq?: unknown } | null)?.seq;
      const atSeq = typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : 0;
      const old = log.head;
      const text = await stringifyInSlices(value);
      const snapshot = await storeSnapshot(log, value, text);
      // A new key's generation is named after its creator: the retry of a create whose answer was lost is recognised.
      const gen = shared ? (old?.gen ?? writer) : writer;
      const head: LogHead = { $rxps: HEAD_FORMAT, gen, seq: atSeq, from: atSeq + 1, closed: [], snapshot, savedAt: new Date().toISOString() };
      if (!shared && log.mine) await checkStillOurs(key, log);
      for (let attempt = 1; ; attempt++) {
        try {
          await putHead(key, log, head);
          break;
        } catch (error) {
          if (!(error instanceof ConflictError) || attempt >= 5) throw error;
          // Another writer compacted meanwhile: fine when it took in as much as this snapshot holds.
          const now = await records.get(key);
          const parsed = now === undefined ? undefined : parseHead(key, now);
          if (parsed === undefined || 'whole' in parsed || parsed.head.gen !== gen) throw error;
          log.headRecord = now;
          log.head = parsed.head;
          if (parsed.head.seq >= atSeq) {
            await cleanUp(log, old, parsed.head);
            return;
          }
        }
      }
      log.last = Math.max(log.last, atSeq);
      log.wrote = true;
      await cleanUp(log, old, head);
    },
    async delete(key) {
      assertValidKey(key);
      const log = logOf(key);
      const listed = records.list ? await records.list(log.names.prefix) : [];
      await inParallel(listed, concurrency, ({ name }) => records.delete(name));
      await records.delete(key);
      logs.delete(key);
    },
    async rename(key, toKey) {
      assertValidKey(key);
      assertValidKey(toKey);
      const from = logNames(key);
      const to = logNames(toKey);
      const found = await records.get(key);
      if (found === undefined) return;
      if ((await records.get(toKey)) !== undefined) throw new TargetExistsError(key, where(toKey));
      const listed = records.list ? await records.list(from.prefix) : [];
      await inParallel(listed, concurrency, async ({ name, text }) => {
        const copied = text ?? (await records.get(name))?.text;
        if (copied !== undefined) await records.put(to.prefix + name.slice(from.prefix.length), copied, undefined);
      });
      try {
        await records.put(toKey, found.text, shared ? null : undefined);
      } catch (error) {
        if (error instanceof ConflictError) throw new TargetExistsError(key, where(toKey));
        throw error;
      }
      await inParallel(listed, concurrency, ({ name }) => records.delete(name));
      await records.delete(key);
      logs.delete(key);
    },
  };
}

/**
 * How many of `wanted` (records from `at` on) a stored segment of this writer already holds, as
 * their first records, unchanged; 0 when it is another writer's or holds anything else.
 */
