import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { PersistentStoreError, UnserializableStateError } from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';
import { useTempDir } from '../support/temp-dir.js';

const dir = useTempDir('keyed-map');
const open = (records = new Map<string, string>()) =>
  createPersistentStore({ key: 'M', initial: { seen: new KeyedMap<true>() }, adapter: memoryAdapter({ records }) });

describe('KeyedMap', () => {
  test('reads like a Map', () => {
    const map = new KeyedMap({ a: 1, b: 2 });
    expect(map.size).toBe(2);
    expect(map.get('a')).toBe(1);
    expect(map.get('zz')).toBeUndefined();
    expect(map.has('b')).toBe(true);
    expect(new Map(map)).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
    expect([...map.keys()].sort()).toEqual(['a', 'b']);
    expect([...map.values()].sort()).toEqual([1, 2]);
    const seen: string[] = [];
    map.forEach((value, key) => seen.push(`${key}=${value}`));
    expect(seen.sort()).toEqual(['a=1', 'b=2']);
    expect(map.toObject()).toEqual({ a: 1, b: 2 });
    expect(new KeyedMap([['__proto__', 1]]).toObject()).toEqual(JSON.parse('{"__proto__":1}'));
  });

  test('its contents are no public member: only the Map-like methods are there to use', () => {
    const map = new KeyedMap({ a: 1 });
    expect(Object.keys(map)).toEqual([]);
    expect('root' in map).toBe(false);
  });

  test('set, delete and clear on a map of your own (the initial state)', () => {
    const map = new KeyedMap<number>([['x', 1]]);
    expect(map.set('y', 2)).toBe(map);
    expect(map.delete('x')).toBe(true);
    expect(map.delete('x')).toBe(false);
    expect(map.toObject()).toEqual({ y: 2 });
    map.clear();
    expect(map.size).toBe(0);
  });

  test('values must be plain JSON, and are frozen', () => {
    const map = new KeyedMap<unknown>();
    expect(() => map.set('k', () => 1)).toThrow(UnserializableStateError);
    expect(() => map.set('k', { when: new Date() })).toThrow(/a Date object at k\.when/);
    const value = { deep: { list: [1] } };
    map.set('v', value);
    expect(Object.isFrozen(value.deep.list)).toBe(true);
  });

  describe('stored form', () => {
    test('its entries as [key, value] pairs, in its own order: what new Map(entries) takes', () => {
      const map = new KeyedMap<unknown>([
        ['b', 1],
        ['__proto__', { own: true }],
        ['10', 'ten'],
        ['a', [1, 2]],
      ]);
      const stored = JSON.parse(JSON.stringify({ seen: map })).seen;
      expect(Object.keys(stored)).toEqual(['$rxpsMap', 'size', 'entries']);
      expect(stored.size).toBe(4);
      expect(stored.entries).toEqual([...map]);
      expect(new Map(stored.entries)).toEqual(new Map(map));
      expect(JSON.stringify(new KeyedMap())).toBe('{"$rxpsMap":1,"size":0,"entries":[]}');
    });

    test('read back as the same map: same entries, same order, still changeable as before', async () => {
      const records = new Map<string, string>();
      const store = await createPersistentStore({ key: 'M', initial: { seen: new KeyedMap<number>() }, adapter: memoryAdapter({ records }), events: EMPTY });
      store.update((s) => {
        for (let i = 0; i < 2_000; i++) s.seen.set(`https://example.com/${i}`, i);
      });
      const map = store.getState().seen;
      await store.close();
      const again = await createPersistentStore({ key: 'M', initial: { seen: new KeyedMap<number>() }, adapter: memoryAdapter({ records }), events: EMPTY });
      const seen = again.getState().seen;
      expect([...seen]).toEqual([...map]);
      again.update((s) => {
        s.seen.set('https://example.com/new', -1);
        s.seen.delete('https://example.com/7');
      });
      expect(again.getState().seen.size).toBe(2_000);
      expect(again.getState().seen.get('https://example.com/new')).toBe(-1);
      await again.close();
    });

    test('a key stored twice (an edited file) keeps its last value, as new Map does', async () => {
      const records = new Map([
        [
          'M',
          JSON.stringify({
            $rxps: 1,
            version: 0,
            savedAt: '',
            seq: 0,
            state: {
              seen: {
                $rxpsMap: 1,
                size: 3,
                entries: [
                  ['a', 1],
                  ['b', 2],
                  ['a', 3],
                ],
              },
            },
          }),
        ],
      ]);
      const store = await open(records);
      expect(store.getState().seen.toObject()).toEqual({ a: 3, b: 2 });
      expect(store.getState().seen.size).toBe(2);
      await store.close();
    });

    test('a state written by the previous version (the map stored as its trie) opens, journal and all, and is written back as entries', async () => {
      // spec/fixtures/stored: written by the library at commit 8542f98, closed with one journal record.
      const fixtures = path.join('spec', 'fixtures', 'stored');
      for (const name of await fs.readdir(fixtures)) await fs.copyFile(path.join(fixtures, name), path.join(dir(), name));
      expect(JSON.parse(await fs.readFile(path.join(dir(), 'TRIE_FORM.json'), 'utf8')).state.seen).toMatchObject({
        $rxpsMap: 1,
        size: 102,
        node: expect.any(Array),
      });
      const reopen = () =>
        createPersistentStore({ key: 'TRIE_FORM', initial: { done: 0, seen: new KeyedMap<unknown>() }, adapter: fileAdapter({ dir: dir() }), events: EMPTY });
      const store = await reopen();
      const expected = new Map<string, unknown>(Array.from({ length: 100 }, (_, i) => [`https://shop.example/product/${i}`, { price: i }]));
      expected
        .set('__proto__', 'own key')
        .set('10', 'numeric-looking')
        .set('https://shop.example/product/new', { price: 1000 })
        .delete('https://shop.example/product/3');
      expect(store.getState().done).toBe(101);
      expect(new Map(store.getState().seen)).toEqual(expected);
      store.update((s) => void s.seen.set('after', 1));
      await store.close();
      const stored = JSON.parse(await fs.readFile(path.join(dir(), 'TRIE_FORM.json'), 'utf8')).state.seen;
      expect(Object.keys(stored)).toEqual(['$rxpsMap', 'size', 'entries']);
      expect(new Map(stored.entries)).toEqual(expected.set('after', 1));
      const again = await reopen();
      expect(new Map(again.getState().seen)).toEqual(expected);
      await again.close();
    });
  });

  describe('in a store', () => {
    test('changes inside update(); old snapshots keep their contents', async () => {
      const store = await open();
      const before = store.getState();
      const after = store.update((s) => void s.seen.set('u1', true));
      expect(after.seen.get('u1')).toBe(true);
      expect(before.seen.has('u1')).toBe(false);
      await store.close();
    });

    test('is read-only outside update()', async () => {
      const store = await open();
      expect(() => store.getState().seen.set('x', true)).toThrow(PersistentStoreError);
      expect(() => store.getState().seen.set('x', true)).toThrow(/read-only: change it inside store.update/);
      expect(() => store.getState().seen.clear()).not.toThrow(); // empty: nothing to change
      await store.close();
    });

    test('the journal holds the change, not the map', async () => {
      const records = new Map<string, string>();
      const store = await open(records);
      store.update((s) => {
        for (let i = 0; i < 5_000; i++) s.seen.set(`https://example.com/${i}`, true);
      });
      await store.flush(); // the first write is a snapshot
      store.update((s) => void s.seen.set('https://example.com/new', true));
      store.update((s) => void s.seen.delete('https://example.com/1'));
      await store.flush();
      const journal = records.get('M#journal')!;
      expect(journal.trim().split('\n')).toHaveLength(1);
      expect(JSON.parse(journal)).toEqual({
        seq: 1,
        // The two updates' changes of one map, joined into one op, in order.
        ops: [
          {
            op: 'map',
            path: ['seen'],
            changes: [
              ['set', 'https://example.com/new', true],
              ['delete', 'https://example.com/1'],
            ],
          },
        ],
      });
      await store.close();
      const again = await open(records);
      expect(again.getState().seen.size).toBe(5_000);
      expect(again.getState().seen.has('https://example.com/new')).toBe(true);
      expect(again.getState().seen.has('https://example.com/1')).toBe(false);
      await again.close();
    });

    test('a stored map with a broken trie is corrupt, naming it', async () => {
      const records = new Map([
        ['M', JSON.stringify({ $rxps: 1, version: 0, savedAt: '', seq: 0, state: { seen: { $rxpsMap: 1, size: 5, node: [1, 'a', true] } } })],
      ]);
      await expect(open(records)).rejects.toThrow(/says it has 5 entries but holds 1/);
      records.set('M', JSON.stringify({ $rxps: 1, version: 0, savedAt: '', seq: 0, state: { seen: { $rxpsMap: 1, size: 1, node: [7] } } }));
      await expect(open(records)).rejects.toThrow(/trie is malformed/);
    });

    test.each([
      [{ size: 1, entries: { a: 1 } }, /a KeyedMap whose entries are not a list/],
      [{ size: 2, entries: [['a', 1], ['b']] }, /a KeyedMap whose entry 2 is not a \[key, value\] pair with a string key/],
      [{ size: 1, entries: [[1, 'a']] }, /entry 1 is not a \[key, value\] pair/],
      [{ size: 2, entries: ['a', 1] }, /entry 1 is not a \[key, value\] pair/],
      // Entries lost to damage that still parses (a chunk overwritten inside a string): refused, not taken as the map.
      [
        {
          size: 3,
          entries: [
            ['a', 1],
            ['b', '}}}}}}'],
          ],
        },
        /a KeyedMap that says it has 3 entries but holds 2/,
      ],
      [{ entries: [['a', 1]] }, /a KeyedMap that says it has undefined entries but holds 1/],
    ])('stored entries that are not pairs are corrupt, naming the entry: %j', async (form, message) => {
      const records = new Map([['M', JSON.stringify({ $rxps: 1, version: 0, savedAt: '', seq: 0, state: { seen: { $rxpsMap: 1, ...form } } })]]);
      await expect(open(records)).rejects.toThrow(message);
    });
  });
});
