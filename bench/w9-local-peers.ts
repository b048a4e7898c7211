// W9 local peers: the file adapter's durable write path against LevelDB (classic-level, sync
// puts), lmdb (lmdb-js, default durable commits) and the disk's own floor, plus the import and
// open costs of the library (issue 19). Every figure comes from a fresh child process
// (bench/w9-child.ts), in 3 rounds, and the medians across rounds reported. One update until
// durable is timed with the peers of a size open in one child, taking turns of W9_TURN updates:
// ratios between them are taken within a child (paired), since the disk's own latency drifts
// between children.
// SQLite (better-sqlite3) is left out: its install script must download a binary, which it cannot here.
// BENCH_ONLY=W9 npm run bench runs just this workload (about 3 minutes); BENCH_SIZES picks the
// sizes of ours (200k is always measured: the peers are compared there); BENCH_QUICK=1 takes fewer samples.
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { flushWrites, fmt, median, QUICK, SIZES, sizeLabel, TARGET_SIZE } from './harness.js';
import { check, mdTable, times, type Check, type Section } from './report.js';
import {
  BUILD_DIR,
  buildDist,
  buildOpenFixture,
  bundleChild,
  importMs,
  inChild,
  seed,
  PROBE_BATCH,
  W9_PRODUCERS,
  W9_RECORD,
  W9_SLICES,
  W9_TURN,
  W9_WARM_UP,
  type Log,
  type OpenFixture,
  type Peer,
  type W9Result,
} from './w9-setup.js';

const ROUNDS = 3;
const SAMPLES = QUICK ? 300 : 1_000;
const CONCURRENT_MS = QUICK ? 1_000 : 2_000;
const IMPORTS_PER_ROUND = 2;
/** Ours from 1k to 1M (the target: flat); `BENCH_SIZES` narrows them, 200k always in. */
const OUR_SIZES: readonly number[] = process.env.BENCH_SIZES
  ? [...new Set([...SIZES, TARGET_SIZE])].sort((a, b) => a - b)
  : [1_000, 10_000, TARGET_SIZE, 1_000_000];

const NAMES: Record<Peer, string> = {
  ours: 'rx-persistent-store',
  leveldb: 'LevelDB (classic-level, sync put)',
  lmdb: 'lmdb-js (awaited put)',
  floorA: 'floor A: writeSync + fdatasyncSync',
  floorB: 'floor B: one fs/promises write on O_DSYNC',
  floorC: 'floor C: writeSync at a position in room made ahead, O_DSYNC (what the journal does)',
};

/** `list` rotated by `by`: each round starts with another of its items. */
const rotate = <T>(list: readonly T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length]!);

/** The middle of a few numbers (the lower of two). */
const mid = (values: readonly number[]): number => median([...values].sort((a, b) => a - b));

/** Medians across rounds of each field of the children's results. */
function acrossRounds(results: readonly W9Result[]): W9Result {
  const bytes = results.map((r) => r.bytesPerUpdate).filter((b): b is number => b !== null);
  return {
    median: mid(results.map((r) => r.median)),
    p99: mid(results.map((r) => r.p99)),
    updates: mid(results.map((r) => r.updates)),
    perSecond: mid(results.map((r) => r.perSecond)),
    bytesPerUpdate: bytes.length === results.length ? mid(bytes) : null,
  };
}

/** What a child measured of each of its peers. */
type PeerResults = Partial<Record<Peer, W9Result>>;
/** The latency children's results: per size, one record of each peer's figures per round. */
type LatencyRuns = ReadonlyMap<number, readonly PeerResults[]>;
/** The peers of the 8-producer children, at 200k. */
const CONCURRENT_PEERS: readonly Peer[] = ['ours', 'leveldb', 'lmdb', 'floorB'];

interface W9Results {
  readonly latency: LatencyRuns;
  /** The 8-producer children's results, one per round. */
  readonly concurrent: readonly PeerResults[];
  readonly imports: ReadonlyMap<string, number[]>;
  readonly importError?: string;
  /** Whether the children ran the built library (else src through tsx: the build failed). */
  readonly built: boolean;
  readonly open?: { readonly fixture: Omit<OpenFixture, 'remove'>; readonly journal: OpenTimes; readonly snapshot: OpenTimes };
}

/** ms of a child's first open of the store, and of its second (see w9-child.ts). */
interface OpenTimes {
  readonly first: number;
  readonly again: number;
}

/** Peers beside ours in the latency child of a size: the floors always, the databases at 200k (filled in the child). */
const latencyPeers = (entries: number): Peer[] => ['ours', ...(entries === TARGET_SIZE ? (['leveldb', 'lmdb'] as const) : []), 'floorA', 'floorB', 'floorC'];

export async function w9Run(log: Log): Promise<Section> {
  // The build (CPU, not timed) runs while the stores are seeded and the open fixture made (not timed either).
  const build = buildDist().then(
    async (file) => ({ file, child: await bundleChild() }),
    (error: unknown) => ({ error: (error as Error).message }),
  );
  const seeds = new Map<number, { dir: string; remove: () => void }>();
  let fixture: OpenFixture | undefined;
  try {
    for (const entries of OUR_SIZES) seeds.set(entries, await seed(entries));
    log(`W9 seeded stores of ${OUR_SIZES.map(sizeLabel).join(', ')} entries`);
    fixture = await buildOpenFixture(log, seeds.get(TARGET_SIZE)!.dir);
    const built = await build;
    const child = 'child' in built ? built.child : undefined;
    const flushStarted = performance.now();
    log(
      flushWrites()
        ? `W9 flushed the writes W1–W8 and the seeding left pending (sync, ${fmt(performance.now() - flushStarted)} ms); so before each child`
        : 'W9 could not flush pending writes (sync); a round may measure their writeback',
    );
    const latencyRuns = new Map<number, PeerResults[]>();
    const concurrentRuns: PeerResults[] = [];
    const openRuns = { journal: [] as OpenTimes[], snapshot: [] as OpenTimes[] };
    const imports = new Map<string, number[]>();
    const importTargets: Array<[string, string]> = [
      ...('file' in built ? [[NAMES.ours, pathToFileURL(built.file).href] as [string, string]] : []),
      ['classic-level', 'classic-level'],
      ['lmdb', 'lmdb'],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      const tag = `W9 round ${round + 1}/${ROUNDS}`;
      for (const entries of rotate(OUR_SIZES, round)) {
        const peers = latencyPeers(entries);
        const results = await inChild<PeerResults>(['latency', String(entries), '<dir>', String(SAMPLES), ...peers], `latency ${sizeLabel(entries)}`, {
          seed: seeds.get(entries)!.dir,
          child,
        });
        latencyRuns.set(entries, [...(latencyRuns.get(entries) ?? []), results]);
        log(
          `${tag} one update until durable at ${sizeLabel(entries)}, median (p99) ms: ${peers.map((peer) => `${peer} ${fmt(results[peer]?.median)} (${fmt(results[peer]?.p99)})`).join(', ')}; ours ÷ floor A ${times(results.ours?.median, results.floorA?.median)}${results.leveldb ? `, ÷ LevelDB ${times(results.ours?.median, results.leveldb.median)}` : ''}`,
        );
      }
      const results = await inChild<PeerResults>(['concurrent', String(TARGET_SIZE), '<dir>', String(CONCURRENT_MS), ...CONCURRENT_PEERS], 'concurrent', {
        seed: seeds.get(TARGET_SIZE)!.dir,
        child,
      });
      concurrentRuns.push(results);
      log(
        `${tag} ${W9_PRODUCERS} producers, updates/s (median, p99 ms): ${CONCURRENT_PEERS.map((peer) => `${peer} ${fmt(results[peer]?.perSecond)} (${fmt(results[peer]?.median)}, ${fmt(results[peer]?.p99)})`).join(', ')}; ours ÷ lmdb ${times(results.ours?.perSecond, results.lmdb?.perSecond)}`,
      );
      for (let i = 0; i < IMPORTS_PER_ROUND; i++) {
        for (const [name, specifier] of rotate(importTargets, round + i)) {
          const ms = await importMs(specifier);
          imports.set(name, [...(imports.get(name) ?? []), ms]);
        }
      }
      log(`${tag} import: ${[...imports].map(([name, ms]) => `${name} ${fmt(ms.at(-1))} ms`).join(', ')}`);
      for (const variant of rotate(['journal', 'snapshot'] as const, round)) {
        const dir = variant === 'journal' ? fixture.withJournal : fixture.snapshotOnly;
        const entries = variant === 'journal' ? fixture.entries : TARGET_SIZE;
        openRuns[variant].push(await inChild<OpenTimes>(['open', dir, String(entries)], `open ${variant}`, { child }));
      }
      const [j, o] = [openRuns.journal.at(-1)!, openRuns.snapshot.at(-1)!];
      log(
        `${tag} open (first in a process / again): snapshot + journal ${fmt(j.first)} / ${fmt(j.again)} ms, snapshot alone ${fmt(o.first)} / ${fmt(o.again)} ms`,
      );
    }
    const { remove: _remove, ...fixtureFacts } = fixture;
    return w9Section({
      latency: latencyRuns,
      concurrent: concurrentRuns,
      imports,
      built: child !== undefined,
      ...('error' in built && { importError: built.error }),
      open: {
        fixture: fixtureFacts,
        journal: { first: mid(openRuns.journal.map((o) => o.first)), again: mid(openRuns.journal.map((o) => o.again)) },
        snapshot: { first: mid(openRuns.snapshot.map((o) => o.first)), again: mid(openRuns.snapshot.map((o) => o.again)) },
      },
    });
  } finally {
    fixture?.remove();
    for (const { remove } of seeds.values()) remove();
    await build; // not removed from under a running tsc
    rmSync(BUILD_DIR, { recursive: true, force: true });
  }
}

export function w9Section({ latency, concurrent, imports, importError, built, open }: W9Results): Section {
  /** A peer's figures in `rounds`, medians across them. */
  const across = (rounds: readonly PeerResults[], peer: Peer): W9Result | undefined => {
    const runs = rounds.flatMap((round) => round[peer] ?? []);
    return runs.length > 0 ? acrossRounds(runs) : undefined;
  };
  /** `of(peer)` ÷ `of(over)` in the same child (the disk at the same moments), median across `rounds`. */
  const pairedIn = (rounds: readonly PeerResults[], peer: Peer, over: Peer, of: (result: W9Result) => number): number | undefined => {
    const ratios = rounds.flatMap((round) => (round[peer] && round[over] ? [of(round[peer]) / of(round[over])] : []));
    return ratios.length > 0 ? mid(ratios) : undefined;
  };
  const figures = (peer: Peer, entries = TARGET_SIZE): W9Result | undefined => across(latency.get(entries) ?? [], peer);
  const paired = (peer: Peer, over: Peer, entries = TARGET_SIZE): number | undefined => pairedIn(latency.get(entries) ?? [], peer, over, (r) => r.median);
  const ratio = (value: number | undefined): string => times(value, 1);
  const [floorA, ours, leveldb] = [figures('floorA'), figures('ours'), figures('leveldb')];
  const checks: Check[] = [];

  // 1. One update until durable.
  const latencyTable = mdTable(
    ['peer', 'median (ms)', 'p99 (ms)', 'floor A beside it (ms)', '÷ floor A', '÷ LevelDB', 'device bytes per update'],
    [
      ...OUR_SIZES.map((n) => ['ours', n] as const),
      ...(['leveldb', 'lmdb', 'floorA', 'floorB', 'floorC'] as const).map((peer) => [peer, TARGET_SIZE] as const),
    ].map(([peer, n]) => [
      `${NAMES[peer]}${peer.startsWith('floor') ? '' : `, ${n.toLocaleString('en')} entries`}`,
      figures(peer, n)?.median,
      figures(peer, n)?.p99,
      figures('floorA', n)?.median,
      ratio(paired(peer, 'floorA', n)),
      n === TARGET_SIZE ? ratio(paired(peer, 'leveldb')) : '—',
      figures(peer, n)?.bytesPerUpdate ?? undefined,
    ]),
  );
  const [toLevel, toFloor] = [paired('ours', 'leveldb'), paired('ours', 'floorA')];
  checks.push(
    check(
      toLevel === undefined ? undefined : toLevel <= 1,
      `W9 one update until durable at 200k: ours ${fmt(ours?.median)} ms median vs LevelDB (sync put) ${fmt(leveldb?.median)} ms, ${ratio(toLevel)} in the same children (target: ours ≤ LevelDB)`,
    ),
    check(
      toFloor === undefined ? undefined : toFloor <= 1.3,
      `W9 one update until durable at 200k: ours ${ratio(toFloor)} floor A in the same children (writeSync + fdatasyncSync, ${fmt(floorA?.median)} ms; ours ${fmt(ours?.median)} ms; floor B, one O_DSYNC write: ${fmt(figures('floorB')?.median)} ms; floor C, an O_DSYNC write in room made ahead, what our journal does: ${fmt(figures('floorC')?.median)} ms) (target ≤ 1.3× floor A)`,
    ),
  );
  const sized = OUR_SIZES.map((n) => ({ toFloor: paired('ours', 'floorA', n), median: figures('ours', n)?.median })).filter(
    (x): x is { toFloor: number; median: number } => x.toFloor !== undefined && x.median !== undefined,
  );
  const spreadOf = (values: number[]): number => Math.max(...values) / Math.min(...values);
  const spread = spreadOf(sized.map((x) => x.toFloor));
  checks.push(
    check(
      sized.length > 1 ? spread <= 1.5 : undefined,
      `W9 one update until durable, flat from ${sizeLabel(OUR_SIZES[0]!)} to ${sizeLabel(OUR_SIZES.at(-1)!)} (the largest ÷ floor A ≤ 1.5× the smallest): ${sized.map((x) => ratio(x.toFloor)).join(', ')} floor A, ${fmt(spread)}× (the medians themselves: ${sized.map((x) => fmt(x.median)).join(', ')} ms, ${fmt(spreadOf(sized.map((x) => x.median)))}×, each beside another child's disk)`,
    ),
  );

  // 2. 8 producers.
  const under = (peer: Peer) => across(concurrent, peer);
  const rateToLmdb = (peer: Peer): number | undefined => pairedIn(concurrent, peer, 'lmdb', (r) => r.perSecond);
  const concurrentTable = mdTable(
    ['peer', 'durable updates/s', 'one update: median (ms)', 'p99 (ms)', '÷ lmdb (updates/s)', 'device bytes per update'],
    [
      ...(['ours', 'leveldb', 'lmdb', 'floorB'] as const).map((peer) => [
        peer === 'floorB' ? `floor B: ${W9_PRODUCERS} concurrent O_DSYNC writes` : `${NAMES[peer]}, 200,000 entries`,
        under(peer)?.perSecond,
        under(peer)?.median,
        under(peer)?.p99,
        ratio(rateToLmdb(peer)),
        under(peer)?.bytesPerUpdate ?? undefined,
      ]),
      [
        'floor A, one writer (1 ÷ its median)',
        floorA && 1_000 / floorA.median,
        floorA?.median,
        floorA?.p99,
        '— (not in the same children)',
        floorA?.bytesPerUpdate ?? undefined,
      ],
    ],
  );
  checks.push(
    check(
      rateToLmdb('ours') === undefined ? undefined : rateToLmdb('ours')! >= 1,
      `W9 ${W9_PRODUCERS} producers at 200k: ours ${fmt(under('ours')?.perSecond)} durable updates/s vs lmdb ${fmt(under('lmdb')?.perSecond)}/s, ours ÷ lmdb in the same children, median of the rounds: ${ratio(rateToLmdb('ours'))} (target: ≥ 1×); one update under that load ${fmt(under('ours')?.median)} ms median, ${fmt(under('ours')?.p99)} ms p99`,
    ),
  );

  // 3. Import.
  const importMedian = (name: string): number | undefined => (imports.get(name)?.length ? mid(imports.get(name)!) : undefined);
  const ourImport = importMedian(NAMES.ours);
  const levelImport = importMedian('classic-level');
  const importTable = mdTable(
    ['module', 'import (ms, median)', 'fastest', 'slowest', 'runs', '÷ classic-level'],
    [...imports].map(([name, ms]) => [
      name === NAMES.ours ? `${NAMES.ours} (built as dist/index.js)` : name,
      importMedian(name),
      Math.min(...ms),
      Math.max(...ms),
      String(ms.length),
      times(importMedian(name), levelImport),
    ]),
  );
  const underAbsolute = ourImport !== undefined && ourImport <= 40;
  const underLevel = ourImport !== undefined && levelImport !== undefined && ourImport <= levelImport;
  checks.push(
    check(
      ourImport === undefined ? undefined : underAbsolute || underLevel,
      ourImport === undefined
        ? `W9 import: not measured (${importError ?? 'no build'})`
        : `W9 import of the built library in a fresh Node: ${fmt(ourImport)} ms, ${times(ourImport, levelImport)} classic-level's ${fmt(levelImport)} ms in the same run (target ≤ 40 ms, set on a ~3× faster machine, or ≤ classic-level's here: ${
            underAbsolute && underLevel ? 'both met' : underAbsolute ? 'met by ≤ 40 ms' : underLevel ? 'met by ≤ classic-level' : 'neither met'
          })`,
    ),
  );

  // 4. Open.
  const f = open?.fixture;
  const openTable = open
    ? mdTable(
        [
          'stored at 200k',
          'entries after open',
          'snapshot (MB)',
          'journal (records / MB)',
          'first open in a process (ms)',
          '÷ snapshot alone',
          'opened again (ms)',
          '÷ snapshot alone',
        ],
        [
          ['snapshot alone', TARGET_SIZE.toLocaleString('en'), f!.snapshotBytes / 1e6, '0 / 0', open.snapshot.first, '1×', open.snapshot.again, '1×'],
          [
            'snapshot + journal just under the compaction threshold',
            f!.entries.toLocaleString('en'),
            f!.snapshotBytes / 1e6,
            `${f!.journalRecords.toLocaleString('en')} / ${fmt(f!.journalBytes / 1e6)}`,
            open.journal.first,
            times(open.journal.first, open.snapshot.first),
            open.journal.again,
            times(open.journal.again, open.snapshot.again),
          ],
        ],
      )
    : 'not measured';
  checks.push(
    check(
      open ? open.journal.first <= 1.5 * open.snapshot.first : undefined,
      open
        ? `W9 open at 200k with a journal just under the compaction threshold (${f!.journalRecords.toLocaleString('en')} one-change records), first open in a fresh process: ${fmt(open.journal.first)} ms = ${times(open.journal.first, open.snapshot.first)} the snapshot alone (${fmt(open.snapshot.first)} ms) (target ≤ 1.5×; opened again in the same process, without loading code: ${times(open.journal.again, open.snapshot.again)}, ${fmt(open.journal.again)} vs ${fmt(open.snapshot.again)} ms)`
        : 'W9 open: not measured',
    ),
  );

  // 5. Device bytes.
  const bytesTable = mdTable(
    ['peer', 'one writer (bytes per update)', `${W9_PRODUCERS} producers (bytes per update)`],
    (['ours', 'leveldb', 'lmdb', 'floorA', 'floorB'] as const).map((peer) => [
      NAMES[peer],
      figures(peer)?.bytesPerUpdate ?? undefined,
      under(peer)?.bytesPerUpdate ?? (peer === 'floorA' ? '—' : undefined),
    ]),
  );

  const body = [
    `Each figure from a fresh child process (${
      built
        ? '`node` on bench/w9-child.ts bundled beside the library built as `npm run build` builds it, whose index.js it imports: ours runs as packed'
        : '`node --import tsx bench/w9-child.ts`, ours from src: the build failed'
    }), started once the page cache's pending writes are flushed (\`sync\`: the earlier workloads' and the seed copied for it, not written back during its timed writes), ${ROUNDS} rounds, medians across rounds. 200,000 entries, keys \`https://shop.example/product/<i>\`; each update adds a new key. SQLite (better-sqlite3) is not among the peers: its install script must download a prebuilt binary, which it cannot do here.`,
    '',
    `**1. One update until durable**: one child per size and round, holding every peer of that size open at once (the floors at every size, LevelDB and lmdb at 200k); the peers take turns of ${W9_TURN} durable updates each, in an order shuffled every round of turns, ${W9_WARM_UP.toLocaleString('en')} updates each to warm up, then ${SAMPLES.toLocaleString('en')} each timed (the first update of each turn is not: p99 by nearest rank is the peer's own, not the switch's). So the peers meet the disk as it is in the same second: in children of their own one after another, they met different disks (this machine's fdatasync drifted between 0.21 and 0.54 ms from child to child, more than the gap between peers). Turns of ${W9_TURN}, not of one: a job's updates come one after another to its store; interleaved one by one, every peer paid for the others' syncs and threads (floor C 0.17 → 0.25 ms, ours 0.30 → 0.49, LevelDB 0.35 → 0.36). Ratios (÷) are taken within each child, then the median across rounds; the medians in ms are medians across rounds. The peers of a child share one V8 heap: a collection that ours' allocations made due nearly always lands in ours' own time (the allocation that fills the young generation is most likely one of ours), but one may land in another peer's turn. The 1k store is timed holding 3,000 to 4,000 entries (the warm-up's keys are new there).`,
    '',
    latencyTable,
    '',
    `- **${NAMES.ours}**: \`store.update(s => s.seen.set(key, true)); await store.flush()\` on \`fileAdapter({ dir })\`, \`events: EMPTY\`: one journal append and fdatasync.`,
    `- **LevelDB**: classic-level 3, \`put(key, 'true', { sync: true })\`, on a database filled with 200k keys, reopened and compacted first. **lmdb**: lmdb-js 3, \`await put(key, true)\` with default options (the promise resolves once its transaction is committed, and lmdb 3 syncs a commit before marking it done: an awaited put is durable).`,
    `- **Floor A**: \`fs.writeSync\` of one ${W9_RECORD.length}-byte record (about one journal record of ours) on an O_APPEND file, then \`fs.fdatasyncSync\`. **Floor B**: one \`FileHandle.write\` of that record on a file opened O_DSYNC | O_APPEND (one thread-pool hop).`,
    '',
    `**2. ${W9_PRODUCERS} concurrent producers**: ${W9_PRODUCERS} async loops, each one durable update at a time, for ${CONCURRENT_MS / 1_000} s on each peer: one child per round holding the peers open at once, each peer getting ${W9_SLICES} slices of that time, in an order shuffled every round of slices, a slice lasting until the peer is idle again (a compaction ours' updates made due counts in its own time); ratios (÷ lmdb) within each child, median across rounds. Ours on one store, \`update\` then \`await flush()\`; LevelDB sync puts; lmdb awaited puts; floor B ${W9_PRODUCERS} loops of O_DSYNC writes on one file.`,
    '',
    concurrentTable,
    '',
    `**3. Import** in a fresh Node: \`const t = performance.now(); await import(url); print(performance.now() - t)\`; ours built as \`npm run build\` builds it (as packed), ${ROUNDS * IMPORTS_PER_ROUND} runs each, interleaved.${importError ? ` The build failed: ${importError.split('\n')[0]}` : ''}`,
    '',
    importTable,
    '',
    `**4. Open** at 200k: \`createPersistentStore\` until it resolves, in a fresh process, then again in the same process after \`close()\` (one child per round, medians across rounds), on the same snapshot with and without a journal of one-change records within ${PROBE_BATCH} changes under the compaction threshold (found by running the library; src/store/journal-writer.ts: journal values ≥ max(10,000, state values ÷ 8) or bytes ≥ max(1 MiB, state bytes ÷ 8)); files in the page cache.`,
    '',
    openTable,
    '',
    `**5. Device bytes written per update**: \`write_bytes\` of /proc/self/io in the child, read before and after each turn of timed updates (one writer) or each slice, the wait until the peer is idle included (8 producers: ours' compaction counted), so each peer's own, the others open beside it; divided by the updates. Linux counts a page (4 KiB) each time it is dirtied, and not the file system's own journal: an append of ~110 bytes re-dirties the file's last page after each fdatasync, so one write costs 4 KiB however small, and updates sharing a write (under ${W9_PRODUCERS} producers) share it. lmdb writes whole B-tree pages per commit, more of them as the database grows.`,
    '',
    bytesTable,
  ].join('\n');
  return { title: 'W9 local peers: durable updates against LevelDB, lmdb and the disk floor; import; open', body, checks };
}
