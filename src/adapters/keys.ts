import { InvalidKeyError } from '../errors.js';
import { LOG_MARK } from './log/log-names.js';

/** The Apify key-value store's rule; every adapter accepts exactly these keys. */
const KEY_CHARS = /^[a-zA-Z0-9!\-_.'()]*$/;
export const MAX_KEY_LENGTH = 256;

/**
 * Throws `InvalidKeyError` unless `key` is a valid store key: 1–256 characters from
 * letters, digits and `!-_.'()`, not `.` or `..` (which a file system would read as folders), and
 * without `(rxps)`, which names a key's own records on remote backends.
 *
 * @example assertValidKey('CRAWL_STATE'); // ok
 * @example assertValidKey('../etc/passwd'); // throws InvalidKeyError
 */
export function assertValidKey(key: unknown): asserts key is string {
  assertValidRecordKey(key);
  if (key.includes(LOG_MARK)) throw new InvalidKeyError(key, `"${LOG_MARK}" is reserved: it names the records a key keeps beside it`);
}

/**
 * Throws `InvalidKeyError` unless `key` is a record key the Apify key-value store takes, and not
 * `.` or `..`: the names of a key's own records (`KEY(rxps)…`) included. For what stores records
 * on a key's behalf (the simulator's emulated API), not for store keys.
 */
export function assertValidRecordKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new InvalidKeyError(key, 'a key must be a string');
  if (key.length === 0) throw new InvalidKeyError(key, 'a key must not be empty');
  if (key.length > MAX_KEY_LENGTH) throw new InvalidKeyError(key, `a key has at most ${MAX_KEY_LENGTH} characters, this one has ${key.length}`);
  if (!KEY_CHARS.test(key)) {
    const bad = [...key].find((c) => !KEY_CHARS.test(c)) ?? '';
    throw new InvalidKeyError(key, `character ${JSON.stringify(bad)} at position ${key.indexOf(bad)} is not allowed (use letters, digits and !-_.'())`);
  }
  if (key === '.' || key === '..') throw new InvalidKeyError(key, 'a key must not be "." or ".."');
}
