// btoa/atob work on bytes as Latin-1 characters; go through UTF-8 so any text survives.

/** `text` as UTF-8, base64-encoded. @example toBase64('kůň'); // 'a8WvxYg=' */
export function toBase64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The UTF-8 text in `base64`; throws on anything that is not base64. @example fromBase64('a8WvxYg='); // 'kůň' */
export function fromBase64(base64: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}
