import { nodeDefaultAdapter } from '../adapters/node-default-adapter.js';
import { nodeEventSource } from '../events/node-event-source.js';
import { crawleeLog } from '../store/crawlee-log.js';
import { atProcessExit } from '../store/exit-check.js';
import { installNodeRuntime } from './runtime.js';

// Loaded for its effect by the Node entry (src/index.ts); the browser entry never imports it.
installNodeRuntime({ defaultAdapter: nodeDefaultAdapter, events: nodeEventSource, loadedCrawleeLog: crawleeLog, atExit: atProcessExit });
