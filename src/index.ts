// The Node entry point: the browser entry's exports plus the file adapter, and the Node runtime
// (the disk as default adapter, process events) installed for the shared code to find.
import './runtime/node-runtime.js';

export * from './browser.js';
export { fileAdapter, type FileAdapterOptions } from './adapters/file-adapter.js';
