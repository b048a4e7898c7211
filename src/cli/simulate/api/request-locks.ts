/** A request's lock, as the platform keeps it: who took it, in which run, until when. */
export interface RequestLock {
  readonly clientKey: string | undefined;
  /** The simulated run that took it (1, 2, …); a kill of that run leaves it in place. */
  readonly run: number | undefined;
  readonly expiresAtMs: number;
}

/**
 * The locks of one request queue. They live in the simulator's process, which outlives every
 * kill of the job: a lock taken by a run that dies stays until it expires, as on the platform
 * (crawlee#2870), and keeps its request out of every later run's queue head until then.
 */
export class RequestLocks {
  private readonly locks = new Map<string, RequestLock>();

  constructor(private readonly clock: () => number) {}

  /** The live lock on `id`, if any (an expired one is forgotten). */
  get(id: string): RequestLock | undefined {
    const lock = this.locks.get(id);
    if (lock && lock.expiresAtMs <= this.clock()) {
      this.locks.delete(id);
      return undefined;
    }
    return lock;
  }

  isLocked(id: string): boolean {
    return this.get(id) !== undefined;
  }

  set(id: string, lock: RequestLock): void {
    this.locks.set(id, lock);
  }

  /** Removes the lock on `id`; whether there was a live one. */
  release(id: string): boolean {
    const had = this.isLocked(id);
    this.locks.delete(id);
    return had;
  }

  /** Every live lock, with its request id. */
  live(): Array<readonly [string, RequestLock]> {
    return [...this.locks.keys()].flatMap((id) => {
      const lock = this.get(id);
      return lock ? [[id, lock] as const] : [];
    });
  }

  get size(): number {
    return this.live().length;
  }
}
