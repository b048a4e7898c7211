import { toBase64 } from './base64.js';

/** A hex number matching either case: `2f` → `2[fF]`. */
const anyCase = (hex: string): string => hex.replace(/[a-f]/gi, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
/** HTML's named entities for the characters servers escape (htmlspecialchars and the like). */
const NAMED: Record<string, string[]> = { '&': ['&amp;'], '<': ['&lt;'], '>': ['&gt;'], '"': ['&quot;'], "'": ['&apos;'] };
/** JSON's short escapes (and PHP's `\/`). */
const JSON_SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Every way one character may be echoed: as is, percent-encoded (either case), as an HTML entity, JSON-escaped, `+` for a space. */
function characterForms(char: string): string {
  const code = char.codePointAt(0)!;
  const forms = [escapeRegExp(char)];
  forms.push([...new TextEncoder().encode(char)].map((byte) => `%${anyCase(byte.toString(16).padStart(2, '0'))}`).join(''));
  forms.push(`&#0*${code};`, `&#[xX]0*${anyCase(code.toString(16))};`, ...(NAMED[char] ?? []).map(escapeRegExp));
  const units = char.length === 1 ? [code] : [char.charCodeAt(0), char.charCodeAt(1)];
  forms.push(units.map((unit) => `\\\\u${anyCase(unit.toString(16).padStart(4, '0'))}`).join(''));
  if (JSON_SHORT[char] !== undefined) forms.push(escapeRegExp(JSON_SHORT[char]!));
  if (char === ' ') forms.push('\\+');
  return `(?:${forms.join('|')})`;
}

/**
 * The regular expression source matching `secret` in any form a server may echo it in: as is,
 * percent-encoded (upper or lower case hex, `+` for a space), HTML entities (`&#47;`, `&#x2F;`,
 * `&amp;`), JSON-escaped (`\"`, `\u00fc`, PHP's `\/`), or any mix of these, character by
 * character.
 *
 * @example new RegExp(secretPattern('a/b')).test('a&#x2f;b'); // true
 */
export function secretPattern(secret: string): string {
  return [...secret].map((char) => (/[a-z0-9]/i.test(char) ? char : characterForms(char))).join('');
}

/**
 * The base64 forms a secret may be echoed in (a server showing the Authorization it got, a
 * refused Location carrying it): base64 of the secret, padded and unpadded (when the unpadded
 * form is long enough not to be matched by chance), and its URL-safe variant.
 *
 * @example base64Forms('s3cr3t-word'); // ['czNjcjN0LXdvcmQ=', 'czNjcjN0LXdvcmQ']
 */
export function base64Forms(secret: string): string[] {
  const padded = toBase64(secret);
  const bare = padded.replace(/=+$/, '');
  const urlSafe = bare.replace(/\+/g, '-').replace(/\//g, '_');
  return [...new Set([padded, ...(bare.length >= 8 ? [bare, urlSafe] : [])])];
}
