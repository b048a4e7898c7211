import 'fake-indexeddb/auto';
import { indexedDbAdapter } from '../../../src/adapters/indexeddb-adapter.js';
import { ConflictError } from '../../../src/errors.js';
import { MapStorage } from '../../support/web-storage.js';

const envelope = (seq: number, state: unknown) => ({ $rxps: 1, version: 0, savedAt: '', seq, state });
const set = (seq: number, value: unknown) => ({ seq, ops: [{ op: 'replace', path: [], value }] });

describe('indexedDbAdapter: the page-close copy (review of issue 15)', () => {
  beforeEach(() => {
    (globalThis as { localStorage?: Storage }).localStorage = new MapStorage();
  });

  test("a closing tab's copy, numbered as far as another tab's durable record but built without it, does not replace that record", async () => {
    const dbName = 'review-page-close';
    const one = indexedDbAdapter({ dbName });
    const two = indexedDbAdapter({ dbName });
    await one.read('K');
    await one.write('K', envelope(0, 'base'));
    await two.read('K');
    await two.readJournal!('K');
    await two.append!('K', [set(1, 'two: acknowledged')]); // tab two's record 1 is durable
    await expect(one.append!('K', [set(1, 'one')])).rejects.toBeInstanceOf(ConflictError); // tab one numbered its own record 1
    one.writeSync!('K', envelope(1, 'one, without two')); // and closes before it caught up: the copy holds records up to 1, its own
    const next = indexedDbAdapter({ dbName });
    const value = await next.read('K');
    const journal = await next.readJournal!('K');
    expect([value, journal]).toEqual([envelope(0, 'base'), [set(1, 'two: acknowledged')]]);
  });
});
