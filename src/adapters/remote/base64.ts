// btoa/atob work on bytes as Latin-1 characters; go through UTF-8 so any text survives.

/**
 * Node's Buffer, where there is one: Node 20's btoa and atob are written in JavaScript and took
 * ~150 ms per MB, so an etcd key of 200,000 entries (12 MB of base64) spent seconds in them on
 * every compaction and open. Browsers' are native. Looked up at each call: a lookup at load
 * would keep this module in every page's bundle, used or not.
 */
const nodeBuffer = () =>
  (
    globalThis as {
      Buffer?: {
        from(data: ArrayBufferLike | string, offsetOrEncoding?: number | string, length?: number): Uint8Array & { toString(encoding: string): string };
      };
    }
  ).Buffer;
const NOT_BASE64 = /[^A-Za-z0-9+/]/;

/**
 * Base64 as atob takes it (padding optional, no whitespace, which JSON answers do not carry).
 * One scan for a stray character: a regular expression over the whole shape backtracked for
 * ~200 ms per MB.
 */
function isBase64(text: string): boolean {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const body = padding === 0 ? text : text.slice(0, -padding);
  if (body.length % 4 === 1 || (padding > 0 && text.length % 4 !== 0)) return false;
  return !NOT_BASE64.test(body);
}

/** `bytes` base64-encoded. @example bytesToBase64(new Uint8Array([0xff])); // '/w==' */
export function bytesToBase64(bytes: Uint8Array): string {
  const NodeBuffer = nodeBuffer();
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  // By slices: one character at a time took ~0.5 s per MB.
  const parts: string[] = [];
  for (let at = 0; at < bytes.length; at += BINARY_SLICE) parts.push(String.fromCharCode(...bytes.subarray(at, at + BINARY_SLICE)));
  return btoa(parts.join(''));
}

/** Bytes turned into characters at once: below the engines' limit on arguments of a call. */
const BINARY_SLICE = 0x2000;

/** The bytes in `base64`; throws on anything that is not base64. @example base64ToBytes('/w=='); // Uint8Array [255] */
export function base64ToBytes(base64: string): Uint8Array {
  // Node's decoder skips what is not base64: checked first, as atob does.
  const NodeBuffer = nodeBuffer();
  if (NodeBuffer && isBase64(base64)) return new Uint8Array(NodeBuffer.from(base64, 'base64'));
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** `text` as UTF-8, base64-encoded. @example toBase64('kůň'); // 'a8WvxYg=' */
export function toBase64(text: string): string {
  return bytesToBase64(new TextEncoder().encode(text));
}

/** The UTF-8 text in `base64`; throws on anything that is not base64. @example fromBase64('a8WvxYg='); // 'kůň' */
export function fromBase64(base64: string): string {
  return new TextDecoder().decode(base64ToBytes(base64));
}
