// btoa/atob work on bytes as Latin-1 characters; go through UTF-8 so any text survives.

/** `bytes` base64-encoded. @example bytesToBase64(new Uint8Array([0xff])); // '/w==' */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The bytes in `base64`; throws on anything that is not base64. @example base64ToBytes('/w=='); // Uint8Array [255] */
export function base64ToBytes(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** `text` as UTF-8, base64-encoded. @example toBase64('kůň'); // 'a8WvxYg=' */
export function toBase64(text: string): string {
  return bytesToBase64(new TextEncoder().encode(text));
}

/** The UTF-8 text in `base64`; throws on anything that is not base64. @example fromBase64('a8WvxYg='); // 'kůň' */
export function fromBase64(base64: string): string {
  return new TextDecoder().decode(base64ToBytes(base64));
}
