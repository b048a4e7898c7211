/**
 * The value JSON.stringify would see, as values instead of text: every `toJSON` applied, so a
 * structured clone (IndexedDB) stores what a JSON adapter would. Walks the value once.
 */
export function jsonCompatible(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const own = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof own === 'function') return jsonCompatible(own.call(value));
  if (Array.isArray(value)) return value.map(jsonCompatible);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = jsonCompatible((value as Record<string, unknown>)[key]);
  return out;
}
