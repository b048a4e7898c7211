// One measurement of W9 (bench/w9-local-peers.ts) in a fresh process. Prints one JSON line.
// argv: latency <entries> <dir> <samples> <peer>...  the peers open at once, taking turns of durable updates
//       concurrent <entries> <dir> <ms> <peer>...  the peers open at once, 8 producers on each in turn
//         (<dir> holds ours' stored state of <entries> keys; the others fill their own)
//       open <dir> <entries expected>                 createPersistentStore on files W9 built, twice
import { closeSync, constants, fdatasyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import * as path from 'node:path';
import { EMPTY, filter, firstValueFrom } from 'rxjs';
import { JOURNAL_ROOM_BYTES } from '../src/adapters/file-adapter.js';
import { createPersistentStore, fileAdapter, KeyedMap, memoryAdapter } from '../src/index.js';
import { flushWrites, keyOf, median, quantile, settle, timeMs } from './harness.js';
import { W9_KEY, W9_PRODUCERS, W9_RECORD as RECORD, W9_SLICES, W9_TURN, W9_WARM_UP, type Peer, type W9Result } from './w9-setup.js';

/** A peer ready to make one new key durable per call. */
interface Durable {
  readonly put: (i: number) => Promise<void>;
  readonly close: () => Promise<void>;
  /** Resolves once nothing the peer's puts started is under way (ours: a compaction); the others have nothing to wait for. */
  readonly idle?: () => Promise<void>;
}

/** Bytes this process caused to be sent to the storage layer (Linux; null where /proc/self/io is not readable). */
function writeBytes(): number | null {
  try {
    const match = /^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * A long-running job's store runs compiled code; a fresh process runs its first few thousand
 * updates in V8's interpreter (about 110 µs an update where a warm one takes 25 µs, here). So ours
 * first makes 20,000 updates, a flush every 10, on a store in memory: the same code up to the
 * adapter, whose own path the durable warm-up below then runs. The peers' paths are native code.
 */
async function warmUpJit(): Promise<void> {
  const store = await createPersistentStore({ key: 'WARM', initial: { done: 0, seen: new KeyedMap<true>() }, adapter: memoryAdapter(), events: EMPTY });
  for (let i = 0; i < 20_000; i++) {
    store.update((s) => void s.seen.set(keyOf(i), true));
    if (i % 10 === 9) await store.flush();
  }
  await store.close();
}

/** Opens `peer` in `dir` holding `entries` keys; its `put(i)` adds the key `entries + i`, durably. */
async function openPeer(peer: Peer, entries: number, dir: string): Promise<Durable> {
  switch (peer) {
    case 'ours': {
      // The folder holds a snapshot of `entries` keys (copied from W9's seed): opened, as a restarted job does.
      const store = await createPersistentStore({
        key: W9_KEY,
        initial: { done: 0, seen: new KeyedMap<true>() },
        adapter: fileAdapter({ dir }),
        events: EMPTY,
      });
      if (store.getState().seen.size !== entries)
        throw new Error(`w9-child: expected a stored state of ${entries} entries in ${dir}, found ${store.getState().seen.size}`);
      await warmUpJit();
      return {
        put: async (i) => {
          store.update((s) => void s.seen.set(keyOf(entries + i), true));
          await store.flush();
        },
        close: () => store.close(),
        idle: async () => void (await firstValueFrom(store.status$.pipe(filter((status) => status.phase !== 'saving')))),
      };
    }
    case 'leveldb': {
      // Imported here, as lmdb below: loaded in every child, they made ours slower to open (its
      // first open at 200k with a journal 80–130 ms slower, the snapshot alone 40–60 ms).
      const { ClassicLevel } = await import('classic-level');
      const location = path.join(dir, 'leveldb');
      let db = new ClassicLevel<string, string>(location);
      await db.open();
      for (let from = 0; from < entries; from += 10_000) {
        const batch = db.batch();
        for (let i = from; i < Math.min(entries, from + 10_000); i++) batch.put(keyOf(i), 'true');
        await batch.write();
      }
      // Reopened and compacted: the measured puts must not race the prefill's background compactions.
      await db.close();
      db = new ClassicLevel<string, string>(location);
      await db.open();
      await db.compactRange(keyOf(0), keyOf(Number.MAX_SAFE_INTEGER));
      const opened = db;
      return { put: (i) => opened.put(keyOf(entries + i), 'true', { sync: true }), close: () => opened.close() };
    }
    case 'lmdb': {
      // Default options. A put's promise resolves once its transaction is committed (lmdb-js README),
      // and lmdb 3's commit runs the sync before it is marked committed (mdb_txn_commit under
      // me_sync_mutex, then writer.cpp sets the flag): an awaited put is durable.
      const { open: openLmdb } = await import('lmdb');
      const db = openLmdb<boolean, string>({ path: path.join(dir, 'lmdb') });
      for (let from = 0; from < entries; from += 10_000) {
        await db.transaction(() => {
          for (let i = from; i < Math.min(entries, from + 10_000); i++) void db.put(keyOf(i), true);
        });
      }
      return {
        put: async (i) => {
          await db.put(keyOf(entries + i), true);
        },
        close: () => db.close(),
      };
    }
    case 'floorA': {
      // The synchronous floor: append one record, fdatasync; what a journal append cannot beat.
      const fd = openSync(path.join(dir, 'floor-a.log'), 'a');
      return {
        put: async () => {
          writeSync(fd, RECORD);
          fdatasyncSync(fd);
        },
        close: async () => closeSync(fd),
      };
    }
    case 'floorB': {
      // One thread-pool hop: a write on an O_DSYNC file is durable when it returns.
      const handle = await openFile(path.join(dir, 'floor-b.log'), constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC);
      return {
        put: async () => {
          await handle.write(RECORD);
        },
        close: () => handle.close(),
      };
    }
    case 'floorC': {
      // What the file adapter's journal does: a write at a position inside room made ahead (64 KiB at a time), on O_DSYNC; no file size changes.
      const fd = openSync(path.join(dir, 'floor-c.log'), constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC);
      let end = 0;
      let room = 0;
      return {
        put: async () => {
          if (end + RECORD.length > room) ftruncateSync(fd, (room = end + RECORD.length + JOURNAL_ROOM_BYTES));
          end += writeSync(fd, RECORD, 0, RECORD.length, end);
        },
        close: async () => closeSync(fd),
      };
    }
  }
}

/**
 * One durable update at a time, the peers taking turns: all open at once, each turn W9_TURN
 * updates of one peer, each timed, the peers' order shuffled every round of turns. So each meets
 * the disk as it is in the same second: measured in a child of its own one after another, the peers
 * met different disks (this machine's fdatasync drifted between 0.21 and 0.54 ms from one child to
 * the next, more than the gap between any two peers). Turns, not single updates: a job's updates
 * come one after another to its one store; interleaved one by one, every peer paid for the others'
 * syncs and threads (floor C 0.17 → 0.25 ms, ours 0.30 → 0.49 ms, LevelDB 0.35 → 0.36 ms).
 */
async function latency(peers: readonly Peer[], entries: number, dir: string, samples: number): Promise<Record<string, W9Result>> {
  const durables = await openAll(peers, entries, dir);
  const order = peers.map((_, k) => k);
  /** Runs `turn(k, from)` for each peer k in a shuffled order, then again from `from + W9_TURN`, up to `count`. */
  const inTurns = async (count: number, turn: (k: number, from: number) => Promise<void>): Promise<void> => {
    for (let from = 0; from < count; from += W9_TURN) for (const k of shuffle(order)) await turn(k, from);
  };
  await inTurns(W9_WARM_UP, async (k, from) => {
    // Below `entries`: existing keys, but at 1k, where 2,000 are new (that store is timed holding 3,000 to 4,000).
    for (let i = from; i < from + W9_TURN; i++) await durables[k]!.put(-1 - i);
    await durables[k]!.idle?.();
  });
  await settle();
  const times = peers.map(() => [] as number[]);
  const bytes = peers.map(() => 0 as number | null);
  await inTurns(samples, async (k, from) => {
    // The first update of a turn, after the other peers' turns, is not timed: p99 is the peer's own, not the switch's.
    await durables[k]!.put(-1 - from);
    const before = writeBytes();
    for (let i = from; i < from + W9_TURN; i++) times[k]!.push(await timeMs(() => durables[k]!.put(i)));
    const after = writeBytes();
    await durables[k]!.idle?.(); // untimed: a compaction due at the turn's end must not land in the next peer's turn (none is due at W9's counts)
    bytes[k] = addBytes(bytes[k]!, before, after);
  });
  for (const durable of durables) await durable.close();
  // One at a time, a peer's rate is 1 ÷ its mean.
  return Object.fromEntries(peers.map((peer, k) => [peer, summary(times[k]!, times[k]!.reduce((sum, t) => sum + t, 0) / 1e3, bytes[k]!)]));
}

/** Sums up timed updates: latency, rate over `seconds`, device bytes per update. */
function summary(times: number[], seconds: number, bytes: number | null): W9Result {
  times.sort((a, b) => a - b);
  return {
    median: median(times),
    p99: quantile(times, 0.99),
    updates: times.length,
    perSecond: times.length / seconds,
    bytesPerUpdate: bytes === null ? null : bytes / times.length,
  };
}

/**
 * W9_PRODUCERS async loops, each one durable update at a time, on each peer in turn: all open at
 * once, each getting W9_SLICES slices of `ms` ÷ W9_SLICES, in an order shuffled every round of
 * slices, for the same reason as `latency`. A slice lasts until the peer is idle again: a
 * compaction that ours' updates made due is counted in its own time, not in the next peer's.
 */
async function concurrent(peers: readonly Peer[], entries: number, dir: string, ms: number): Promise<Record<string, W9Result>> {
  const durables = await openAll(peers, entries, dir);
  for (const durable of durables) {
    for (let i = 0; i < W9_WARM_UP; i++) await durable.put(-1 - i);
    await durable.idle?.();
  }
  await settle();
  const times = peers.map(() => [] as number[]);
  const bytes = peers.map(() => 0 as number | null);
  const seconds = peers.map(() => 0);
  const order = peers.map((_, k) => k);
  let next = 0;
  for (let slice = 0; slice < W9_SLICES; slice++) {
    for (const k of shuffle(order)) {
      const durable = durables[k]!;
      const before = writeBytes();
      const started = performance.now();
      const deadline = started + ms / W9_SLICES;
      const producer = async (): Promise<void> => {
        while (performance.now() < deadline) {
          const i = next++;
          times[k]!.push(await timeMs(() => durable.put(i)));
        }
      };
      await Promise.all(Array.from({ length: W9_PRODUCERS }, producer));
      await durable.idle?.();
      seconds[k]! += (performance.now() - started) / 1e3;
      const after = writeBytes();
      bytes[k] = addBytes(bytes[k]!, before, after);
    }
  }
  for (const durable of durables) await durable.close();
  return Object.fromEntries(peers.map((peer, k) => [peer, summary(times[k]!, seconds[k]!, bytes[k]!)]));
}

/** Every peer of `peers` opened in `dir`, then what their fills left in the page cache written back, not during timed writes. */
async function openAll(peers: readonly Peer[], entries: number, dir: string): Promise<Durable[]> {
  const durables: Durable[] = [];
  for (const peer of peers) durables.push(await openPeer(peer, entries, dir));
  flushWrites();
  return durables;
}

/** `sum` plus the bytes written between two readings of writeBytes(); null once any reading failed. */
const addBytes = (sum: number | null, before: number | null, after: number | null): number | null =>
  sum === null || before === null || after === null ? null : sum + after - before;

/** `order` shuffled in place (Fisher–Yates), returned. */
function shuffle(order: number[]): number[] {
  for (let k = order.length - 1; k > 0; k--) {
    const j = Math.floor(Math.random() * (k + 1));
    [order[k], order[j]] = [order[j]!, order[k]!];
  }
  return order;
}

/**
 * Opens the store twice in this process, each time until createPersistentStore resolves: the first
 * open is what a restarted job pays (code loaded and compiled on the way), the second the open
 * itself, read and replay.
 */
async function openStore(dir: string, expected: number): Promise<{ first: number; again: number }> {
  const once = async (): Promise<number> => {
    let store: Awaited<ReturnType<typeof createPersistentStore<{ done: number; seen: KeyedMap<true> }>>> | undefined;
    const ms = await timeMs(async () => {
      store = await createPersistentStore({
        key: W9_KEY,
        initial: { done: 0, seen: new KeyedMap<true>() },
        adapter: fileAdapter({ dir }),
        events: EMPTY,
        compactOnClose: false, // the files stay as built for the next open
      });
    });
    const found = store!.getState().seen.size;
    await store!.close();
    if (found !== expected) throw new Error(`W9 open: expected ${expected} entries in ${dir}, found ${found}`);
    return ms;
  };
  const first = await once();
  await settle();
  return { first, again: await once() };
}

const [mode, ...args] = process.argv.slice(2);
const result =
  mode === 'latency'
    ? await latency(args.slice(3) as Peer[], Number(args[0]), args[1]!, Number(args[2]))
    : mode === 'concurrent'
      ? await concurrent(args.slice(3) as Peer[], Number(args[0]), args[1]!, Number(args[2]))
      : mode === 'open'
        ? await openStore(args[0]!, Number(args[1]))
        : undefined;
if (result === undefined) throw new Error(`w9-child: unknown mode "${String(mode)}" (latency, concurrent, open)`);
console.log(JSON.stringify(result));
