// W5: heap held by a store of N entries, against the same data as a plain object.
import { EMPTY } from 'rxjs';
import { createPersistentStore, memoryAdapter } from '../src/index.js';
import { keyedState, plainState, type Row } from './harness.js';

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with node --expose-gc');
  collect();
  collect();
};

/** Heap growth while `make` builds a value that stays alive, in MiB. */
async function heapMiB(make: () => Promise<unknown> | unknown): Promise<{ mib: number; keep: unknown }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const keep = await make();
  gc();
  return { mib: (process.memoryUsage().heapUsed - before) / 2 ** 20, keep };
}

export async function w5Memory(size: number): Promise<Row> {
  const plain = await heapMiB(() => plainState(size));
  const ours = await heapMiB(() => createPersistentStore({ key: 'W5', initial: keyedState(size), adapter: memoryAdapter(), events: EMPTY }));
  await (ours.keep as { close(): Promise<void> }).close();
  if (plain.keep === undefined) throw new Error('unreachable'); // keeps the plain state alive until here
  return { size, 'rx-persistent-store': ours.mib, 'plain object': plain.mib };
}
