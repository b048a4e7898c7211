import { jest } from '@jest/globals';
import { EMPTY } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { FlushError, LockLostError, StorageReplacedError } from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import type { StoreDiagnostic } from '../../src/store/notices.js';
import { controlledAdapter } from '../support/controlled-adapter.js';

const snapshotOf = (records: Map<string, string>) => JSON.parse(records.get('R')!) as { seq: number; state: unknown };
const reopen = async (records: Map<string, string>) => {
  const again = await createPersistentStore({ key: 'R', initial: { n: 0 }, adapter: memoryAdapter({ records }), events: EMPTY });
  const state = again.getState();
  await again.close();
  return state;
};

/** Opens a store with a snapshot (n: 1) and one journal record (n: 2) durable. */
async function openWritten(options: { verify: boolean }, compactOnClose = true) {
  const control = controlledAdapter(new Map(), { journal: true, ...options });
  const store = await createPersistentStore({
    key: 'R',
    initial: { n: 0 },
    adapter: control.adapter,
    events: EMPTY,
    debounceMs: 60_000,
    maxWaitMs: 60_000,
    compactOnClose,
  });
  store.update((s) => void s.n++);
  await store.flush();
  store.update((s) => void s.n++);
  await store.flush();
  expect(control.appends).toBe(1);
  return { control, store };
}

describe('stored files removed or replaced while the store is open', () => {
  /** What the default logger wrote: console.warn, console.error and console.info, in order. */
  let logged: string[];
  let spies: Array<{ mockRestore(): void }>;
  beforeEach(() => {
    logged = [];
    spies = (['warn', 'error', 'info'] as const).map((level) =>
      jest.spyOn(console, level).mockImplementation((line: unknown) => void logged.push(`${level} ${String(line)}`)),
    );
  });
  afterEach(() => spies.forEach((spy) => spy.mockRestore()));

  test('verify finds the folder purged: the next persist writes the whole state, and flush resolves once it is durable', async () => {
    const { control, store } = await openWritten({ verify: true });
    control.purge('R');
    store.update((s) => void s.n++);
    await store.flush();
    // Not appended to what is gone: a snapshot of everything, at the current record number.
    expect(snapshotOf(control.records)).toMatchObject({ seq: 2, state: { n: 3 } });
    expect(control.records.has('R#journal')).toBe(false);
    store.update((s) => void s.n++);
    await store.close();
    expect(await reopen(control.records)).toEqual({ n: 4 });
  });

  test('an append finds it (no verify): the records it could not append go into a whole snapshot in the same flush', async () => {
    const { control, store } = await openWritten({ verify: false });
    control.purge('R');
    store.update((s) => void s.n++);
    store.update((s) => void s.n++);
    await store.flush();
    expect(snapshotOf(control.records)).toMatchObject({ seq: 2, state: { n: 4 } });
    expect(store.getStatus()).toMatchObject({ phase: 'idle', lastError: null });
    await store.close();
    expect(await reopen(control.records)).toEqual({ n: 4 });
  });

  test('an idle store whose folder was purged writes its state again when it closes', async () => {
    const { control, store } = await openWritten({ verify: true });
    control.purge('R');
    await store.close();
    expect(await reopen(control.records)).toEqual({ n: 2 });
  });

  test('the check at close writes nothing when the storage is intact, nor for a store that never changed', async () => {
    const { control, store } = await openWritten({ verify: true }, false); // the journal folded at close would be a write
    await store.close();
    expect({ writes: control.attempts, appends: control.appends }).toEqual({ writes: 1, appends: 1 });
    const fresh = controlledAdapter(new Map(), { journal: true, verify: true });
    const idle = await createPersistentStore({ key: 'R', initial: { n: 0 }, adapter: fresh.adapter, events: EMPTY });
    await idle.close();
    expect(fresh.verifications).toBe(1);
    expect([...fresh.records.keys()]).toEqual([]);
  });

  test('logged once per episode to the console (no Crawlee log loaded), however many writes notice it', async () => {
    const { control, store } = await openWritten({ verify: true });
    control.purge('R');
    control.failNext(new Error('disk hiccup'), new Error('disk hiccup')); // the rewrite fails twice: three writes notice the purge
    const before = { attempts: control.attempts, verifications: control.verifications };
    store.update((s) => void s.n++);
    await store.flush();
    // The append noticed it first; each retry of the whole write checks again before writing.
    expect({ attempts: control.attempts - before.attempts, verifications: control.verifications - before.verifications }).toEqual({
      attempts: 3,
      verifications: 2,
    });
    const lines = () => logged;
    // One line for the purge, one for the failing writes (one episode each, however many attempts), one for the recovery.
    expect(lines()).toEqual([
      expect.stringMatching(/^warn rx-persistent-store: The stored files of "R" at memory:R were removed while the store was open/),
      expect.stringMatching(/^error rx-persistent-store: Could not write the state of "R" to memory:R: disk hiccup/),
      'info rx-persistent-store: The state of "R" is written again, after 2 failed attempts.',
    ]);
    control.purge('R'); // a second episode is told again
    store.update((s) => void s.n++);
    await store.flush();
    expect(lines().filter((line) => line.includes('were removed'))).toHaveLength(2);
    await store.close();
    expect(await reopen(control.records)).toEqual({ n: 4 });
  });

  test('each notice also goes to diagnostics$; with logger: false, nothing to the console', async () => {
    const control = controlledAdapter(new Map(), { journal: true, verify: true });
    const store = await createPersistentStore({
      key: 'R',
      initial: { n: 0 },
      adapter: control.adapter,
      events: EMPTY,
      debounceMs: 60_000,
      maxWaitMs: 60_000,
      logger: false,
    });
    store.update((s) => void s.n++);
    await store.flush();
    const seen: StoreDiagnostic[] = [];
    const subscription = store.diagnostics$.subscribe((d) => seen.push(d));
    control.purge('R');
    store.update((s) => void s.n++);
    await store.flush();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: 'storage-replaced', key: 'R' });
    expect(seen[0]!.error).toBeInstanceOf(StorageReplacedError);
    expect(logged).toEqual([]);
    subscription.unsubscribe();
    await store.close();
  });

  test('a lost lock stops writing for good: status error, flush rejects, no further adapter call, one warning', async () => {
    const { control, store } = await openWritten({ verify: true });
    control.loseLock();
    store.update((s) => void s.n++);
    const error = await store.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlushError);
    expect((error as FlushError).cause).toBeInstanceOf(LockLostError);
    expect(store.getStatus()).toMatchObject({ phase: 'error' });
    const calls = () => control.appends + control.attempts + control.verifications;
    const before = calls();
    store.update((s) => void s.n++);
    await expect(store.flush()).rejects.toBeInstanceOf(FlushError);
    expect(calls()).toBe(before);
    await expect(store.close()).rejects.toBeInstanceOf(FlushError);
    expect(calls()).toBe(before);
    expect(logged).toEqual([expect.stringMatching(/^error rx-persistent-store: The store "R" lost its lock/)]);
  });
});
