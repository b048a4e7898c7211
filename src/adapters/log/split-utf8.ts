/** Cuts `text` into pieces of at most `maxBytes` bytes of UTF-8 each, never inside a character. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const bytes = new TextEncoder().encode(text);
  const decoder = new TextDecoder();
  const pieces: string[] = [];
  for (let start = 0; start < bytes.length;) {
    let end = Math.min(bytes.length, start + maxBytes);
    // Back off continuation bytes (10xxxxxx): a cut there would split a character.
    while (end < bytes.length && end > start && (bytes[end]! & 0xc0) === 0x80) end--;
    if (end === start) throw new RangeError(`a record limit of ${maxBytes} bytes cannot hold one character`);
    pieces.push(decoder.decode(bytes.subarray(start, end)));
    start = end;
  }
  return pieces;
}
