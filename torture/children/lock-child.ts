// The concurrency scenario's lock child (torture/scenarios/6-concurrency.ts): one of several
// processes that open the same key on the file adapter at the same moment, again and again.
// Says "armed" once loaded; then on each SIGUSR1 it tries to open the store and answers one line:
//   "holding <n>"          it got the key; the counter it restored. It then updates the counter,
//                          flushing each update, and says "durable <n>" after each, until...
//   "closed <n>"           ...SIGUSR2 closed it (or the parent SIGKILLs it instead)
//   "refused <message>"    StoreLockedError, the clean refusal
//   "error <code> <message>" anything else (a crash of the open, a corrupt file)
// argv: dir
import { EMPTY } from 'rxjs';
import { createPersistentStore, fileAdapter, StoreLockedError, type PersistentStore } from '../../src/index.js';

const [dir] = process.argv.slice(2) as [string];
const say = (line: string): void => void process.stdout.write(`${line.replace(/\n/g, ' ')}\n`);
const adapter = fileAdapter({ dir });

let store: PersistentStore<{ n: number; pid: number }> | undefined;
let trying = false;
let stopping: Promise<void> | undefined;
let working: Promise<void> = Promise.resolve();

async function open(): Promise<void> {
  if (trying || store) return;
  trying = true;
  try {
    store = await createPersistentStore({ key: 'LOCKED', initial: { n: 0, pid: 0 }, adapter, events: EMPTY, debounceMs: 0, maxWaitMs: 0 });
  } catch (error) {
    if (error instanceof StoreLockedError) say(`refused ${error.message}`);
    else say(`error ${(error as { code?: string }).code ?? (error as Error).name} ${(error as Error).message}`);
    return;
  } finally {
    trying = false;
  }
  const held = store;
  say(`holding ${held.getState().n}`);
  working = (async () => {
    while (!stopping) {
      const { n } = held.update((s) => {
        s.n += 1;
        s.pid = process.pid;
      });
      await held.flush();
      say(`durable ${n}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })().catch((error: unknown) => say(`error write ${(error as Error).message}`));
}

process.on('SIGUSR1', () => void open());
process.on('SIGUSR2', () => {
  if (!store || stopping) return;
  const held = store;
  stopping = (async () => {
    await working;
    await held.close();
    say(`closed ${held.getState().n}`);
  })()
    .catch((error: unknown) => say(`error close ${(error as Error).message}`))
    .finally(() => {
      store = undefined;
      stopping = undefined;
    });
});
setInterval(() => undefined, 1 << 30); // stays until killed
say('armed');
