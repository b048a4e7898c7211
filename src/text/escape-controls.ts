/**
 * Characters a terminal acts on instead of showing: C0 controls, DEL, C1 controls (U+009B is a
 * one-byte CSI), and the bidirectional marks and overrides that reorder what is shown.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every control character written as a `\uXXXX` escape, so that stored or received
 * text shown on a terminal or in a log can neither move the cursor, recolour, retitle nor reorder
 * it. The characters in `keep` (e.g. `'\n'`) are left as they are.
 *
 * @example escapeControls('a\u001b[2Jb\n', '\n'); // 'a\\u001b[2Jb\n'
 */
export function escapeControls(text: string, keep = ''): string {
  return text.replace(CONTROLS, (c) => (keep.includes(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
