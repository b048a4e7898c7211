/** Where a store's warnings and errors are written. Crawlee's and the Apify SDK's `log` fit as they are. */
export interface StoreLogger {
  warning(message: string): void;
  error(message: string): void;
  /** For good news after a warning (a write that landed again); left out, it goes to `warning`. */
  info?(message: string): void;
}

type Level = 'warning' | 'error' | 'info';

const consoleLogger: StoreLogger = {
  warning: (message) => console.warn(message),
  error: (message) => console.error(message),
  info: (message) => console.info(message),
};

/** Crawlee's and the Apify SDK's log, when the job has loaded it (they share `@apify/log`). */
function crawleeLog(): StoreLogger | undefined {
  const nodeModule = (globalThis.process as { getBuiltinModule?: (name: string) => unknown } | undefined)?.getBuiltinModule?.('node:module') as
    | { createRequire(from: string): { cache: Record<string, { exports?: unknown } | undefined> } }
    | undefined;
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

/**
 * Writes a line at `level`: to `logger`, or by default to Crawlee's / the Apify SDK's `log` when
 * the job has loaded it (looked for at each line, as it may be loaded after the store opened),
 * else to the console; nowhere with `false`.
 *
 * @example
 * writeLog(undefined, 'warning', 'rx-persistent-store: the state of "STATE" is 80 % of the limit');
 */
export function writeLog(logger: StoreLogger | false | undefined, level: Level, message: string): void {
  if (logger === false) return;
  const to = logger ?? crawleeLog() ?? consoleLogger;
  if (level === 'info' && !to.info) return to.warning(message);
  to[level]!(message);
}
