import { nodeDefaultAdapter } from '../adapters/node-default-adapter.js';
import { nodeEventSource } from '../events/node-event-source.js';
import { crawleeLog } from '../store/crawlee-log.js';
import { atProcessExit } from '../store/exit-check.js';
import { installNodeRuntime } from './runtime.js';

// Loaded for its effect by every Node entry (the package's, the CLI's, `simulate`'s).
installNodeRuntime({ defaultAdapter: nodeDefaultAdapter, events: nodeEventSource, loadedCrawleeLog: crawleeLog, atExit: atProcessExit });
