/**
 * Where the persisted copy stands relative to the state in memory.
 *
 * @example
 * store.status$.subscribe(({ phase, pending, lastError }) => {
 *   if (phase === 'error') console.warn(`${pending} updates not saved yet: ${lastError?.message}`);
 * });
 */
export interface PersistenceStatus {
  /**
   * `idle`: everything is durable. `dirty`: changes wait for the debounce. `saving`: a write is
   * under way. `error`: the last write (or compaction) failed; the store keeps retrying with
   * backoff and stays `error` until a write or compaction succeeds.
   */
  readonly phase: 'idle' | 'dirty' | 'saving' | 'error';
  /** When the last successful write became durable (epoch ms), or `null` before the first. */
  readonly lastSavedAt: number | null;
  /** The failure of the last write or compaction, or `null` once one succeeds again. */
  readonly lastError: Error | null;
  /** How many updates are not durable yet. */
  readonly pending: number;
}
