import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tempFileOf } from '../../../adapters/durable-file.js';

/**
 * Writes the simulator's storage files (request queue entries, dataset items, metadata): whole
 * or not at all (a temp file renamed over), and one write at a time per file, in the order asked,
 * so that the last answer given is the last content on disk. No fsync: the simulator's process
 * outlives every kill of the job, and a file renamed into place is what every later reader sees;
 * only a crash of the machine, which the simulator does not emulate, could lose it (7 ms per
 * fsync here would cap the emulated queue at a few hundred operations a second).
 */
export function fileWriter(): { write(file: string, data: string): Promise<void>; remove(file: string): Promise<void> } {
  const pending = new Map<string, Promise<void>>();
  const inTurn = (file: string, action: () => Promise<void>): Promise<void> => {
    const next = (pending.get(file) ?? Promise.resolve()).then(action);
    const settled = next.catch(() => undefined);
    pending.set(file, settled);
    void settled.then(() => pending.get(file) === settled && pending.delete(file));
    return next;
  };
  return {
    write: (file, data) =>
      inTurn(file, async () => {
        await fs.mkdir(path.dirname(file), { recursive: true }); // again each time: a dropped storage takes its folder
        const tmp = tempFileOf(file);
        try {
          await fs.writeFile(tmp, data);
          await fs.rename(tmp, file);
        } catch (error) {
          await fs.rm(tmp, { force: true });
          throw error;
        }
      }),
    remove: (file) => inTurn(file, () => fs.rm(file, { force: true })),
  };
}

/** Reads a JSON file; undefined when it is missing. */
export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
