import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { PersistentStoreError, UnserializableStateError } from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';

describe('KeyedMap', () => {
  test('reads like a Map', () => {
    const map = new KeyedMap({ a: 1, b: 2 });
    expect(map.size).toBe(2);
    expect(map.get('a')).toBe(1);
    expect(map.get('zz')).toBeUndefined();
    expect(map.has('b')).toBe(true);
    expect(new Map(map)).toEqual(new Map([['a', 1], ['b', 2]]));
    expect([...map.keys()].sort()).toEqual(['a', 'b']);
    expect([...map.values()].sort()).toEqual([1, 2]);
    const seen: string[] = [];
    map.forEach((value, key) => seen.push(`${key}=${value}`));
    expect(seen.sort()).toEqual(['a=1', 'b=2']);
    expect(map.toObject()).toEqual({ a: 1, b: 2 });
    expect(new KeyedMap([['__proto__', 1]]).toObject()).toEqual(JSON.parse('{"__proto__":1}'));
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

  describe('in a store', () => {
    const open = (records = new Map<string, string>()) =>
      createPersistentStore({ key: 'M', initial: { seen: new KeyedMap<true>() }, adapter: memoryAdapter({ records }) });

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
        ops: [
          { op: 'map', path: ['seen'], changes: [['set', 'https://example.com/new', true]] },
          { op: 'map', path: ['seen'], changes: [['delete', 'https://example.com/1']] },
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
      const records = new Map([['M', JSON.stringify({ $rxps: 1, version: 0, savedAt: '', seq: 0, state: { seen: { $rxpsMap: 1, size: 5, node: [1, 'a', true] } } })]]);
      await expect(open(records)).rejects.toThrow(/says it has 5 entries but holds 1/);
      records.set('M', JSON.stringify({ $rxps: 1, version: 0, savedAt: '', seq: 0, state: { seen: { $rxpsMap: 1, size: 1, node: [7] } } }));
      await expect(open(records)).rejects.toThrow(/trie is malformed/);
    });
  });
});
