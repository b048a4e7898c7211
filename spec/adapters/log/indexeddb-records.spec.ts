import 'fake-indexeddb/auto';
import { createStore, set } from 'idb-keyval';
import { indexedDbRecords } from '../../../src/adapters/log/indexeddb-records.js';
import { ConflictError, CorruptStateError, QuotaExceededError, ValueTooLargeError } from '../../../src/errors.js';
import { KeyedMap } from '../../../src/store/keyed-map.js';

let db = 0;
let dbName = '';
beforeEach(() => {
  dbName = `records-${++db}`;
});
/** A tab of its own: each call opens its own connection. */
const records = () => indexedDbRecords({ dbName });

describe('indexedDbRecords (fake-indexeddb)', () => {
  test('puts are conditional on the version read, on absence, or on nothing', async () => {
    const r = records();
    expect(await r.get('K')).toBeUndefined();
    expect(await r.put('K', 'one', null)).toBe('1');
    await expect(r.put('K', 'again', null)).rejects.toBeInstanceOf(ConflictError);
    expect(await r.put('K', 'two', '1')).toBe('2');
    const stale = await r.put('K', 'stale', '1').catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as Error).message).toContain(`indexedDB ${dbName}/state/K`);
    expect(await r.put('K', 'three', undefined)).toBe('3');
    expect(await r.get('K')).toEqual({ text: 'three', version: '3' });
    await expect(r.put('ABSENT', 'x', '1')).rejects.toBeInstanceOf(ConflictError);
    await r.delete('K');
    await r.delete('K'); // absent: not an error
    expect(await r.get('K')).toBeUndefined();
    expect(r.locate('K')).toBe(`indexedDB ${dbName}/state/K`);
  });

  test('createThenGet creates only where absent, and reads the other record in the same transaction', async () => {
    const r = records();
    await r.put('K', 'head', null);
    expect(await r.createThenGet('K(rxps)seg.1', 'first', 'K')).toEqual({ created: true, then: { text: 'head', version: '1' } });
    expect(await r.createThenGet('K(rxps)seg.1', 'second', 'K(rxps)seg.1')).toEqual({ created: false, then: { text: 'first', version: '1' } });
    expect(await r.createThenGet('K(rxps)seg.2', 'x', 'NOTHING')).toEqual({ created: true, then: undefined });
  });

  test('two tabs racing createThenGet on the same names: exactly one creates each, and both read the winner', async () => {
    const [one, two] = [records(), records()];
    const names = Array.from({ length: 50 }, (_, i) => `K(rxps)seg.${i + 1}`);
    const race = await Promise.all(
      names.map((name) => Promise.all([one.createThenGet(name, `one:${name}`, name), two.createThenGet(name, `two:${name}`, name)])),
    );
    for (const [i, [a, b]] of race.entries()) {
      expect(Number(a.created) + Number(b.created)).toBe(1);
      const winner = a.created ? `one:${names[i]}` : `two:${names[i]}`;
      expect([a.then?.text, b.then?.text]).toEqual([winner, winner]);
    }
  });

  test('a record of the whole-snapshot adapter reads as its JSON text, and a put conditional on it replaces it once', async () => {
    const seen = new KeyedMap<boolean>();
    seen.set('x', true);
    const envelope = { $rxps: 1, version: 0, savedAt: '2024-01-01T00:00:00.000Z', seq: 3, state: { items: ['a'], seen } };
    // As the whole-snapshot indexedDbAdapter stored it: { version, value } by idb-keyval, version 1 at its first
    // write, the value as JSON would hold it (its toJSON applied: the KeyedMap as an object).
    await set('LIST', { version: 1, value: JSON.parse(JSON.stringify(envelope)) }, createStore(dbName, 'state'));
    const r = records();
    const read = await r.get('LIST');
    expect(read).toEqual({ text: JSON.stringify(envelope), version: 'legacy:1' });
    expect(JSON.parse(read!.text)).toEqual(JSON.parse(JSON.stringify(envelope)));
    expect(await r.list('LIS')).toEqual([{ name: 'LIST', text: read!.text }]);
    await expect(r.put('LIST', 'log head', '1')).rejects.toBeInstanceOf(ConflictError); // a log version is not a legacy one
    await expect(r.put('LIST', 'log head', null)).rejects.toBeInstanceOf(ConflictError);
    expect(await r.put('LIST', 'log head', 'legacy:1')).toBe('2');
    await expect(r.put('LIST', 'again', 'legacy:1')).rejects.toBeInstanceOf(ConflictError);
    expect(await r.get('LIST')).toEqual({ text: 'log head', version: '2' });
  });

  test('list(prefix) returns names and texts under that prefix only', async () => {
    const r = records();
    for (const name of ['A', 'A(rxps)seg.1', 'A(rxps)seg.2', 'A(rxps)snap.x.0', 'AB', 'AB(rxps)seg.1', 'A(', '@']) await r.put(name, `text of ${name}`, null);
    const listed = await r.list('A(rxps)');
    expect(listed.map((l) => l.name).sort()).toEqual(['A(rxps)seg.1', 'A(rxps)seg.2', 'A(rxps)snap.x.0']);
    for (const { name, text } of listed) expect(text).toBe(`text of ${name}`);
    expect(await r.list('Z')).toEqual([]);
  });

  test('a record of neither shape is refused, and a create does not overwrite it', async () => {
    const r = records();
    await r.get('FOREIGN'); // creates the database and its store
    const raw = indexedDB.open(dbName);
    await new Promise((resolve) => (raw.onsuccess = resolve));
    const tx = raw.result.transaction('state', 'readwrite');
    tx.objectStore('state').put({ something: 'else' }, 'FOREIGN');
    await new Promise((resolve) => (tx.oncomplete = resolve));
    raw.result.close();
    await expect(r.get('FOREIGN')).rejects.toThrow(CorruptStateError);
    await expect(r.get('FOREIGN')).rejects.toThrow(/indexedDB records-\d+\/state\/FOREIGN is unreadable: neither a log record/);
    await expect(r.put('FOREIGN', 'x', null)).rejects.toBeInstanceOf(ConflictError);
    expect((await r.createThenGet('FOREIGN', 'x', 'OTHER')).created).toBe(false);
  });

  test('a quota error is the typed QuotaExceededError, naming the record and its size; nothing is written', async () => {
    const r = records();
    await r.put('K', 'before', null);
    const put = IDBObjectStore.prototype.put;
    // The browser's answer when the origin is out of quota; fake-indexeddb has no quota to run out of.
    IDBObjectStore.prototype.put = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      const error = (await r.put('K', 'x'.repeat(1000), '1').catch((e: unknown) => e)) as QuotaExceededError;
      expect(error).toBeInstanceOf(QuotaExceededError);
      expect(error.message).toMatch(/IndexedDB refused the state for key "K" \(about 1000 bytes\): the storage quota is exceeded/);
      expect(error.cause).toBeInstanceOf(DOMException);
      await expect(r.createThenGet('NEW', 'y', 'K')).rejects.toBeInstanceOf(QuotaExceededError);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect(await r.get('K')).toEqual({ text: 'before', version: '1' });
    expect(await r.get('NEW')).toBeUndefined();
  });

  test('a text over maxRecordBytes is refused before the transaction', async () => {
    const r = records();
    expect(r.maxRecordBytes).toBe(32 * 1024 * 1024);
    await expect(r.put('BIG', 'x'.repeat(r.maxRecordBytes + 1), null)).rejects.toBeInstanceOf(ValueTooLargeError);
    await expect(r.createThenGet('BIG', 'x'.repeat(r.maxRecordBytes + 1), 'BIG')).rejects.toBeInstanceOf(ValueTooLargeError);
    expect(await r.get('BIG')).toBeUndefined();
    expect(await r.put('FITS', 'é'.repeat(r.maxRecordBytes / 2), null)).toBe('1'); // 2 UTF-8 bytes each: exactly the limit
  });

  test('a connection closed under it (Safari, sleep) is opened again', async () => {
    const r = records();
    await r.put('K', 'one', null);
    await r.close();
    expect(await r.get('K')).toEqual({ text: 'one', version: '1' });
    await r.close();
    expect(await r.put('K', 'two', '1')).toBe('2');
  });
});
