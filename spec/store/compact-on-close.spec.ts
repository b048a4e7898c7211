import { jest } from '@jest/globals';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import type { StorageAdapter } from '../../src/adapters/storage-adapter.js';
import { FlushError, InvalidOptionError } from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';
import type { StoreDiagnostic } from '../../src/store/notices.js';
import { controlledAdapter } from '../support/controlled-adapter.js';
import { journalText } from '../support/journal-file.js';
import { useTempDir } from '../support/temp-dir.js';

const dir = useTempDir('close-compact');
const initial = () => ({ done: 0, seen: new KeyedMap<number>() });
const openFile = (extra: { compactOnClose?: boolean } = {}) =>
  createPersistentStore({ key: 'CRAWL', initial: initial(), adapter: fileAdapter({ dir: dir() }), events: EMPTY, ...extra });
const file = (name: string) => path.join(dir(), name);
const journalIfThere = () => journalText(file('CRAWL.json.journal')).catch(() => '');

/** A store with a snapshot (the first write) and two journal records after it, still open. */
async function journalled(extra: { compactOnClose?: boolean } = {}) {
  const store = await openFile(extra);
  for (let i = 0; i < 3; i++) {
    store.update((s) => {
      s.done++;
      s.seen.set(`https://example.com/${i}`, i);
    });
    await store.flush();
  }
  expect((await journalIfThere()).trim().split('\n')).toHaveLength(2);
  return store;
}

/** A store on a controlled adapter with a snapshot (n: 1) and one journal record (n: 2), and what diagnostics$ said. */
async function controlledJournalled() {
  const control = controlledAdapter(new Map(), { journal: true });
  const store = await createPersistentStore({ key: 'R', initial: { n: 0 }, adapter: control.adapter, events: EMPTY });
  const diagnostics: StoreDiagnostic[] = [];
  store.diagnostics$.subscribe((d) => diagnostics.push(d));
  store.update((s) => void s.n++);
  await store.flush(); // the first write: a snapshot
  store.update((s) => void s.n++);
  await store.flush(); // a journal record
  return { control, store, diagnostics };
}

describe('close() leaves the stored snapshot current', () => {
  let warn: jest.SpiedFunction<typeof console.warn>;
  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  test('the journal is folded into the snapshot: the file alone holds the state as closed, its map as entries', async () => {
    const store = await journalled();
    await store.close();
    expect(await journalIfThere()).toBe('');
    const stored = JSON.parse(await fs.readFile(file('CRAWL.json'), 'utf8'));
    expect(stored).toMatchObject({ $rxps: 1, seq: 2, state: { done: 3, seen: { $rxpsMap: 1 } } });
    expect(new Map(stored.state.seen.entries)).toEqual(new Map([0, 1, 2].map((i) => [`https://example.com/${i}`, i])));
    const again = await openFile();
    expect(again.getState().done).toBe(3);
    expect(again.getState().seen.get('https://example.com/2')).toBe(2);
    await again.close();
  });

  test('compactOnClose: false leaves the journal as it is; the next open replays it', async () => {
    const store = await journalled({ compactOnClose: false });
    await store.close();
    expect((await journalIfThere()).trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(await fs.readFile(file('CRAWL.json'), 'utf8')).state.done).toBe(1);
    const again = await openFile({ compactOnClose: false });
    expect(again.getState().done).toBe(3);
    await again.close();
    await expect(createPersistentStore({ key: 'K', initial: {}, compactOnClose: 'no' as never })).rejects.toThrow(InvalidOptionError);
  });

  test('a store that changed nothing writes nothing at close (a reader on the Apify store would make its takeover final); the next one that changes folds all', async () => {
    await (await journalled({ compactOnClose: false })).close();
    const journal = await journalIfThere();
    const reader = await openFile();
    await reader.close();
    expect(await journalIfThere()).toBe(journal);
    const writer = await openFile();
    writer.update((s) => void s.done++);
    await writer.close();
    expect(await journalIfThere()).toBe('');
    expect(JSON.parse(await fs.readFile(file('CRAWL.json'), 'utf8')).state.done).toBe(4);
  });

  test('nothing to fold (no journal since the snapshot): close writes nothing', async () => {
    const control = controlledAdapter(new Map(), { journal: true });
    const store = await createPersistentStore({ key: 'R', initial: { n: 0 }, adapter: control.adapter, events: EMPTY });
    store.update((s) => void s.n++);
    await store.flush(); // the first write: a snapshot
    await store.close();
    expect({ writes: control.attempts, appends: control.appends }).toEqual({ writes: 1, appends: 0 });
  });

  test('a lost lock: close writes nothing more, and storage keeps what it had', async () => {
    const { control, store, diagnostics } = await controlledJournalled();
    control.loseLock();
    store.update((s) => void s.n++);
    await expect(store.flush()).rejects.toThrow(FlushError);
    const before = new Map(control.records);
    const attempts = control.attempts;
    await expect(store.close()).rejects.toThrow(FlushError);
    expect(control.attempts).toBe(attempts);
    expect(control.records).toEqual(before);
    expect(diagnostics.map((d) => d.type)).toEqual(['lock-lost']);
  });

  test('a final write that fails: close rejects and folds nothing', async () => {
    const records = new Map<string, string>();
    const inner = memoryAdapter({ records });
    let failing = false;
    let writes = 0;
    const adapter: StorageAdapter = {
      ...inner,
      async write(key, value) {
        writes++;
        await inner.write(key, value);
      },
      async append(key, entries) {
        if (failing) throw Object.assign(new Error('disk refused'), { retryable: false });
        await inner.append!(key, entries);
      },
    };
    const store = await createPersistentStore({ key: 'R', initial: { n: 0 }, adapter, events: EMPTY });
    store.update((s) => void s.n++);
    await store.flush();
    store.update((s) => void s.n++);
    await store.flush(); // a journal record: there is something to fold
    failing = true;
    store.update((s) => void s.n++);
    await expect(store.close()).rejects.toThrow(/disk refused/);
    expect(writes).toBe(1); // the first snapshot only
    expect(records.get('R#journal')?.trim().split('\n')).toHaveLength(1);
  });

  test('a fold that fails loses nothing: close resolves, diagnostics$ says so, the journal still holds the changes', async () => {
    const { control, store, diagnostics } = await controlledJournalled();
    control.failNext(new Error('the disk is full'));
    await store.close();
    expect(diagnostics).toEqual([
      expect.objectContaining({
        type: 'write-failed',
        message: expect.stringMatching(/^Could not fold the journal of "R" into a snapshot at close: the disk is full\. Nothing is lost/),
      }),
    ]);
    const again = await createPersistentStore({
      key: 'R',
      initial: { n: 0 },
      adapter: memoryAdapter({ records: control.records }),
      events: EMPTY,
      compactOnClose: false,
    });
    expect(again.getState()).toEqual({ n: 2 });
    await again.close();
  });
});
