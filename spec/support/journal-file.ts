import { promises as fs } from 'node:fs';

/**
 * A file adapter journal's records as text: what is before its first NUL byte. Past the records
 * the journal has room of zeros (file-adapter.ts): anything else there fails the spec.
 */
export async function journalText(file: string): Promise<string> {
  const bytes = await fs.readFile(file);
  const end = bytes.includes(0) ? bytes.indexOf(0) : bytes.length;
  const stray = bytes.subarray(end).findIndex((byte) => byte !== 0);
  if (stray >= 0) throw new Error(`${file}: byte ${end + stray} is past the records' end (${end}) and not a zero`);
  return bytes.subarray(0, end).toString('utf8');
}
