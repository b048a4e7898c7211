// The browser entry point: everything but the file adapter; it reaches no Node module (see runtime/runtime.ts).
export { createPersistentStore, type PersistentStore, type Recipe } from './store/create-persistent-store.js';
export type { PersistentStoreOptions } from './store/store-options.js';
export type { PersistenceStatus } from './store/persistence-status.js';
export type { StoreDiagnostic } from './store/notices.js';
export type { StoreLogger } from './store/logger.js';
export type { StateSchema } from './store/state-schema.js';
export { EventType, type EventName, type EventDataMap, type PlatformEvent, type SystemInfoData } from './events/event-types.js';
export { ofType } from './events/of-type.js';
export { events$, createEventSource, type EventSource, type EventSourceOptions } from './events/event-source.js';
export type { EventDiagnostic } from './events/event-diagnostic.js';
export { fromEventManager } from './events/from-event-manager.js';
export { waitToBeMoved } from './events/wait-to-be-moved.js';
export type { StorageAdapter } from './adapters/storage-adapter.js';
export { memoryAdapter, type MemoryAdapterOptions } from './adapters/memory-adapter.js';
export { indexedDbAdapter, type IndexedDbAdapterOptions } from './adapters/indexeddb-adapter.js';
export { logAdapter, type LogAdapterOptions } from './adapters/log/log-adapter.js';
export type { RecordStore } from './adapters/log/record-store.js';
export { KeyedMap } from './store/keyed-map.js';
export { createWorkQueue, type WorkQueue, type WorkQueueOptions, type QueueStats } from './queue/create-work-queue.js';
export type { WorkItem } from './queue/work-queue-state.js';
export type { ProcessOptions, ProcessResult } from './queue/process-queue.js';
export { remoteKvAdapter, type RemoteKvAdapterOptions } from './adapters/remote/remote-kv-adapter.js';
export type { KvDialect } from './adapters/remote/kv-dialect.js';
export { RemoteStorageError, EndpointNotFoundError, type FetchLike } from './adapters/remote/http.js';
export { apifyDialect, type ApifyDialectOptions } from './adapters/remote/dialects/apify.js';
export { etcdDialect, type EtcdDialectOptions } from './adapters/remote/dialects/etcd.js';
export { webDavDialect, type WebDavDialectOptions } from './adapters/remote/dialects/webdav.js';
export {
  PersistentStoreError,
  InvalidKeyError,
  InvalidOptionError,
  CorruptStateError,
  InvalidStateError,
  MigrationError,
  FutureVersionError,
  UnserializableStateError,
  StoreLockedError,
  StoreClosedError,
  FlushError,
  ConflictError,
  ReentrantUpdateError,
  TargetExistsError,
  ValueTooLargeError,
  QuotaExceededError,
  NoDefaultAdapterError,
  PlatformConfigError,
  KeyedMapError,
  StorageError,
  StorageFullError,
  StorageAccessError,
  StoragePathError,
  StorageReplacedError,
  LockLostError,
} from './errors.js';
