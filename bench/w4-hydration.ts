// W4 hydration: start-up from a snapshot plus a journal of 10,000 changes, against JSON.parse of the final state.
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { parseJournal } from '../src/adapters/journal-text.js';
import { createPersistentStore, fileAdapter, KeyedMap } from '../src/index.js';
import { closeCrawlee, openCrawlee } from './peers.js';
import { settle, fmt, keyedState, keyOf, median, repsFor, sizeLabel, tempDir, TARGET_SIZE, timeMs, type BenchState, type Row } from './harness.js';
import { check, mdTable, times, type Section } from './report.js';

export const W4 = {
  ours: 'rx-persistent-store',
  parse: 'JSON.parse',
  readParse: 'readFile + JSON.parse',
  crawlee: 'Crawlee useState',
  journalRecords: 'journal records',
  journalChanges: 'journal changes',
} as const;

const CHANGES = 10_000;
const PER_RECORD = 10;
const KEY = 'W4';

/** Records and changes in a journal file (a KeyedMap op counts each of its changes). */
async function journalLength(file: string): Promise<{ records: number; changes: number }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return { records: 0, changes: 0 }; // compacted away, or never written
  }
  const records = parseJournal(bytes, KEY, file) as Array<{ ops: { op: string; changes?: unknown[] }[] }>;
  let changes = 0;
  for (const { ops } of records) for (const op of ops) changes += op.op === 'map' ? (op.changes?.length ?? 0) : 1;
  return { records: records.length, changes };
}

export async function w4Measure(size: number): Promise<Row> {
  const { dir, remove } = tempDir('w4');
  try {
    // compactOnClose: false: the journal must be there to replay (and the timed opens write nothing).
    const open = () =>
      createPersistentStore({
        key: KEY,
        initial: { done: 0, seen: new KeyedMap<true>() },
        adapter: fileAdapter({ dir }),
        events: EMPTY,
        compactOnClose: false,
      });
    // A snapshot of `size` entries ...
    const first = await createPersistentStore({ key: KEY, initial: keyedState(size), adapter: fileAdapter({ dir }), events: EMPTY });
    first.update((s) => void s.done++);
    await first.close();
    // ... then a second run journals 10,000 changes, 10 per write, and closes without compacting.
    const second = await open();
    if (!second.restored) throw new Error('W4: the snapshot was not restored');
    for (let record = 0; record < CHANGES / PER_RECORD; record++) {
      second.update((s) => {
        for (let i = 0; i < PER_RECORD; i++) s.seen.set(keyOf(size + record * PER_RECORD + i), true);
      });
      await second.flush();
    }
    const finalState = second.getState();
    const plain = { done: finalState.done, seen: finalState.seen.toObject() };
    await second.close();
    const journal = await journalLength(path.join(dir, `${KEY}.json.journal`));
    await settle();

    const reps = repsFor(6_000, size / 500, 3, 9);
    // Ours: createPersistentStore alone, close() outside the timing.
    const openTimes: number[] = [];
    for (let i = 0; i < reps; i++) {
      await settle();
      let store: Awaited<ReturnType<typeof open>> | undefined;
      openTimes.push(
        await timeMs(async () => {
          store = await open();
        }),
      );
      if (store!.getState().seen.size !== size + CHANGES) throw new Error('W4: hydration lost entries');
      await store!.close();
    }
    openTimes.sort((a, b) => a - b);

    const text = JSON.stringify(plain);
    const plainFile = path.join(dir, 'plain.json');
    await writeFile(plainFile, text);
    const parse: number[] = [];
    const readParse: number[] = [];
    for (let i = 0; i < reps; i++) {
      await settle();
      parse.push(await timeMs(() => JSON.parse(text)));
      await settle();
      readParse.push(await timeMs(async () => JSON.parse(await readFile(plainFile, 'utf8'))));
    }
    parse.sort((a, b) => a - b);
    readParse.sort((a, b) => a - b);

    // Crawlee: the same final state stored by setValue, then what useState does in a new process:
    // KeyValueStore.open() (caches dropped, no purge) and getAutoSavedValue.
    const crawleeDir = path.join(dir, 'crawlee');
    await (await openCrawlee(crawleeDir)).setValue(KEY, plain);
    await closeCrawlee();
    await settle();
    const crawlee: number[] = [];
    for (let i = 0; i < repsFor(8_000, size / 250, 3, reps); i++) {
      let loaded: BenchState<Record<string, true>> | undefined;
      crawlee.push(
        await timeMs(async () => {
          const kv = await openCrawlee(crawleeDir, { purgeOnStart: false });
          loaded = await kv.getAutoSavedValue<BenchState<Record<string, true>>>(KEY, { done: 0, seen: {} });
        }),
      );
      if (loaded?.seen[keyOf(size + CHANGES - 1)] !== true) throw new Error('W4: Crawlee did not load the stored state');
      loaded = undefined;
      await closeCrawlee();
      await settle();
    }
    crawlee.sort((a, b) => a - b);
    return {
      size,
      [W4.ours]: median(openTimes),
      [W4.parse]: median(parse),
      [W4.readParse]: median(readParse),
      [W4.crawlee]: median(crawlee),
      [W4.journalRecords]: journal.records,
      [W4.journalChanges]: journal.changes,
      bytes: text.length,
    };
  } finally {
    remove();
  }
}

export function w4Section(rows: readonly Row[]): Section {
  const at = rows.find((r) => r.size === TARGET_SIZE);
  const checks = [
    check(
      at && at[W4.ours]! <= 1.5 * at[W4.parse]!,
      at
        ? `W4 at 200k entries: opening the store takes ${times(at[W4.ours], at[W4.parse])} the time of \`JSON.parse\` of the final state (${fmt(at[W4.ours])} vs ${fmt(at[W4.parse])} ms), with a journal of ${fmt(at[W4.journalChanges])} changes in ${fmt(at[W4.journalRecords])} records (target ≤ 1.5×)`
        : 'W4 at 200k entries: not measured (200000 not in BENCH_SIZES)',
    ),
  ];
  const table = mdTable(
    [
      'entries',
      'final state as JSON (MB)',
      'journal at start (changes / records)',
      `${W4.ours} (ms)`,
      `${W4.parse} (ms)`,
      `${W4.readParse} (ms)`,
      `${W4.crawlee} (ms)`,
      'ours ÷ JSON.parse',
      'Crawlee ÷ ours',
    ],
    rows.map((r) => [
      r.size.toLocaleString('en'),
      r.bytes! / 1e6,
      `${r[W4.journalChanges]!.toLocaleString('en')} / ${r[W4.journalRecords]!.toLocaleString('en')}`,
      r[W4.ours],
      r[W4.parse],
      r[W4.readParse],
      r[W4.crawlee],
      times(r[W4.ours], r[W4.parse]),
      times(r[W4.crawlee], r[W4.ours]),
    ]),
  );
  const compacted = rows.filter((r) => r[W4.journalChanges]! < CHANGES).map((r) => sizeLabel(r.size));
  const body = [
    table,
    '',
    `- Setup: a store of N entries is created and closed (a snapshot), a second one restores it and makes ${CHANGES.toLocaleString('en')} changes (new keys), ${PER_RECORD} per \`update()\` + \`flush()\`, so ${(CHANGES / PER_RECORD).toLocaleString('en')} journal records, then closes (close does not compact). The journal column counts what the \`.journal\` file really held at start-up.${compacted.length > 0 ? ` At ${compacted.join(', ')} entries it held less: the journal outgrew max(10,000, N/8) changes (or its bytes an eighth of the state's) and the store folded it into a snapshot, as designed, so those rows time a plain snapshot load.` : ''}`,
    `- **${W4.ours}**: \`await createPersistentStore()\` alone (lock, read snapshot, replay the journal, freeze); \`close()\` is outside the timing. Median of 3 to 9 opens.`,
    `- **${W4.parse}**: \`JSON.parse\` of the same final state as a plain object, \`JSON.stringify({ done, seen: Object.fromEntries(...) })\`, already in memory (the target's yardstick). **${W4.readParse}**: the same text read from a file first, for comparison with ours, which reads its files.`,
    `- **${W4.crawlee}**: the same plain state stored by Crawlee's \`setValue\`, then what \`useState\` does in a new process: \`Configuration.resetGlobalState()\`, \`KeyValueStore.open()\` (with \`CRAWLEE_PURGE_ON_START=0\`, else the default store would be purged) and \`getAutoSavedValue(key)\`. Crawlee scans the store folder, reads the record and checks it with \`json5.parse\`, then reads and \`json5.parse\`s it again on the get.`,
  ].join('\n');
  return { title: 'W4 hydration: start from a snapshot plus a journal of 10,000 changes (ms, median)', body, checks };
}
