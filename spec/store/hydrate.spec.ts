import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { CorruptStateError, FutureVersionError, InvalidStateError, MigrationError } from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import type { PersistentStoreOptions } from '../../src/store/store-options.js';
import { KeyedMap } from '../../src/store/keyed-map.js';
import { EMPTY } from 'rxjs';

const schema = z.object({ done: z.number(), seen: z.record(z.string(), z.literal(true)) });
type State = z.infer<typeof schema>;
const initial: State = { done: 0, seen: {} };
const envelope = (version: number, state: unknown) => JSON.stringify({ $rxps: 1, version, savedAt: '2026-01-01T00:00:00.000Z', state });

/** Opens a store over `records` seeded with `stored` under KEY. */
async function openOver(stored: string, options: Partial<PersistentStoreOptions<State>> = {}) {
  const records = new Map([['KEY', stored]]);
  const open = () => createPersistentStore<State>({ key: 'KEY', initial, schema, adapter: memoryAdapter({ records }), ...options });
  return { records, open };
}

/** Asserts that opening fails with `type` and `message`, and that the stored bytes are unchanged. */
async function expectRefused(stored: string, options: Partial<PersistentStoreOptions<State>>, type: new (...a: never[]) => Error, message: RegExp) {
  const { records, open } = await openOver(stored, options);
  const error = await open().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(message);
  expect([...records]).toEqual([['KEY', stored]]);
  // and the lock was released: a second try fails the same way, not with STORE_LOCKED
  await expect(open()).rejects.toBeInstanceOf(type);
}

describe('hydration', () => {
  test('a valid stored state is restored and validated', async () => {
    const { open } = await openOver(envelope(0, { done: 3, seen: { a: true } }));
    const store = await open();
    expect(store.restored).toBe(true);
    expect(store.getState()).toEqual({ done: 3, seen: { a: true } });
    await store.close();
  });

  test('unparsable data: CorruptStateError naming the key, nothing written', async () => {
    await expectRefused('{"$rxps":1,"vers', {}, CorruptStateError, /key "KEY" at memory:KEY is unreadable: .*JSON/);
  });

  test('schema mismatch: InvalidStateError naming the key and the first problem', async () => {
    await expectRefused(
      envelope(0, { done: 1, seen: { x: 'yes' } }),
      {},
      InvalidStateError,
      /stored state for key "KEY" does not match the schema at seen\.x: .*true/,
    );
  });

  test('a malformed envelope is corrupt, not a bare value', async () => {
    await expectRefused(JSON.stringify({ $rxps: 9, state: {} }), {}, CorruptStateError, /unknown format 9/);
    await expectRefused(JSON.stringify({ $rxps: 1, version: -1, state: {} }), {}, CorruptStateError, /version -1/);
    await expectRefused(JSON.stringify({ $rxps: 1, version: 0 }), {}, CorruptStateError, /no state/);
  });

  test('an initial state that fails the schema is refused', async () => {
    const error = await createPersistentStore({ key: 'K', initial: { done: 'x' } as never, schema, adapter: memoryAdapter() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as InvalidStateError).source).toBe('initial');
  });

  describe("onInvalidStored: 'moveAside'", () => {
    test('moves the bad copy to a timestamped key, never overwriting it, and starts fresh', async () => {
      const bad = envelope(0, { done: 'many' });
      const { records, open } = await openOver(bad, { onInvalidStored: 'moveAside' });
      const store = await open();
      expect(store.restored).toBe(false);
      expect(store.movedAside).toMatch(/^KEY\.invalid-\d{8}T\d{6}\.\d{3}Z$/);
      expect(records.get(store.movedAside!)).toBe(bad);
      expect(records.has('KEY')).toBe(false);
      expect(store.getState()).toEqual(initial);
      store.update((d) => void d.done++);
      await store.close();
      expect(records.get(store.movedAside!)).toBe(bad);
      expect(JSON.parse(records.get('KEY')!).state).toEqual({ done: 1, seen: {} });
    });

    test('also for unparsable data', async () => {
      const { records, open } = await openOver('garbage', { onInvalidStored: 'moveAside' });
      const store = await open();
      expect(records.get(store.movedAside!)).toBe('garbage');
      await store.close();
    });

    test('never for a newer version', async () => {
      await expectRefused(
        envelope(5, initial),
        { version: 2, migrate: () => initial, onInvalidStored: 'moveAside' },
        FutureVersionError,
        /version 5, newer than this store's version 2/,
      );
    });
  });

  describe('versions and migrations', () => {
    test('an older version is migrated, then validated', async () => {
      const calls: Array<[unknown, number]> = [];
      const { records, open } = await openOver(envelope(1, { count: 4, urls: ['a', 'b'] }), {
        version: 2,
        migrate: async (old, from) => {
          calls.push([old, from]);
          const o = old as { count: number; urls: string[] };
          return { done: o.count, seen: Object.fromEntries(o.urls.map((u) => [u, true as const])) };
        },
      });
      const store = await open();
      expect(calls).toEqual([[{ count: 4, urls: ['a', 'b'] }, 1]]);
      expect(store.getState()).toEqual({ done: 4, seen: { a: true, b: true } });
      await store.close();
      // nothing was written back: a rollback of the deploy still finds its version 1 data
      expect(records.get('KEY')).toBe(envelope(1, { count: 4, urls: ['a', 'b'] }));
    });

    test('a newer version is refused and never downgraded', async () => {
      await expectRefused(
        envelope(3, initial),
        { version: 2, migrate: () => initial },
        FutureVersionError,
        /written by version 3, newer than this store's version 2; refusing to downgrade/,
      );
    });

    test('an older version without migrate is refused (even with moveAside)', async () => {
      await expectRefused(envelope(1, initial), { version: 2, onInvalidStored: 'moveAside' }, MigrationError, /from version 1 to 2: no migrate function/);
    });

    test('a migrate that throws: MigrationError with the cause, stored copy kept', async () => {
      const boom = new Error('boom');
      const { records, open } = await openOver(envelope(1, {}), {
        version: 2,
        migrate: () => {
          throw boom;
        },
      });
      const error = (await open().catch((e: unknown) => e)) as MigrationError;
      expect(error).toBeInstanceOf(MigrationError);
      expect(error.message).toMatch(/migrate threw: boom/);
      expect(error.cause).toBe(boom);
      expect(records.get('KEY')).toBe(envelope(1, {}));
    });

    test('a migrate that returns the wrong shape fails validation as "migrated"', async () => {
      await expectRefused(envelope(1, {}), { version: 2, migrate: () => ({ done: 1 }) as never }, InvalidStateError, /migrated state .* at seen/);
    });

    test('a migrate that returns what JSON cannot hold', async () => {
      await expectRefused(
        envelope(1, {}),
        { version: 2, migrate: () => ({ done: 1, seen: {}, at: new Date() }) as never },
        MigrationError,
        /a Date object at at/,
      );
    });
  });

  describe("adopting a bare value (Crawlee's useState, Apify SDK setValue) as version 0", () => {
    test("reads Crawlee's pretty-printed file from the Crawlee storage layout", async () => {
      const dir = await fs.mkdtemp(path.join(tmpdir(), 'rxps-adopt-'));
      const kvDir = path.join(dir, 'key_value_stores', 'default');
      await fs.mkdir(kvDir, { recursive: true });
      const crawleeState = { done: 12, seen: { 'https://a.example/': true } };
      await fs.writeFile(path.join(kvDir, 'CRAWLEE_STATE.json'), JSON.stringify(crawleeState, null, 2));
      const store = await createPersistentStore({ key: 'CRAWLEE_STATE', initial, schema, adapter: fileAdapter({ dir: kvDir }) });
      expect(store.restored).toBe(true);
      expect(store.getState()).toEqual(crawleeState);
      await store.close();
      await fs.rm(dir, { recursive: true });
    });

    test('a later version migrates it from 0', async () => {
      const { open } = await openOver(JSON.stringify({ n: 2 }), {
        version: 1,
        migrate: (old, from) => ({ done: (old as { n: number }).n * 10 + from, seen: {} }),
      });
      const store = await open();
      expect(store.getState()).toEqual({ done: 20, seen: {} });
      await store.close();
    });

    describe('without a schema, only a value that looks like initial is adopted', () => {
      const noSchema = { schema: undefined };

      test("a gateway's own 200 page is refused, says why and how to adopt it, and is left as it was", async () => {
        const page = JSON.stringify({ error: 'Bad Gateway', status: 502 });
        await expectRefused(
          page,
          noSchema,
          CorruptStateError,
          /bare value .* does not look like this store's state: it has no key "done", which initial has\. To adopt it anyway, pass a `schema`.*adoptUnversioned: false/,
        );
      });

      test('a value of another kind, or a key of another kind, is refused', async () => {
        await expectRefused(JSON.stringify([1, 2]), noSchema, CorruptStateError, /it is a JSON array where initial is a JSON object/);
        await expectRefused(
          JSON.stringify({ done: '12', seen: {} }),
          noSchema,
          CorruptStateError,
          /its key "done" holds a JSON string where initial has a JSON number/,
        );
      });

      test('a plain object where initial holds a KeyedMap is refused: code written for a map would get an object', async () => {
        const records = new Map([['M', JSON.stringify({ seen: { a: true } })]]);
        const refused = createPersistentStore({ key: 'M', initial: { seen: new KeyedMap<true>() }, adapter: memoryAdapter({ records }), events: EMPTY });
        await expect(refused).rejects.toThrow(/its key "seen" holds a JSON object where initial has a KeyedMap/);
        expect(records.get('M')).toBe(JSON.stringify({ seen: { a: true } }));
      });

      test('with moveAside it is moved aside, never overwritten, and the store starts from initial', async () => {
        const page = JSON.stringify({ error: 'Bad Gateway' });
        const { records, open } = await openOver(page, { ...noSchema, onInvalidStored: 'moveAside' });
        const store = await open();
        expect(store.getState()).toEqual(initial);
        expect(records.get(store.movedAside!)).toBe(page);
        await store.close();
      });

      test('a Crawlee useState value (the whole state, maybe with more keys) is adopted', async () => {
        const crawleeState = { done: 12, seen: { 'https://a.example/': true }, startedAt: '2026-01-01' };
        const { open } = await openOver(JSON.stringify(crawleeState), noSchema);
        const store = await open();
        expect(store.restored).toBe(true);
        expect(store.getState()).toEqual(crawleeState);
        await store.close();
      });
    });

    test('with adoptUnversioned: false it is refused and kept', async () => {
      await expectRefused(JSON.stringify(initial), { adoptUnversioned: false }, CorruptStateError, /bare value without the store envelope/);
    });
  });

  describe('the journal', () => {
    const line = (seq: number, done: number) => `${JSON.stringify({ seq, ops: [{ op: 'replace', path: ['done'], value: done }] })}\n`;
    const withJournal = (journal: string, snapshot = envelope(0, initial)) =>
      openOver(snapshot).then(({ records, open }) => (records.set('KEY#journal', journal), { records, open }));

    test('records after the snapshot are replayed; older ones and duplicates are skipped', async () => {
      const snapshot = JSON.stringify({ $rxps: 1, version: 0, savedAt: '', seq: 2, state: { done: 2, seen: {} } });
      const { open } = await withJournal(line(1, 1) + line(2, 2) + line(3, 3) + line(3, 3) + line(4, 4), snapshot);
      const store = await open();
      expect(store.getState().done).toBe(4);
      await store.close();
    });

    test('a torn last record (a crash during an append) is left out', async () => {
      const { open } = await withJournal(line(1, 1) + line(2, 2).slice(0, 12));
      const store = await open();
      expect(store.getState().done).toBe(1);
      await store.close();
    });

    test('a gap is corruption: records are missing', async () => {
      const { records, open } = await withJournal(line(1, 1) + line(3, 3));
      await expect(open()).rejects.toThrow(/journal record 3 follows record 1: records are missing/);
      expect(records.get('KEY#journal')).toBe(line(1, 1) + line(3, 3));
    });

    test('a whole line that does not parse is corruption, not a torn tail', async () => {
      const { open } = await withJournal(line(1, 1) + '{"seq": 2, oops\n' + line(3, 3));
      await expect(open()).rejects.toThrow(/journal line 2 is not valid JSON/);
    });

    test('a record of the wrong shape, or one that does not apply, is corruption', async () => {
      await expect((await withJournal('{"hello":1}\n')).open()).rejects.toThrow(/journal record 1 is not a \{ seq, ops \} record/);
      const bad = `${JSON.stringify({ seq: 1, ops: [{ op: 'add', path: ['no', 'such', 'path'], value: 1 }] })}\n`;
      await expect((await withJournal(bad)).open()).rejects.toThrow(/journal record 1 does not apply/);
    });

    test('a journal without a snapshot is corruption', async () => {
      const records = new Map([['KEY#journal', line(1, 1)]]);
      const error = await createPersistentStore<State>({ key: 'KEY', initial, adapter: memoryAdapter({ records }) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptStateError);
      expect((error as Error).message).toMatch(/a journal but no snapshot/);
    });

    test('moveAside moves the journal along with the snapshot', async () => {
      const { records } = await withJournal(line(1, 1) + line(3, 3));
      const store = await createPersistentStore<State>({ key: 'KEY', initial, schema, adapter: memoryAdapter({ records }), onInvalidStored: 'moveAside' });
      expect(records.get(`${store.movedAside}#journal`)).toBe(line(1, 1) + line(3, 3));
      expect(records.has('KEY#journal')).toBe(false);
      await store.close();
    });
  });
});
