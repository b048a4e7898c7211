import { show } from './print.js';

// Global prototypes: a journal op must never reach them.

const PROTOTYPES: Array<[string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Number.prototype', Number.prototype],
];
const prototypeBaseline = PROTOTYPES.map(
  ([, proto]) => new Map(Reflect.ownKeys(proto).map((key) => [key, Object.getOwnPropertyDescriptor(proto, key)?.value as unknown])),
);

/** Names of properties added to or changed on the global prototypes since the start; puts them back. */
export function pollution(): string[] {
  const found: string[] = [];
  PROTOTYPES.forEach(([name, proto], i) => {
    const baseline = prototypeBaseline[i]!;
    for (const key of Reflect.ownKeys(proto)) {
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
      if (!baseline.has(key)) {
        found.push(`${name}.${String(key)} = ${show(value, 60)}`);
        delete (proto as Record<PropertyKey, unknown>)[key];
      } else if (baseline.get(key) !== value) {
        found.push(`${name}.${String(key)} replaced`);
        try {
          Object.defineProperty(proto, key, { value: baseline.get(key), writable: true, configurable: true, enumerable: false });
        } catch {
          (proto as Record<PropertyKey, unknown>)[key] = baseline.get(key); // Array.prototype.length: not configurable, but writable
        }
      }
    }
  });
  return found;
}
