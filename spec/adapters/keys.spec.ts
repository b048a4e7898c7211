import { assertValidKey } from '../../src/adapters/keys.js';
import { InvalidKeyError } from '../../src/errors.js';

describe('assertValidKey', () => {
  test.each(['CRAWL_STATE', 'a', "x!-_.'()y", '...', 'k'.repeat(256), 'INPUT.json'])('accepts %p', (key) => {
    expect(() => assertValidKey(key)).not.toThrow();
  });

  test.each([
    ['', /must not be empty/],
    ['k'.repeat(257), /at most 256 characters, this one has 257/],
    ['../etc/passwd', /character "\/" at position 2/],
    ['a\\b', /character "\\\\" at position 1/],
    ['.', /must not be "\." or "\.\."/],
    ['..', /must not be "\." or "\.\."/],
    ['naïve', /character "ï" at position 2/],
    ['with space', /character " "/],
    ['nul\u0000', /character "\\u0000"/],
    [42, /must be a string/],
    [undefined, /must be a string/],
  ])('refuses %p', (key, message) => {
    expect(() => assertValidKey(key)).toThrow(InvalidKeyError);
    expect(() => assertValidKey(key)).toThrow(message);
  });
});
