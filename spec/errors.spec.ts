import { runInNewContext } from 'node:vm';
import { asError, errorMessage } from '../src/errors.js';

describe('errorMessage / asError: anything thrown, as a message or an Error', () => {
  test('an Error gives its message, and is kept as it is', () => {
    const error = new TypeError('boom');
    expect(errorMessage(error)).toBe('boom');
    expect(asError(error)).toBe(error);
  });

  test("an Error of another realm (a vm context) gives its message, not the class's name with it", () => {
    const foreign: unknown = runInNewContext('new Error("from a vm")');
    expect(foreign instanceof Error).toBe(false);
    expect(errorMessage(foreign)).toBe('from a vm');
    expect(asError(foreign).message).toBe('from a vm');
  });

  test('anything else is written out', () => {
    expect(errorMessage('plain text')).toBe('plain text');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage(null)).toBe('null');
    expect(errorMessage({ code: 1 })).toBe('[object Object]');
    expect(asError(42)).toEqual(new Error('42'));
  });
});
