import { jest } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { fileAdapter, JOURNAL_ROOM_BYTES } from '../../src/adapters/file-adapter.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('journal-stale-writer');

// The FileHandle class, to hold one ftruncate back until the test lets it go.
const probe = await fs.open(process.execPath, 'r');
const FileHandle = Object.getPrototypeOf(probe) as { truncate(length?: number): Promise<void> };
await probe.close();
const truncate = FileHandle.truncate;

/** Holds back the next ftruncate of any journal: resolves `reached` when it is called, runs it once `go` is called. */
function holdNextTruncate(): { reached: Promise<void>; go: () => void } {
  let reached!: () => void;
  let go!: () => void;
  const reachedP = new Promise<void>((resolve) => (reached = resolve));
  const goP = new Promise<void>((resolve) => (go = resolve));
  let armed = true;
  jest.spyOn(FileHandle, 'truncate').mockImplementation(async function (this: typeof FileHandle, length?: number) {
    if (armed) {
      armed = false;
      reached();
      await goP;
    }
    return truncate.call(this, length);
  });
  return { reached: reachedP, go };
}

afterEach(() => jest.restoreAllMocks());

describe('a writer whose checks passed before another took the key over', () => {
  // A writer stalled inside its append (here at the ftruncate that makes room; a thread-pool call
  // that can wait behind slow I/O, or a process frozen there) after its checks passed: a holder
  // whose lock file was removed while it appended, the key then taken by another. It is played by
  // an adapter that never took the lock (two in one process cannot both hold it), with the journal
  // open from an append before the take-over; once past its checks, an append is the same code.
  // Written at the position it knew into the same file, it would land on the new holder's
  // acknowledged record unnoticed when both records are as long (found in review): the new holder
  // appends to a fresh copy of the journal, so the stale write goes to the file it had.
  test("never overwrites the new holder's acknowledged record: the stale write lands in the file it had, and is refused", async () => {
    const dir = tempDir();
    const stale = fileAdapter({ dir });
    await stale.write('K', { n: 0 });
    await stale.append!('K', [{ seq: 1, ops: ['first'] }]); // the stale writer's journal is open
    const held = holdNextTruncate();
    const big = 'x'.repeat(JOURNAL_ROOM_BYTES); // more than its room: the append makes room first
    const staleAppend = stale.append!('K', [{ seq: 2, ops: [big] }]).then(
      () => 'acknowledged',
      (error: unknown) => (error as Error).name,
    );
    await held.reached; // the stale writer is inside its append, past its checks

    const holder = fileAdapter({ dir });
    const release = await holder.lock!('K');
    expect(await holder.read('K')).toEqual({ n: 0 });
    expect(await holder.readJournal!('K')).toEqual([{ seq: 1, ops: ['first'] }]);
    await holder.append!('K', [{ seq: 2, ops: ['mine!'] }]); // acknowledged to the holder's store
    held.go();
    expect(await staleAppend).toBe('StorageReplacedError');

    await holder.append!('K', [{ seq: 3, ops: ['mine!'] }]);
    await release();
    expect(await fileAdapter({ dir }).readJournal!('K')).toEqual([
      { seq: 1, ops: ['first'] },
      { seq: 2, ops: ['mine!'] },
      { seq: 3, ops: ['mine!'] },
    ]);
  });
});
