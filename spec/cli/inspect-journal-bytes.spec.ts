import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EMPTY } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { inspectStore } from '../../src/cli/inspect-command.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { journalText } from '../support/journal-file.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('inspect-journal-bytes');

describe('inspect on a file store', () => {
  test("gives the journal's size as its records' bytes, not its file's (which has room of zeros past them)", async () => {
    const dir = tempDir();
    const store = await createPersistentStore({ key: 'K', initial: { n: 0 }, adapter: fileAdapter({ dir }), events: EMPTY, compactOnClose: false });
    store.update((s) => void s.n++);
    await store.flush(); // the first snapshot
    store.update((s) => void s.n++);
    await store.close(); // one journal record
    const journal = path.join(dir, 'K.json.journal');
    const records = Buffer.byteLength(await journalText(journal));
    expect(records).toBeGreaterThan(0);
    expect((await fs.stat(journal)).size).toBeGreaterThan(records); // the room
    expect((await inspectStore('K', dir)).journal.bytes).toBe(records);
  });
});
