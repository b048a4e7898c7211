import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Subject } from 'rxjs';
import { fileAdapter } from '../../src/adapters/file-adapter.js';
import { CorruptStateError, LockLostError } from '../../src/errors.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import type { StoreDiagnostic } from '../../src/store/notices.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('overwritten');

// Crawlee's local storage (@crawlee/memory-storage) writes a record with fs.writeFile: in place,
// the same inode. An auto-save of Crawlee's on our key (useState, a persistState handler calling
// setValue) in a local run is such a write. README, "One writer per key": "The store notices at
// its next write, says so (lock-lost, naming the auto-save) and writes nothing more".
describe('file adapter: the snapshot overwritten in place by another program', () => {
  test('is noticed at the next write (lock-lost), left as it is, and the next open refuses to mix our journal into it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'STATE.json');
    const open = () =>
      createPersistentStore({
        key: 'STATE',
        initial: { n: 0 } as Record<string, unknown>,
        adapter: fileAdapter({ dir }),
        events: new Subject<PlatformEvent>(),
        logger: false,
      });
    const store = await open();
    const diagnostics: StoreDiagnostic['type'][] = [];
    store.diagnostics$.subscribe((d) => void diagnostics.push(d.type));
    store.update((s) => void (s.n = 1));
    await store.flush(); // the snapshot
    store.update((s) => void (s.n = 2));
    await store.flush(); // a journal record beside it
    const foreign = JSON.stringify({ crawlee: 'auto-save' }, null, '\t');
    await fs.writeFile(file, foreign); // in place, as @crawlee/memory-storage writes
    store.update((s) => void (s.n = 3));
    const error = await store.flush().catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(LockLostError);
    expect(((error as Error).cause as Error).message).toMatch(
      /written over in place by another program \(an auto-save on the same key, such as Crawlee's useState/,
    );
    await store.close().catch(() => undefined);
    expect(diagnostics).toEqual(['lock-lost']);
    expect(await fs.readFile(file, 'utf8')).toBe(foreign); // not written over again
    // Found before: { crawlee: 'auto-save', n: 2 }, a state neither writer ever had.
    const reopened = await open().catch((e: unknown) => e);
    expect(reopened).toBeInstanceOf(CorruptStateError);
    expect((reopened as Error).message).toMatch(/a value not written by this library beside 1 journal record/);
    expect(await fs.readFile(file, 'utf8')).toBe(foreign);
  });
});
