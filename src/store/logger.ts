import { nodeRuntime } from '../runtime/runtime.js';

/**
 * Where a store's warnings and errors are written. Crawlee's and the Apify SDK's `log` fit as they are.
 *
 * @example
 * const logger: StoreLogger = { warning: (message) => pino.warn(message), error: (message) => pino.error(message) };
 * const store = await createPersistentStore({ key: 'STATE', initial, logger });
 */
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

/**
 * Writes a line at `level`: to `logger`, or by default to Crawlee's / the Apify SDK's `log` when
 * the job has loaded it (in Node: looked for at each line, as it may be loaded after the store
 * opened), else to the console; nowhere with `false`.
 *
 * @example
 * writeLog(undefined, 'warning', 'rx-persistent-store: the state of "STATE" is 80 % of the limit');
 */
export function writeLog(logger: StoreLogger | false | undefined, level: Level, message: string): void {
  if (logger === false) return;
  const to = logger ?? nodeRuntime()?.loadedCrawleeLog() ?? consoleLogger;
  try {
    if (level === 'info' && !to.info) to.warning(message);
    else to[level]!(message);
  } catch {
    // Lines are written from inside update(), a status$ subscriber and the process's exit: a
    // logger that throws must break none of them. The line goes to the console instead.
    if (to !== consoleLogger) consoleLogger[level]!(message);
  }
}
