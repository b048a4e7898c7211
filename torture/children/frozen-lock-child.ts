// The frozen-locks scenario's child (torture/scenarios/9-frozen-locks.ts): one of several processes
// opening the same key on the file adapter, again and again. Says "armed" once loaded; on SIGUSR1 it
// opens the store (lock-steps.ts counts the steps of taking the lock, and stops the process before
// the step written in the file TORTURE_PAUSE_FILE names, if any) and answers one line:
//   "holding <n> <steps> <t>" it got the key, restored counter n, in <steps> lock file operations;
//                             it then updates the counter (and `pid`), flushing each update, and
//                             says "durable <n> <t>" after each, until...
//   "closed <n> <t>"          ...SIGUSR2 closed it (or the parent SIGKILLs it instead)
//   "lost <t> <error>"            a write failed (LockLostError, say): it stops writing, holds nothing
//   "refused <message>"       StoreLockedError, the clean refusal
//   "error <code> <message>"  anything else (a crash of the open, a corrupt file)
//   "paused <k> <call> <file>" it stopped itself before lock step k (see lock-steps.ts)
// <t>: the wall-clock time of the line in ms, with microseconds, to order lines of several processes.
// argv: dir key
import { countLockSteps, lockSteps } from './lock-steps.js';
import { readFileSync } from 'node:fs';
import { EMPTY } from 'rxjs';
import { createPersistentStore, fileAdapter, StoreLockedError, type PersistentStore } from '../../src/index.js';

const [dir, key] = process.argv.slice(2) as [string, string];
const say = (line: string): void => void process.stdout.write(`${line.replace(/[\r\n]+/g, ' ')}\n`);
const adapter = fileAdapter({ dir });
/** A wall-clock time shared by all processes, finer than a millisecond: orders the holders' lines. */
const now = (): string => (performance.timeOrigin + performance.now()).toFixed(3);
const describe = (error: unknown): string => `${(error as { code?: string }).code ?? (error as Error).name} ${(error as Error).message}`.slice(0, 400);

let store: PersistentStore<{ n: number; pid: number }> | undefined;
let trying = false;
let stopping: Promise<void> | undefined;
let working: Promise<void> = Promise.resolve();

async function open(): Promise<void> {
  if (trying || store) return;
  trying = true;
  try {
    const pauseFile = process.env.TORTURE_PAUSE_FILE;
    const pauseAt = pauseFile ? Number(readFileSync(pauseFile, { encoding: 'utf8', flag: 'a+' }) || 0) : 0;
    store = await countLockSteps(pauseAt, () =>
      // compactOnClose: false: the journal left behind is the evidence of two holders writing at once.
      createPersistentStore({
        key,
        initial: { n: 0, pid: 0 },
        adapter,
        events: EMPTY,
        debounceMs: 0,
        maxWaitMs: 0,
        flushTimeoutMs: 10_000,
        compactOnClose: false,
      }),
    );
  } catch (error) {
    if (error instanceof StoreLockedError) say(`refused ${error.message}`);
    else say(`error ${describe(error)}`);
    return;
  } finally {
    trying = false;
  }
  const held = store;
  say(`holding ${held.getState().n} ${lockSteps()} ${now()}`);
  working = (async () => {
    while (!stopping) {
      const { n } = held.update((s) => {
        s.n += 1;
        s.pid = process.pid;
      });
      try {
        await held.flush();
      } catch (error) {
        say(`lost ${now()} ${describe(error)}`);
        return;
      }
      say(`durable ${n} ${now()}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
}

process.on('SIGUSR1', () => void open());
process.on('SIGUSR2', () => {
  if (!store || stopping) return;
  const held = store;
  stopping = (async () => {
    await working;
    await held.close();
    say(`closed ${held.getState().n} ${now()}`);
  })()
    .catch((error: unknown) => say(`error close ${describe(error)}`))
    .finally(() => {
      store = undefined;
      stopping = undefined;
    });
});
setInterval(() => undefined, 1 << 30); // stays until killed
say('armed');
