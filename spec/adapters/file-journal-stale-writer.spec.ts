import { jest } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
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
  // a second adapter that never took the lock: once past its checks, an append is the same code.
  // With O_APPEND its write landed after the new holder's records, whose next append then found
  // the journal's size changed (StorageReplacedError: the store writes its whole state). Written at
  // the position it knew, it lands on the new holder's acknowledged record, and when both records
  // are as long, the file's size is the one the new holder left: nothing notices.
  // Fails: the fence this needs (a holder's first open of the journal moves it to a fresh file, so that an earlier
  // holder's descriptor writes only to the file it had) is a design choice with a cost at every open, left to the maintainers.
  test.failing("never overwrites the new holder's acknowledged record unnoticed", async () => {
    const dir = tempDir();
    const holder = fileAdapter({ dir });
    const release = await holder.lock!('K');
    await holder.write('K', { n: 0 });
    expect(await holder.readJournal!('K')).toEqual([]);

    const stale = fileAdapter({ dir });
    const held = holdNextTruncate();
    const staleAppend = stale.append!('K', [{ seq: 1, ops: ['stale'] }]).then(
      () => 'acknowledged',
      (error: unknown) => error,
    );
    await held.reached; // the stale writer is inside its append, past its checks

    await holder.append!('K', [{ seq: 1, ops: ['mine!'] }]); // acknowledged to the holder's store
    held.go();
    await staleAppend;

    const next = holder.append!('K', [{ seq: 2, ops: ['mine!'] }]).then(
      () => 'acknowledged',
      (error: unknown) => (error as Error).name,
    );
    const outcome = await next;
    await release();
    const records = (await fileAdapter({ dir }).readJournal!('K')) ?? [];
    // Either the holder is told its journal was changed (and writes its whole state), or its record is there.
    // Found: acknowledged, and the journal reads [{ seq: 1, ops: ['stale'] }, { seq: 2, ops: ['mine!'] }]: the
    // holder's acknowledged first record silently replaced by the stale writer's, which replays as the holder's.
    expect(outcome === 'StorageReplacedError' || records.some((r) => JSON.stringify(r) === '{"seq":1,"ops":["mine!"]}')).toBe(true);
  });
});
