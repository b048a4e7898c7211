// The Node entry point: the browser entry's exports plus the file adapter.
export * from './browser.js';
export { fileAdapter, defaultStorageDir, type FileAdapterOptions } from './adapters/file-adapter.js';
