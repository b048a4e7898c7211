// A writer that acknowledges: opens key <key> on the file adapter in <dir>, then updates a counter
// and flushes after each update, saying "durable <n>" each time flush() resolved. Used by the
// scenarios where the storage is taken away under the store (8, 10, 11). Lines (one each):
//   "ready <n> <ok | why the state is not one the sequence had>" / "corrupt <message>"
//   "open-error <typed|untyped> <error>"  (run mode retries the open for TORTURE_OPEN_RETRY_MS)
//   "durable <n>"                          flush() resolved with update n made
//   "write-error <typed|untyped> <error>"  status$ reported a failed write (retried by the store)
//   "flush-error <typed|untyped> <error>"  flush() rejected; the loop goes on
//   "sizes <journal> <record> <snapshot>"  (TORTURE_MEASURE=1) largest journal file, journal record and snapshot seen, in bytes
//   "closed <n>" / "close-error <typed|untyped> <error>"   after SIGTERM
// "typed" means what a caller can branch on: a StorageFullError or StorageAccessError, or a
// FlushError caused by one (TORTURE_TYPED=any: any PersistentStoreError).
// Modes (TORTURE_MODE): "run" (default) until SIGTERM (close), SIGKILL, or TORTURE_UPDATES updates
// (then it closes); "check": open, report, make one more update durable, close, exit.
// TORTURE_ACK_EVERY=k: flush (and acknowledge) every k-th update only.
// State: { n, big, items }. Update n writes `big` (TORTURE_FIELD bytes, when > 0) and item
// k<n % TORTURE_RING> (TORTURE_PAYLOAD bytes, when > 0), each to a string beginning with "<n>:".
// argv: dir key
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import {
  CorruptStateError,
  createPersistentStore,
  fileAdapter,
  FlushError,
  KeyedMap,
  PersistentStoreError,
  StorageAccessError,
  StorageFullError,
  type PersistentStore,
  type StorageAdapter,
} from '../../src/index.js';

interface AckState {
  readonly n: number;
  readonly big: string;
  readonly items: KeyedMap<string>;
}

const [dir, key] = process.argv.slice(2) as [string, string];
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const mode = process.env.TORTURE_MODE ?? 'run';
const field = env('TORTURE_FIELD', 0);
const payload = env('TORTURE_PAYLOAD', 0);
const ring = env('TORTURE_RING', 16);
const flushTimeoutMs = env('TORTURE_FLUSH_TIMEOUT_MS', 30_000);
const openRetryMs = env('TORTURE_OPEN_RETRY_MS', 0);
const say = (line: string): void => void process.stdout.write(`${line.replace(/[\r\n]+/g, ' ')}\n`);

const fieldFiller = 'f'.repeat(field);
const itemFiller = 'i'.repeat(payload);
const valueOf = (n: number, filler: string): string => `${n}:${filler}`;
const numberIn = (value: unknown): number => (typeof value === 'string' ? Number(value.slice(0, value.indexOf(':'))) : NaN);

/** Why `s` is not the state after update `s.n`, or undefined when it is. */
function whyNotReal(s: AckState): string | undefined {
  if (!Number.isInteger(s.n) || s.n < 0) return `n is ${s.n}`;
  if (field > 0 && s.n > 0 && numberIn(s.big) !== s.n) return `big is from update ${numberIn(s.big)}, n is ${s.n}`;
  if (payload > 0) {
    if (s.items.size !== Math.min(s.n, ring)) return `${s.items.size} items after ${s.n} updates`;
    for (const [k, value] of s.items) {
      const m = numberIn(value);
      if (!(m <= s.n && m > s.n - ring && `k${m % ring}` === k)) return `item ${k} is from update ${m}, n is ${s.n}`;
    }
  }
  return undefined;
}

function isTyped(error: unknown): boolean {
  if (process.env.TORTURE_TYPED === 'any') return error instanceof PersistentStoreError;
  const storage = (e: unknown): boolean => e instanceof StorageFullError || e instanceof StorageAccessError;
  return storage(error) || (error instanceof FlushError && storage(error.cause));
}

function describe(error: unknown): string {
  const one = (e: unknown): string => {
    const { name, code, message } = (e ?? {}) as { name?: string; code?: string; message?: string };
    return `${name ?? typeof e}[${code ?? '-'}] ${message ?? String(e)}`.slice(0, 300);
  };
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return `${isTyped(error) ? 'typed' : 'untyped'} ${one(error)}${cause === undefined ? '' : ` <- ${one(cause)}`}`;
}

/** The file adapter, measuring the largest journal, record and snapshot it writes (TORTURE_MEASURE=1). */
function measuredAdapter(): { adapter: StorageAdapter; sizes: () => string } {
  const inner = fileAdapter({ dir });
  if (!process.env.TORTURE_MEASURE) return { adapter: inner, sizes: () => '' };
  // The journal's records in bytes, not its file's size: that has room of zeros past them (src/adapters/file-adapter.ts).
  let journalBytes = 0;
  let journal = 0;
  let record = 0;
  let snapshot = 0;
  const sizeOf = (file: string): Promise<number> =>
    fs.stat(path.join(dir, file)).then(
      (s) => s.size,
      () => 0,
    );
  const adapter: StorageAdapter = {
    ...inner,
    async append(k, records) {
      await inner.append!(k, records);
      for (const r of records) {
        const bytes = Buffer.byteLength(JSON.stringify(r)) + 1;
        record = Math.max(record, bytes);
        journalBytes += bytes;
      }
      journal = Math.max(journal, journalBytes);
    },
    async write(k, value) {
      await inner.write(k, value);
      journalBytes = 0;
      snapshot = Math.max(snapshot, await sizeOf(`${k}.json`));
    },
  };
  return { adapter, sizes: () => `sizes ${journal} ${record} ${snapshot}` };
}

const { adapter, sizes } = measuredAdapter();

async function open(): Promise<PersistentStore<AckState>> {
  const until = Date.now() + openRetryMs;
  for (;;) {
    try {
      return await createPersistentStore<AckState>({
        key,
        initial: { n: 0, big: '', items: new KeyedMap<string>() },
        adapter,
        debounceMs: 0,
        maxWaitMs: 0,
        flushTimeoutMs,
        events: EMPTY,
      });
    } catch (error) {
      if (error instanceof CorruptStateError) {
        say(`corrupt ${describe(error)}`);
        process.exit(3);
      }
      say(`open-error ${describe(error)}`);
      if (Date.now() >= until) process.exit(4);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const store = await open();
say(`ready ${store.getState().n} ${whyNotReal(store.getState()) ?? 'ok'}`);

let lastWriteError = '';
store.status$.subscribe(({ lastError }) => {
  const text = lastError ? describe(lastError) : '';
  if (text && text !== lastWriteError) say(`write-error ${text}`);
  lastWriteError = text;
});

const update = (): number =>
  store.update((s) => {
    s.n += 1;
    if (field > 0) s.big = valueOf(s.n, fieldFiller);
    if (payload > 0) s.items.set(`k${s.n % ring}`, valueOf(s.n, itemFiller));
  }).n;

async function closeAndExit(): Promise<never> {
  try {
    await store.close();
    if (sizes()) say(sizes());
    say(`closed ${store.getState().n}`);
    process.exit(0);
  } catch (error) {
    say(`close-error ${describe(error)}`);
    process.exit(5);
  }
}

if (mode === 'check') {
  const n = update();
  try {
    await store.flush({ timeoutMs: 20_000 });
    say(`durable ${n}`);
  } catch (error) {
    say(`flush-error ${describe(error)}`);
  }
  await closeAndExit();
}

let stopping = false;
process.on('SIGTERM', () => void (stopping = true));
const updates = env('TORTURE_UPDATES', Infinity);
const ackEvery = env('TORTURE_ACK_EVERY', 1);
for (let i = 0; i < updates && !stopping; i++) {
  const n = update();
  if ((i + 1) % ackEvery !== 0) {
    await new Promise((resolve) => setImmediate(resolve)); // the store writes what came meanwhile in one go
    continue;
  }
  try {
    await store.flush();
    say(`durable ${n}`);
  } catch (error) {
    say(`flush-error ${describe(error)}`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // a permanent failure rejects at once: no busy loop
  }
  if (sizes() && i % 20 === 0) say(sizes());
  await new Promise((resolve) => setImmediate(resolve));
}
await closeAndExit();
