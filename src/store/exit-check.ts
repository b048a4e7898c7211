const checks = new Set<() => void>();
let installed = false;

/**
 * Runs `check` when the process exits while it is registered (Node only; a page has its own
 * lifecycle). One `exit` listener serves every store, however many are opened. Returns the
 * function that unregisters it.
 *
 * @example
 * const stop = atProcessExit(() => { if (pending() > 0) log.error('changes were not written'); });
 */
export function atProcessExit(check: () => void): () => void {
  const proc = globalThis.process;
  if (typeof proc?.on !== 'function') return () => undefined;
  if (!installed) {
    installed = true;
    proc.on('exit', () => {
      for (const run of checks) run();
    });
  }
  checks.add(check);
  return () => void checks.delete(check);
}
