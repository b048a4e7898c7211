import { promises as fs } from 'node:fs';
import * as path from 'node:path';

// Folders compared byte for byte: what a step changed.

/** Every file under `folder` (one level of sub-folders), by relative name; lock files left out. */
export async function listing(folder: string): Promise<Map<string, Buffer | 'dir'>> {
  const out = new Map<string, Buffer | 'dir'>();
  const walk = async (at: string, prefix: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const name = `${prefix}${entry.name}`;
      if (/\.lock($|\.)|~lock\.\d+$/.test(entry.name)) continue; // the store's own lock, gone once it is closed
      if (entry.isDirectory()) {
        out.set(name, 'dir');
        if (depth < 2) await walk(path.join(at, entry.name), `${name}/`, depth + 1);
      } else {
        out.set(name, await fs.readFile(path.join(at, entry.name)).catch(() => Buffer.from('(unreadable)')));
      }
    }
  };
  await walk(folder, '', 0);
  return out;
}

export const sameBytes = (a: Buffer | 'dir' | undefined, b: Buffer | 'dir' | undefined): boolean =>
  a === b || (a instanceof Buffer && b instanceof Buffer && a.equals(b));

/** How `after` differs from `before`, or undefined when every file is the same. */
export function difference(before: Map<string, Buffer | 'dir'>, after: Map<string, Buffer | 'dir'>): string | undefined {
  for (const [name, bytes] of before) {
    if (!after.has(name)) return `${name} is gone`;
    if (!sameBytes(bytes, after.get(name))) return `${name} changed`;
  }
  for (const name of after.keys()) if (!before.has(name)) return `${name} appeared`;
  return undefined;
}
