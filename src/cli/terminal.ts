import { escapeControls } from '../text/escape-controls.js';

/**
 * The one way the command prints its own text: a line on stdout or stderr with every control
 * character but the newline escaped, so a stored state, a file name or an argument holding
 * terminal escapes (ESC, CSI U+009B, BEL, bidi overrides) is shown, never obeyed. `oneLine`
 * escapes the newline too (an error is one line).
 *
 * @example printLine('stdout', formatInspection(found));
 */
export function printLine(stream: 'stdout' | 'stderr', text: string, { oneLine = false } = {}): void {
  process[stream].write(`${escapeControls(text, oneLine ? '' : '\n')}\n`);
}
