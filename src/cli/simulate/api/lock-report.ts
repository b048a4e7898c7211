import type { RequestLock } from './request-locks.js';

/** What the reporter needs of a queue. */
export interface LockedQueue {
  readonly id: string;
  /** Live locks held by runs other than `run`. */
  locksNotOf(run: number | undefined): RequestLock[];
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

/** "run 2 (12), run 3 (4)": who holds the locks. */
function holders(locks: readonly RequestLock[]): string {
  const byRun = new Map<string, number>();
  for (const lock of locks) {
    const who = lock.run === undefined ? 'a client outside the simulation' : `run ${lock.run}`;
    byRun.set(who, (byRun.get(who) ?? 0) + 1);
  }
  return [...byRun].map(([who, n]) => (byRun.size === 1 ? who : `${who} (${n})`)).join(', ');
}

/**
 * Tells the timeline what request locks do across runs: those a run leaves when it ends, whether
 * the next run finds requests still locked by an earlier one (on the platform they stay locked
 * until they expire, crawlee#2870), and when those locks expire: how long they held the run up.
 */
export function lockReporter(queues: () => Iterable<LockedQueue>, log: (line: string) => void, clock: () => number = Date.now): LockReporter {
  const startedAt = new Map<number, number>();
  const reported = new Set<string>();
  /** When a run, waiting for earlier runs' locks in a queue, first found nothing else to lock. */
  const idleSince = new Map<string, number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const watchExpiry = (queue: LockedQueue, run: number | undefined, count: number, by: string): void => {
    let until = 0;
    const check = () => {
      const left = queue.locksNotOf(run);
      if (left.length > 0) {
        until = Math.max(...left.map((lock) => lock.expiresAtMs));
        return schedule(until);
      }
      const since = run === undefined ? undefined : startedAt.get(run);
      const into = since === undefined ? '' : `, ${secs(clock() - since)} into run ${run}`;
      const how = clock() >= until ? 'have expired' : 'were released';
      const idle = idleSince.get(`${queue.id}\n${run}`);
      const waited = idle === undefined ? '' : `; it had had nothing else to lock for ${secs(clock() - idle)}`;
      idleSince.delete(`${queue.id}\n${run}`);
      log(`the locks ${by} left on ${plural(count, 'request')} of queue ${queue.id} ${how}${into}${waited}: those requests are back in the queue head`);
    };
    const schedule = (atMs: number) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        check();
      }, Math.max(0, atMs - clock()) + 5);
      timer.unref();
      timers.add(timer);
    };
    check();
  };

  return {
    runStarted(run) {
      startedAt.set(run, clock());
    },
    runEnded(run) {
      for (const queue of queues()) {
        const held = queue.locksNotOf(undefined).filter((lock) => lock.run === run);
        if (held.length === 0) continue;
        const last = Math.max(...held.map((lock) => lock.expiresAtMs));
        log(`run ${run} left ${plural(held.length, 'request lock')} in queue ${queue.id}, the last expiring in ${secs(last - clock())}`);
      }
    },
    headLocked(queue, run) {
      const key = `${queue.id}\n${run}`;
      if (reported.has(key)) return;
      reported.add(key);
      const foreign = queue.locksNotOf(run);
      const who = run === undefined ? 'a client' : `run ${run}`;
      if (foreign.length === 0) {
        if (run !== undefined && run > 1) log(`${who} finds no request of queue ${queue.id} locked by an earlier run`);
        return;
      }
      const by = holders(foreign);
      const last = Math.max(...foreign.map((lock) => lock.expiresAtMs));
      log(
        `${who} finds ${plural(foreign.length, 'request')} of queue ${queue.id} still locked by ${by}: ` +
          `out of its queue head until the locks expire, in up to ${secs(last - clock())} (as on the platform: crawlee#2870)`,
      );
      watchExpiry(queue, run, foreign.length, by);
    },
    headEmpty(queue, run) {
      const key = `${queue.id}\n${run}`;
      if (!idleSince.has(key) && queue.locksNotOf(run).length > 0) idleSince.set(key, clock());
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
