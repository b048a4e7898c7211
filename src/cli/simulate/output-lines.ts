import { StringDecoder } from 'node:string_decoder';

/** Past this, a line that has not ended is handed over as it is, so that memory stays bounded. */
const MAX_LINE_CHARS = 65_536;

/**
 * Cuts a stream's chunks into lines and hands each complete one to `onLine`, without its ending.
 * A line ends at `\n` or at `\r`, so that a progress line redrawn in place counts as a line too.
 * Characters split across chunks are decoded whole (UTF-8).
 *
 * @example
 * const split = outputLines((line) => line.includes('done') && console.log('seen'));
 * child.stdout.on('data', (chunk) => split(chunk));
 */
export function outputLines(onLine: (line: string) => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  return (chunk) => {
    const lines = (partial + decoder.write(chunk)).split(/\r\n|\n|\r/);
    partial = lines.pop()!;
    for (const line of lines) onLine(line);
    if (partial.length > MAX_LINE_CHARS) {
      onLine(partial);
      partial = '';
    }
  };
}
