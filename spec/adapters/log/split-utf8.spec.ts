import { splitUtf8 } from '../../../src/adapters/log/split-utf8.js';

test('splitUtf8 never cuts a character and fills each piece', () => {
  const text = 'a€😀'.repeat(100);
  const pieces = splitUtf8(text, 10);
  expect(pieces.join('')).toBe(text);
  for (const piece of pieces) expect(new TextEncoder().encode(piece).length).toBeLessThanOrEqual(10);
});
