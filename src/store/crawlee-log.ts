import type { StoreLogger } from './logger.js';

/**
 * Crawlee's and the Apify SDK's log, when the job has loaded it (they share `@apify/log`): the
 * default logger in Node, installed by the Node runtime.
 */
export function crawleeLog(): StoreLogger | undefined {
  const nodeModule = (globalThis.process as { getBuiltinModule?: (name: string) => unknown } | undefined)?.getBuiltinModule?.('node:module') as
    { createRequire(from: string): { cache: Record<string, { exports?: unknown } | undefined> } } | undefined;
  if (!nodeModule) return undefined;
  // Only a copy already loaded: the store must not load Crawlee into a job that does not use it.
  const { cache } = nodeModule.createRequire(`${process.cwd()}/`);
  for (const [file, loaded] of Object.entries(cache)) {
    if (!/[/\\]@apify[/\\]log[/\\]/.test(file)) continue;
    const log = (loaded?.exports as { default?: Partial<StoreLogger> } | undefined)?.default;
    if (typeof log?.warning === 'function' && typeof log.error === 'function') return log as StoreLogger;
  }
  return undefined;
}
