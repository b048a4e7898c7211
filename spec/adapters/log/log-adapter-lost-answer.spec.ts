import { EMPTY } from 'rxjs';
import { createPersistentStore } from '../../../src/index.js';
import { logAdapter } from '../../../src/adapters/log/log-adapter.js';
import type { RecordStore, StoredRecord } from '../../../src/adapters/log/record-store.js';
import { ConflictError, RemoteStorageError } from '../../../src/index.js';

/** Records in memory with put-if-absent; `loseNextAnswer` makes the next put land, then fail as a lost answer would. */
function memoryRecords() {
  const map = new Map<string, StoredRecord>();
  let revision = 0;
  let loseNextAnswer = false;
  const records: RecordStore = {
    name: 'memory records',
    locate: (name) => `memory:${name}`,
    maxRecordBytes: 1 << 20,
    atomicCreate: true,
    get: async (name) => map.get(name),
    async put(name, text, expected) {
      const now = map.get(name);
      if (expected === null ? now !== undefined : expected !== undefined && now?.version !== expected) throw new ConflictError(name, `memory:${name}`);
      map.set(name, { text, version: String(++revision) });
      if (loseNextAnswer) {
        loseNextAnswer = false;
        throw new RemoteStorageError('memory records: no answer (lost after the write landed)', undefined, true);
      }
      return String(revision);
    },
    delete: async (name) => void map.delete(name),
  };
  return { records, map, loseAnswer: () => void (loseNextAnswer = true) };
}

describe('log adapter: a write whose answer was lost', () => {
  it('is recognised when the retry carries more records than the write that landed (a lone writer never meets a ConflictError)', async () => {
    const { records, loseAnswer } = memoryRecords();
    const adapter = logAdapter(records);
    const store = await createPersistentStore({ key: 'K', initial: { n: 0 }, adapter, events: EMPTY, debounceMs: 0, maxWaitMs: 0 });
    store.update((s) => void s.n++);
    await store.flush(); // the first snapshot
    loseAnswer();
    store.update((s) => void s.n++);
    await expect(store.flush({ timeoutMs: 50 })).rejects.toThrow(); // segment 2 landed; its answer did not
    store.update((s) => void s.n++); // the retry now carries records 2 and 3
    await store.flush({ timeoutMs: 5_000 });
    expect(store.getStatus().phase).toBe('idle');
    await store.close();
    const reopened = await createPersistentStore({ key: 'K', initial: { n: 0 }, adapter: logAdapter(records), events: EMPTY });
    expect(reopened.getState()).toEqual({ n: 3 });
    await reopened.close();
  });
});
