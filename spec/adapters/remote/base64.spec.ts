import { base64ToBytes, fromBase64, toBase64 } from '../../../src/adapters/remote/base64.js';

describe('base64', () => {
  test.each(['', 'a', 'kůň', '😀'.repeat(3), 'x'.repeat(100_001)])('round-trips %#', (text) => {
    expect(fromBase64(toBase64(text))).toBe(text);
    expect(fromBase64(toBase64(text).replace(/=+$/, ''))).toBe(text); // padding is optional, as for atob
  });

  test.each([
    ['a stray character', 'ab$d'],
    ['a length no base64 has', 'abcde'],
    ['padding inside', 'ab==cd=='],
    ['padding on a short text', 'abc=='],
  ])('refuses %s, as atob does', (_what, text) => {
    expect(() => base64ToBytes(text)).toThrow();
  });
});
