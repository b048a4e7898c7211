// What the readable stored form of a KeyedMap, and folding the journal at close(), cost (issue 16).
// Run alone: node --expose-gc --import tsx bench/readable-form.ts [sizes, e.g. 200000,1000000]
// 1. Open: a snapshot of `{ done, seen: KeyedMap<true> }` of N URL keys on the file adapter, the
//    map stored as its entries (this version) or as its trie (earlier versions, read as it is),
//    opened as a restarted job opens it: createPersistentStore in a fresh process, timed until it
//    resolves, with the process's peak memory (max RSS); and JSON.stringify of each form (what a
//    snapshot costs to write).
// 2. close(): a state of 200,000 entries (CLOSE_SIZES) with 100 journal records (10 changes each)
//    after its snapshot, closed with compactOnClose (the default) and without, on the file
//    adapter and on the Apify API server of the specs (loopback, requests paced at 180/s).
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMPTY } from 'rxjs';
import { apifyDialect, createPersistentStore, fileAdapter, KeyedMap, remoteKvAdapter, type StorageAdapter } from '../src/index.js';
import { wrap } from '../src/store/envelope.js';
import { ROOT } from '../src/store/keyed-map.js';
import { startFakeApify } from '../spec/support/fake-apify-server.js';
import { fmt, keyedState, keyOf, median, settle, tempDir, timeMs } from './harness.js';

type State = { done: number; seen: KeyedMap<true> };
const initial = (): State => ({ done: 0, seen: new KeyedMap<true>() });
const FORMS = ['entries', 'trie'] as const;

// The child: one open, then `<ms> <max RSS in KB>` on stdout.
if (process.argv[2] === '--open') {
  const [dir, size] = [process.argv[3]!, Number(process.argv[4])];
  const started = performance.now();
  const store = await createPersistentStore<State>({ key: 'K', initial: initial(), adapter: fileAdapter({ dir }), events: EMPTY, compactOnClose: false });
  const ms = performance.now() - started;
  if (store.getState().seen.size !== size || !store.getState().seen.has(keyOf(size - 1))) throw new Error('the map did not open whole');
  await store.close();
  console.log(`${ms} ${process.resourceUsage().maxRSS}`);
  process.exit(0);
}

const SIZES = (process.argv[2] ?? '200000,1000000').split(',').map(Number);
const REPS = Number(process.env.REPS ?? 7);
const CLOSE_SIZES = (process.env.CLOSE_SIZES ?? '200000').split(',').map(Number);
const CLOSE_RECORDS = 100;

async function openCost(size: number): Promise<void> {
  const { dir, remove } = tempDir('readable-open');
  try {
    const state = keyedState(size);
    const envelopes = {
      entries: wrap(state, 0, 0, new Date()),
      trie: wrap({ done: state.done, seen: { $rxpsMap: 1, size: state.seen.size, node: state.seen[ROOT].node } }, 0, 0, new Date()),
    };
    for (const form of FORMS) {
      const stringify: number[] = [];
      let text = '';
      for (let i = 0; i < REPS; i++) stringify.push(await timeMs(() => void (text = JSON.stringify(envelopes[form]))));
      await mkdir(path.join(dir, form));
      await writeFile(path.join(dir, form, 'K.json'), text);
      const opens: number[] = [];
      const rss: number[] = [];
      for (let i = 0; i < REPS; i++) {
        const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--open', path.join(dir, form), String(size)], {
          encoding: 'utf8',
        });
        if (child.status !== 0) throw new Error(`the open failed: ${child.stderr}`);
        const [ms, kb] = child.stdout.trim().split(' ').map(Number) as [number, number];
        opens.push(ms);
        rss.push(kb / 1024);
      }
      for (const list of [stringify, opens, rss]) list.sort((a, b) => a - b);
      console.log(
        `${size.toLocaleString('en')} entries, stored as ${form.padEnd(7)}: ${(text.length / 1e6).toFixed(1)} MB; JSON.stringify ${fmt(median(stringify))} ms; open in a fresh process ${fmt(median(opens))} ms (${opens.map(fmt).join(', ')}); peak RSS ${fmt(median(rss))} MB`,
      );
    }
  } finally {
    remove();
  }
}

async function closeCost(name: string, adapter: () => StorageAdapter, size: number): Promise<void> {
  for (const compactOnClose of [true, false]) {
    const times: number[] = [];
    for (let rep = 0; rep < 5; rep++) {
      const key = `C${rep}${compactOnClose}`;
      const first = await createPersistentStore<State>({ key, initial: keyedState(size), adapter: adapter(), events: EMPTY, compactOnClose: false });
      first.update((s) => void s.done++);
      await first.close(); // the snapshot
      const store = await createPersistentStore<State>({ key, initial: initial(), adapter: adapter(), events: EMPTY, compactOnClose });
      for (let r = 0; r < CLOSE_RECORDS; r++) {
        store.update((s) => {
          for (let i = 0; i < 10; i++) s.seen.set(keyOf(size + r * 10 + i), true);
        });
        await store.flush();
      }
      await settle();
      times.push(await timeMs(() => store.close()));
    }
    times.sort((a, b) => a - b);
    console.log(
      `close() of ${size.toLocaleString('en')} entries + ${CLOSE_RECORDS} journal records on ${name}, compactOnClose ${compactOnClose}: ${fmt(median(times))} ms (${times.map(fmt).join(', ')})`,
    );
  }
}

for (const size of SIZES) await openCost(size);
for (const size of CLOSE_SIZES) {
  const { dir, remove } = tempDir('readable-close');
  try {
    await closeCost('the file adapter', () => fileAdapter({ dir }), size);
  } finally {
    remove();
  }
  const api = await startFakeApify('bench-token', 'bench-store');
  try {
    await closeCost(
      'the Apify API server (loopback)',
      () => remoteKvAdapter({ dialect: apifyDialect({ token: 'bench-token', storeId: 'bench-store', baseUrl: api.url }) }),
      size,
    );
  } finally {
    await api.stop();
  }
}
