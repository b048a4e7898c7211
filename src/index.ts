export { createPersistentStore, type PersistentStore, type Recipe } from './store/create-persistent-store.js';
export type { PersistentStoreOptions } from './store/store-options.js';
export type { PersistenceStatus } from './store/persistence-status.js';
export type { StateSchema, SchemaIssue } from './store/state-schema.js';
export { EventType, eventDataSchemas, type EventName, type EventDataMap, type PlatformEvent, type SystemInfoData } from './events/event-types.js';
export { ofType } from './events/of-type.js';
export { events$, createEventSource, type EventSource, type EventSourceOptions } from './events/event-source.js';
export type { EventDiagnostic } from './events/event-diagnostic.js';
export { fromEventManager, type EventManagerLike } from './events/from-event-manager.js';
export { type StorageAdapter, isRetryable } from './adapters/storage-adapter.js';
export { memoryAdapter, type MemoryAdapterOptions } from './adapters/memory-adapter.js';
export { fileAdapter, defaultStorageDir, type FileAdapterOptions } from './adapters/file-adapter.js';
export { KeyedMap } from './store/keyed-map.js';
export { assertValidKey } from './adapters/keys.js';
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
} from './errors.js';
