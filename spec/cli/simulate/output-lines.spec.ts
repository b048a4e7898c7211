import { outputLines } from '../../../src/cli/simulate/output-lines.js';

const linesOf = (chunks: Array<string | Buffer>): string[] => {
  const lines: string[] = [];
  const split = outputLines((line) => lines.push(line));
  for (const chunk of chunks) split(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return lines;
};

describe("outputLines: the lines of a job's output, as the simulator looks for a text in them", () => {
  test('a line is handed over once it ends, however the chunks cut it; \\n, \\r\\n and \\r all end a line', () => {
    expect(linesOf(['job co', 'unt 1\njob count 2\r\nprogress 10', '/20\rprogress 20/20\rpartial'])).toEqual([
      'job count 1',
      'job count 2',
      'progress 10/20',
      'progress 20/20',
    ]);
  });

  test('a character cut between two chunks is decoded whole', () => {
    const bytes = Buffer.from('offer № 5\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the three bytes of №
    expect(linesOf([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['offer № 5']);
  });

  test('a line that never ends is handed over in pieces of 64 KiB, so memory stays bounded', () => {
    const lines = linesOf(Array.from({ length: 20 }, () => 'x'.repeat(10_000)));
    expect(lines.length).toBe(2);
    expect(lines.every((line) => line.length > 65_536 && line.length <= 75_536)).toBe(true);
  });
});
