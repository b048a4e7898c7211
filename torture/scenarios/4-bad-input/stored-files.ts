import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EMPTY, filter, firstValueFrom, Subject } from 'rxjs';
import type { PlatformEvent } from '../../../src/events/event-types.js';
import { createPersistentStore, fileAdapter, KeyedMap, type PersistentStore, type PersistentStoreOptions, type Recipe } from '../../../src/index.js';
import { difference, listing, sameBytes } from './folders.js';
import { attempt, within, type Context, type Family } from './harness.js';
import { describeError, show } from './print.js';

// A store's files: a base written by the library, put in place with changes, and the checks of every family with stored files.

export interface Files {
  snapshot: Buffer | undefined;
  journal: Buffer | undefined;
}

/** The journal's whole lines (without their newline) and its tail after the last newline. */
export function lines(journal: Buffer | undefined): { whole: Buffer[]; tail: Buffer } {
  const whole: Buffer[] = [];
  if (!journal) return { whole, tail: Buffer.alloc(0) };
  let start = 0;
  for (let at = journal.indexOf(0x0a); at >= 0; at = journal.indexOf(0x0a, start)) {
    whole.push(journal.subarray(start, at));
    start = at + 1;
  }
  return { whole, tail: journal.subarray(start) };
}

export const parseOr = (bytes: Buffer | undefined): unknown => {
  try {
    return bytes === undefined ? undefined : (JSON.parse(bytes.toString('utf8')) as unknown);
  } catch {
    return undefined;
  }
};

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export type AnyOptions = PersistentStoreOptions<unknown>;

/** A store's options on `folder`, apart from what each family sets. */
export const baseOptions = (folder: string): Pick<AnyOptions, 'adapter' | 'events' | 'debounceMs' | 'maxWaitMs' | 'flushTimeoutMs' | 'compactOnClose'> => ({
  adapter: fileAdapter({ dir: folder }),
  events: EMPTY,
  debounceMs: 0,
  maxWaitMs: 0,
  flushTimeoutMs: 5_000,
  // The checks compare the files after a close without an update, and look for a lost journal
  // record, which a snapshot written at close (from memory) would hide. Writing whole is checked
  // by the compaction on `migrating`.
  compactOnClose: false,
});

/**
 * The checks every family with stored files shares. Open with 'throw': refused (typed, files
 * unchanged), or opened (then closing without an update changes nothing; with `checkUpdate`, an
 * update made on it is there after reopening). When refused, open with 'moveAside': the original
 * bytes must survive, under the key or under the moved-aside name.
 */
export async function checkStored(
  ctx: Context,
  family: Family,
  folder: string,
  key: string,
  options: (onInvalidStored: 'throw' | 'moveAside') => AnyOptions,
  input: string,
  checkUpdate: boolean,
): Promise<{ crashed: boolean; first: 'opened' | 'refused' | 'crashed' }> {
  const { tally } = ctx;
  const crashed = { value: false };
  const before = await listing(folder);
  const overwrite = async (what: string): Promise<void> => {
    tally.overwrites++;
    tally.note(family, 'overwrite without consent', what, input);
  };
  const first = await attempt(tally, family, input, 'open', () => createPersistentStore(options('throw')), crashed);
  const done = () => ({ crashed: crashed.value, first: first.ok ? ('opened' as const) : first.typed ? ('refused' as const) : ('crashed' as const) });
  if (!first.ok) {
    tally.refused++;
    const changed = difference(before, await listing(folder));
    if (changed) await overwrite(`a refused open (${describeError(first.error)}) changed the files: ${changed}`);
    if (!first.typed) return done();
    const second = await attempt(tally, family, input, "open with onInvalidStored 'moveAside'", () => createPersistentStore(options('moveAside')), crashed);
    const after = await listing(folder);
    // Every original file must still be there, under its name or under `<key>.invalid-…`.
    const survives = (name: string, bytes: Buffer | 'dir'): boolean => {
      if (sameBytes(after.get(name), bytes)) return true;
      const suffix = name.slice(key.length);
      return [...after].some(([other, otherBytes]) => other.startsWith(`${key}.invalid-`) && other.endsWith(suffix) && sameBytes(otherBytes, bytes));
    };
    const lostFile = [...before].find(([name, bytes]) => !survives(name, bytes));
    if (lostFile)
      await overwrite(`onInvalidStored 'moveAside' (${second.ok ? 'opened' : describeError(second.error)}) lost the original bytes of ${lostFile[0]}`);
    if (!second.ok) {
      if (second.typed && difference(before, after)) {
        tally.movedThenRefused++;
        tally.note(
          family,
          'moveAside moved the stored copy, then refused to open (the caller is not told where the copy went)',
          describeError(second.error),
          input,
          '',
        );
      }
      return done();
    }
    const store = second.value as PersistentStore<unknown>;
    if (store.movedAside !== undefined) {
      tally.movedAside++;
      for (const [name, bytes] of before) {
        const moved = name.startsWith(`${key}.json`) ? `${store.movedAside}${name.slice(key.length)}` : name;
        if (!sameBytes(after.get(moved), bytes)) await overwrite(`moveAside to ${store.movedAside}: ${moved} does not hold the original bytes of ${name}`);
      }
    }
    await attempt(tally, family, input, 'close', () => store.close(), crashed);
    return done();
  }
  tally.opened++;
  const store = first.value as PersistentStore<unknown>;
  await attempt(tally, family, input, 'close', () => store.close(), crashed);
  const changed = difference(before, await listing(folder));
  if (changed) await overwrite(`opening and closing without an update changed the files: ${changed}`);
  if (!checkUpdate || crashed.value) return done();

  // What opened must take an update that is still there after reopening.
  const again = await attempt(tally, family, input, 'reopen', () => createPersistentStore(options('throw')), crashed);
  if (!again.ok) {
    tally.lost++;
    tally.note(family, 'opened once, refused the second time (nothing was written in between)', describeError(again.error), input);
    return done();
  }
  const reopened = again.value as PersistentStore<unknown>;
  const state = reopened.getState();
  const marker = `torture-${Math.random()}`;
  const updatable = isObject(state) && !(state instanceof KeyedMap);
  if (updatable) {
    await attempt(tally, family, input, 'update', () => reopened.update((draft) => void ((draft as Record<string, unknown>).__torture = marker)), crashed);
    const flushed = await attempt(tally, family, input, 'flush', () => reopened.flush(), crashed);
    if (!flushed.ok && flushed.typed) {
      tally.flushFailed++;
      tally.note(family, 'an update on an opened store could not be made durable', describeError(flushed.error), input);
    }
  }
  await attempt(tally, family, input, 'close', () => reopened.close(), crashed);
  if (!updatable || crashed.value) return done();
  // Its events are ours: a `migrating` folds the journal (the update) into a snapshot, so the state
  // must be writable whole. (Only after the check of the update: a snapshot would hide a lost record.)
  const events = new Subject<PlatformEvent>();
  const third = await attempt(tally, family, input, 'open after the update', () => createPersistentStore({ ...options('throw'), events }), crashed);
  if (!third.ok) {
    tally.lost++;
    tally.note(family, 'an update made the store unreadable', describeError(third.error), input);
    return done();
  }
  const last = third.value as PersistentStore<unknown>;
  const found = (last.getState() as Record<string, unknown> | null)?.__torture;
  if (found !== marker) {
    tally.lost++;
    tally.note(family, 'a durable update (flush resolved) is missing after reopening', `found ${show(found)} instead of the update`, input);
  }
  const compaction = await attempt(tally, family, input, 'compaction on migrating', () => compactNow(last, events), crashed);
  if (compaction.ok && compaction.value) {
    tally.unwritable++;
    tally.note(family, 'a state that opened cannot be written whole (the compaction fails, and is retried forever)', describeError(compaction.value), input);
  }
  await attempt(tally, family, input, 'close', () => last.close(), crashed);
  return done();
}

/** Sends `migrating`, which writes and folds the journal into a snapshot; resolves to that write's error, if any. */
export async function compactNow(store: PersistentStore<unknown>, events: Subject<PlatformEvent>): Promise<Error | undefined> {
  events.next({ name: 'migrating', data: {} });
  const status = await within(firstValueFrom(store.status$.pipe(filter((s) => s.phase !== 'saving'))), 'the compaction after migrating', 5_000);
  return status.lastError ?? undefined;
}

interface BaseState {
  n: number;
  name: string;
  list: number[];
  nested: { a: { b: unknown[]; c?: string } };
  items: KeyedMap<unknown>;
}

/** A real store written by the library: a snapshot and a journal of six records. */
export async function writeBase(folder: string, key: string): Promise<Files> {
  const store = await createPersistentStore<BaseState>({
    key,
    initial: { n: 0, name: 'base', list: [1, 2, 3], nested: { a: { b: [true, null, 'x'] } }, items: new KeyedMap<unknown>() },
    adapter: fileAdapter({ dir: folder }),
    events: EMPTY,
    debounceMs: 0,
    maxWaitMs: 0,
    compactOnClose: false, // the journal of six records is part of the base
  });
  store.update((s) => {
    for (let i = 0; i < 300; i++) s.items.set(`item-${i}`, i % 3 === 0 ? { i, tags: ['t'] } : i);
  });
  await store.flush(); // the first write: a snapshot
  const steps: Array<Recipe<BaseState>> = [
    (s) => void (s.n = 1),
    (s) => void s.list.push(4),
    (s) => {
      s.items.delete('item-7');
      s.items.set('new', 'x');
    },
    (s) => void (s.nested.a.c = 'c'),
    (s) => void s.list.splice(0, 1),
    (s) => {
      s.name = 'ünïcödé \u2028 \ud83d\ude00';
      s.n++;
    },
  ];
  for (const step of steps) {
    store.update(step);
    await store.flush(); // one journal record each
  }
  await store.close();
  return {
    snapshot: await fs.readFile(path.join(folder, `${key}.json`)),
    journal: await fs.readFile(path.join(folder, `${key}.json.journal`)),
  };
}

export async function putFiles(folder: string, key: string, files: Files): Promise<void> {
  await fs.rm(folder, { recursive: true, force: true });
  await fs.mkdir(folder, { recursive: true });
  if (files.snapshot) await fs.writeFile(path.join(folder, `${key}.json`), files.snapshot);
  if (files.journal) await fs.writeFile(path.join(folder, `${key}.json.journal`), files.journal);
}
