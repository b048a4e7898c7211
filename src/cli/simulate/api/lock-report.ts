import type { RequestLock } from './request-locks.js';

/** What the reporter needs of a queue. */
export interface LockedQueue {
  readonly id: string;
  /** Its live locks. */
  liveLocks(): RequestLock[];
}

export interface LockReporter {
  /** A run started (for "N s into run M"). */
  runStarted(run: number): void;
  /** A run ended: names the locks it leaves behind, if any. */
  runEnded(run: number): void;
  /** Called on each `head/lock`: the first one of a run in a queue says what earlier runs still lock there. */
  headLocked(queue: LockedQueue, run: number | undefined): void;
  /** A `head/lock` found nothing to lock: from the first one, a run waiting for earlier runs' locks is idle. */
  headEmpty(queue: LockedQueue, run: number | undefined): void;
  close(): void;
}

const secs = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const lastExpiry = (locks: readonly RequestLock[]) => Math.max(...locks.map((lock) => lock.expiresAtMs));

/** "run 2", or "run 1 (1), run 2 (7)": who holds the locks. */
function holders(locks: readonly RequestLock[]): string {
  const byRun = new Map<string, number>();
  for (const lock of locks) {
    const who = lock.run === undefined ? 'a client outside the simulation' : `run ${lock.run}`;
    byRun.set(who, (byRun.get(who) ?? 0) + 1);
  }
  return [...byRun].map(([who, n]) => (byRun.size === 1 ? who : `${who} (${n})`)).join(', ');
}

/** The locks in `queue` that runs before `run` took (and any taken outside the simulation). */
function earlierLocks(queue: LockedQueue, run: number | undefined): RequestLock[] {
  return queue.liveLocks().filter((lock) => lock.run !== run && (run === undefined || lock.run === undefined || lock.run < run));
}

/**
 * Tells the timeline what request locks do across runs: those a run leaves when it ends, whether
 * the next run finds requests still locked by an earlier one (on the platform they stay locked
 * until they expire, crawlee#2870), and when those locks expire: how long they held the run up.
 */
export function lockReporter(queues: () => Iterable<LockedQueue>, log: (line: string) => void, clock: () => number = Date.now): LockReporter {
  const startedAt = new Map<number, number>();
  const ended = new Set<number>();
  const reported = new Set<string>();
  /** When a run, waiting for earlier runs' locks in a queue, first found nothing else to lock. */
  const idleSince = new Map<string, number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const keyOf = (queue: LockedQueue, run: number | undefined) => `${queue.id}\n${run}`;

  /** Waits until the earlier runs' locks `run` found are gone, then says when, and how long `run` had been idle. */
  const watchExpiry = (queue: LockedQueue, run: number | undefined, found: readonly RequestLock[]): void => {
    let until = lastExpiry(found);
    const what = `the locks ${holders(found)} left on ${plural(found.length, 'request')} of queue ${queue.id}`;
    const check = () => {
      const left = earlierLocks(queue, run);
      if (left.length > 0) {
        until = lastExpiry(left);
        return schedule(until);
      }
      const how = clock() >= until ? 'have expired' : 'were released';
      const since = run === undefined ? undefined : startedAt.get(run);
      if (run === undefined || since === undefined) return log(`${what} ${how}`);
      if (ended.has(run)) return log(`${what} ${how}, after run ${run} had ended`);
      const idle = idleSince.get(keyOf(queue, run));
      const waited = idle === undefined ? '' : `; it had had nothing else to lock for ${secs(clock() - idle)}`;
      log(`${what} ${how}, ${secs(clock() - since)} into run ${run}${waited}: those requests are back in the queue head`);
    };
    const schedule = (atMs: number) => {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          check();
        },
        Math.max(0, atMs - clock()) + 5,
      );
      timer.unref();
      timers.add(timer);
    };
    schedule(until);
  };

  return {
    runStarted(run) {
      startedAt.set(run, clock());
    },
    runEnded(run) {
      ended.add(run);
      for (const queue of queues()) {
        const held = queue.liveLocks().filter((lock) => lock.run === run);
        if (held.length > 0)
          log(`run ${run} left ${plural(held.length, 'request lock')} in queue ${queue.id}, the last expiring in ${secs(lastExpiry(held) - clock())}`);
      }
    },
    headLocked(queue, run) {
      const key = keyOf(queue, run);
      if (reported.has(key)) return;
      reported.add(key);
      const found = earlierLocks(queue, run);
      const who = run === undefined ? 'a client' : `run ${run}`;
      if (found.length === 0) {
        if (run !== undefined && run > 1) log(`${who} finds no request of queue ${queue.id} locked by an earlier run`);
        return;
      }
      log(
        `${who} finds ${plural(found.length, 'request')} of queue ${queue.id} still locked by ${holders(found)}: ` +
          `out of its queue head until the locks expire, in up to ${secs(lastExpiry(found) - clock())} (as on the platform: crawlee#2870)`,
      );
      watchExpiry(queue, run, found);
    },
    headEmpty(queue, run) {
      const key = keyOf(queue, run);
      if (!idleSince.has(key) && earlierLocks(queue, run).length > 0) idleSince.set(key, clock());
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
