// How an input or an error is printed in the scenario's log.

export const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return `a thrown ${typeof error}: ${String(error).slice(0, 100)}`;
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` (${code})` : ''}: ${(error.message.split('\n')[0] ?? '').slice(0, 220)}`;
};

/** Short printable rendering of an input (strings cut, deep values summarised). */
export function show(value: unknown, max = 400): string {
  const seen = new WeakSet<object>();
  let text: string;
  try {
    text =
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === 'bigint') return `${v}n`;
        if (typeof v === 'string' && v.length > 80) return `${v.slice(0, 40)}…(${v.length} chars)`;
        if (typeof v === 'function') return 'a function';
        if (typeof v === 'symbol') return String(v);
        if (v === undefined) return 'undefined';
        if (typeof v === 'object' && v !== null) {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
          if (v instanceof Uint8Array) return `bytes(${v.length})`;
        }
        return v;
      }) ?? String(value);
  } catch (error) {
    text = `(unprintable: ${describeError(error)})`;
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) ?? 'undefined';
  } catch {
    return String(value);
  }
}
