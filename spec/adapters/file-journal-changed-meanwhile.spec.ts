import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileAdapter, JOURNAL_ROOM_BYTES } from '../../src/adapters/file-adapter.js';
import { parseJournal } from '../../src/adapters/journal-text.js';
import { LockLostError, StorageReplacedError } from '../../src/errors.js';
import { kill, startFixture, waitForLine } from '../support/processes.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('journal-changed-meanwhile');

// An append whose checks wait until its write is durable (file-adapter.ts, append) must still
// refuse what the checks before the write refused. Found in review: each of these was acknowledged.

/** A record whose line in the journal is `bytes` long. */
const record = (n: number, bytes: number) => ({ n, p: 'x'.repeat(bytes - JSON.stringify({ n, p: '' }).length - 1) });

const replayed = async (dir: string) => (await fileAdapter({ dir }).readJournal!('K'))?.length;
const lines = (values: unknown[]) => values.map((value) => `${JSON.stringify(value)}\n`).join('');
const stampTrusted = () => new Promise((resolve) => setTimeout(resolve, 60)); // seen unchanged over 20 ms: the next append looks only after its write

/** Holds K with a journal of `count` records ({"seq":n}, 10 bytes each), the folder's stamp trusted. */
async function holding(dir: string, count: number) {
  const adapter = fileAdapter({ dir });
  const release = await adapter.lock!('K');
  await adapter.write('K', { n: 0 });
  await adapter.append!('K', [{ seq: 1 }]);
  await stampTrusted();
  for (let seq = 2; seq <= count; seq++) await adapter.append!('K', [{ seq }]);
  return { adapter, release };
}

describe('file adapter: a journal cut by another program between two appends', () => {
  test('the append that then fills its room exactly is refused, not acknowledged past zeros', async () => {
    const dir = tempDir();
    const adapter = fileAdapter({ dir });
    const release = await adapter.lock!('K');
    await adapter.write('K', { n: 0 });
    // Records of 64 bytes: the room (64 KiB past the first) is filled exactly by the last of them.
    const fill = JOURNAL_ROOM_BYTES / 64 + 1;
    for (let n = 1; n < fill; n++) await adapter.append!('K', [record(n, 64)]);
    await fs.truncate(path.join(dir, 'K.json.journal'), 0);
    // The file ends where its room did, once written: only the zeros before the record tell.
    await expect(adapter.append!('K', [record(fill, 64)])).rejects.toThrow(StorageReplacedError);
    await release();
    expect(await replayed(dir)).toBe(0);
  });

  test('an append tried again after that refusal (no whole write between) is refused again', async () => {
    const dir = tempDir();
    const adapter = fileAdapter({ dir });
    const release = await adapter.lock!('K');
    await adapter.write('K', { n: 0 });
    await adapter.append!('K', [{ seq: 1 }]);
    await stampTrusted();
    await adapter.append!('K', [{ seq: 2 }]);
    await fs.truncate(path.join(dir, 'K.json.journal'), 0);
    await expect(adapter.append!('K', [{ seq: 3 }])).rejects.toThrow(StorageReplacedError);
    // The refused write left bytes past the records, taken for a torn tail to cut: cut, the journal would be zeros and this record.
    await expect(adapter.append!('K', [{ seq: 3 }])).rejects.toThrow(StorageReplacedError);
    await release();
    expect(await replayed(dir)).toBe(0);
  });
});

describe('file adapter: a journal written in place by another program between two appends (the same file: no name changes)', () => {
  test('with whole records as long as ours, the append that fills the room exactly is refused', async () => {
    const dir = tempDir();
    const adapter = fileAdapter({ dir });
    const release = await adapter.lock!('K');
    await adapter.write('K', { n: 0 });
    const fill = JOURNAL_ROOM_BYTES / 64 + 1; // records of 64 bytes: the last one fills the room exactly
    await adapter.append!('K', [record(1, 64)]);
    await stampTrusted();
    for (let n = 2; n < fill; n++) await adapter.append!('K', [record(n, 64)]);
    // Its lines end where ours did: once written past, the file ends at the room's end, a newline where our records ended.
    await fs.writeFile(path.join(dir, 'K.json.journal'), lines(Array.from({ length: fill - 1 }, (_, i) => record(100_000 + i, 64))));
    await expect(adapter.append!('K', [record(fill, 64)])).rejects.toThrow(StorageReplacedError);
    await release();
  });

  test('an append tried again after the refusal (no whole write between) is refused again, and cuts nothing', async () => {
    const dir = tempDir();
    const { adapter, release } = await holding(dir, 4);
    const journal = path.join(dir, 'K.json.journal');
    await fs.writeFile(journal, lines([1, 2, 3, 4, 5].map((bad) => ({ bad })))); // a newline where our records ended
    await expect(adapter.append!('K', [{ seq: 5 }])).rejects.toThrow(StorageReplacedError);
    // Found after its write, which took the place of that program's fifth line (the store's whole write empties the journal next anyway).
    const refused = await fs.readFile(journal);
    await expect(adapter.append!('K', [{ seq: 5, n: 'tried again' }])).rejects.toThrow(StorageReplacedError);
    await release();
    expect(await fs.readFile(journal)).toEqual(refused); // nothing written again (found in review: taken for a torn tail of ours, it was cut and the record acknowledged)
  });

  test("another program's record appended past the room is not cut by a retried append", async () => {
    const dir = tempDir();
    const { adapter, release } = await holding(dir, 4);
    await fs.appendFile(path.join(dir, 'K.json.journal'), lines([{ other: 1 }]));
    await expect(adapter.append!('K', [{ seq: 5 }])).rejects.toThrow(StorageReplacedError);
    await expect(adapter.append!('K', [{ seq: 5 }])).rejects.toThrow(StorageReplacedError);
    expect((await fs.readFile(path.join(dir, 'K.json.journal'), 'utf8')).includes('{"other":1}\n')).toBe(true);
    await release();
  });

  test('a whole write then starts the journal afresh, and appends go on', async () => {
    const dir = tempDir();
    const { adapter, release } = await holding(dir, 4);
    await fs.appendFile(path.join(dir, 'K.json.journal'), lines([{ other: 1 }]));
    await expect(adapter.append!('K', [{ seq: 5 }])).rejects.toThrow(StorageReplacedError);
    await adapter.write('K', { n: 5 });
    await adapter.append!('K', [{ seq: 6 }]);
    await release();
    const journal = path.join(dir, 'K.json.journal');
    expect(parseJournal(await fs.readFile(journal), 'K', journal)).toEqual([{ seq: 6 }]);
  });
});

describe('file adapter: a holder whose lock file was removed, the key then taken by a process that has not read the journal yet', () => {
  test('writes nothing the new holder reads: its appends fail with LockLostError, before their write', async () => {
    const dir = tempDir();
    const journal = path.join(dir, 'K.json.journal');
    const adapter = fileAdapter({ dir });
    const release = await adapter.lock!('K');
    await adapter.write('K', { n: 0 });
    await adapter.append!('K', [{ seq: 1 }]);
    await adapter.append!('K', [{ seq: 2 }]);
    for (const name of await fs.readdir(dir)) if (name.startsWith('K.json~lock')) await fs.rm(path.join(dir, name)); // a purge of lock files
    const holder = startFixture('lock-only', [dir, 'K']);
    try {
      await waitForLine(holder, /^ready \d+/);
      await expect(adapter.append!('K', [{ seq: 3 }])).rejects.toThrow(LockLostError);
      await expect(adapter.append!('K', [{ seq: 4 }])).rejects.toThrow(LockLostError);
      await stampTrusted(); // trusted again: an append would look only after its write

      await expect(adapter.append!('K', [{ seq: 5 }])).rejects.toThrow(LockLostError);
      await expect(adapter.append!('K', [{ seq: 6 }])).rejects.toThrow(LockLostError);
      expect(parseJournal(await fs.readFile(journal), 'K', journal)).toEqual([{ seq: 1 }, { seq: 2 }]); // what the new holder reads
    } finally {
      await kill(holder, 'SIGTERM');
      await release();
    }
  });
});
