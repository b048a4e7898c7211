// The remote-compaction scenario's writer (torture/scenarios/13-remote-compaction.ts): a store on
// etcd or the Apify API (through the scenario's killing proxy) with a state large enough to be
// snapshotted in several chunks, compacted every few writes. Prints "ready <n> <ok | why the
// state is not one of the sequence>", then updates at full speed, each update flushed, printing
// "durable <n>" once it is, until killed. Update n sets entry e<n> and the counter to n; the first
// also sets the filler entries that make the state large (see compactionModel).
// COMPACTION_STOP_AT=n: close and exit once update n is durable.
// argv: backend(etcd|apify) endpoint key [storeId token]
import { EMPTY } from 'rxjs';
import { createPersistentStore, etcdDialect, KeyedMap, remoteKvAdapter, type StorageAdapter } from '../../src/index.js';
import { apifyDialect } from '../../src/adapters/remote/dialects/apify.js';
import { compactionModel, type CompactionState } from './compaction-model.js';

const [backend, endpoint, key, storeId, token] = process.argv.slice(2) as [string, string, string, string?, string?];
const remote = remoteKvAdapter({
  dialect:
    backend === 'etcd'
      ? etcdDialect({ endpoint, prefix: compactionModel.etcdPrefix, maxValueBytes: compactionModel.chunkBytes })
      : { ...apifyDialect({ baseUrl: endpoint, storeId, token }), maxValueBytes: compactionModel.chunkBytes },
  timeoutMs: 5_000,
  retries: 5,
  retryDelayMs: 10,
  maxRetryDelayMs: 200,
});
// Compaction every few records, so that kills meet it often.
const adapter: StorageAdapter = { ...remote, compactAfterRecords: compactionModel.compactAfterRecords };
const store = await createPersistentStore<CompactionState>({
  key,
  initial: { n: 0, items: new KeyedMap<string>() },
  adapter,
  events: EMPTY,
  debounceMs: 0,
  maxWaitMs: 0,
}).catch((error: Error) => {
  console.log(`corrupt ${error.name}: ${error.message.replace(/\n/g, ' ')}`);
  process.exit(3);
});
console.log(`ready ${store.getState().n} ${compactionModel.whyNot(store.getState()) ?? 'ok'}`);
store.status$.subscribe(({ lastError }) => lastError && console.log(`write-error ${lastError.name}: ${lastError.message.replace(/\n/g, ' ')}`));
// COMPACTION_STOP_AT=n: close the store once update n is durable, and exit (a clean run).
const stopAt = Number(process.env.COMPACTION_STOP_AT ?? Infinity);
while (store.getState().n < stopAt) {
  store.update((s) => compactionModel.step(s));
  await store.flush({ timeoutMs: 60_000 });
  console.log(`durable ${store.getState().n}`);
}
await store.close();
console.log('closed');
process.exit(0);
