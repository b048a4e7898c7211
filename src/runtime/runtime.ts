import type { Observable } from '../rx.js';
import type { StorageAdapter } from '../adapters/storage-adapter.js';
import type { EventDiagnostic } from '../events/event-diagnostic.js';
import type { ResolvedEventOptions } from '../events/event-source.js';
import type { PlatformEvent } from '../events/event-types.js';
import type { StoreLogger } from '../store/logger.js';

/**
 * What only Node can do: the defaults that reach `node:fs`, sockets and signals. The Node entry
 * installs it (node-runtime.ts); the browser entry never imports it, so no bundler of a page
 * meets a Node module, statically or behind a dynamic `import()`.
 */
export interface NodeRuntime {
  /** The adapter a store uses when none is given: the disk, or the Apify store on the platform. */
  defaultAdapter(): Promise<StorageAdapter>;
  /** The events of `local` and `apify` mode, signals included. */
  events(options: ResolvedEventOptions & { readonly mode: 'local' | 'apify' }, report: (diagnostic: EventDiagnostic) => void): Observable<PlatformEvent>;
  /** Crawlee's / the Apify SDK's `log` when the job has loaded it: where a store writes by default. */
  loadedCrawleeLog(): StoreLogger | undefined;
  /** Runs `check` when the process exits, until the function it returns is called. */
  atExit(check: () => void): () => void;
}

let installed: NodeRuntime | undefined;

export function installNodeRuntime(runtime: NodeRuntime): void {
  installed = runtime;
}

/** The Node runtime, if the Node entry was loaded. */
export const nodeRuntime = (): NodeRuntime | undefined => installed;

/** Whether this is Node (or a runtime that says it is), whichever entry was loaded. */
export const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';
