/** Containers this shallow are written part by part; deeper ones by one native JSON.stringify each. */
const SLICED_DEPTH = 6;
/** Longest stretch of work between two yields to the event loop. */
const SLICE_MS = 10;
/** Lists longer than this (a KeyedMap's entries) are written this many items at a time, natively. */
const LONG_LIST = 256;

/**
 * JSON.stringify, giving the event loop a turn every 10 ms or so: a 1,000,000-entry state takes
 * about a second to serialise, which would stall timers, sockets and the platform's events for
 * that long. Walks the first levels itself and leaves every deeper value, and every run of a
 * long list, to the native serialiser, so the cost stays close to the native one. Same output
 * as JSON.stringify for the values a store holds (plain JSON, objects with `toJSON`).
 */
export async function stringifyInSlices(value: unknown): Promise<string> {
  const parts: string[] = [];
  let sliceStart = Date.now();
  const pause = async (): Promise<void> => {
    if (Date.now() - sliceStart < SLICE_MS) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    sliceStart = Date.now();
  };
  const write = async (item: unknown, depth: number): Promise<void> => {
    if (typeof item === 'object' && item !== null && typeof (item as { toJSON?: unknown }).toJSON === 'function') {
      item = (item as { toJSON: () => unknown }).toJSON();
    }
    if (typeof item !== 'object' || item === null || depth >= SLICED_DEPTH) {
      parts.push(JSON.stringify(item) ?? 'null');
      return pause();
    }
    if (Array.isArray(item)) {
      parts.push('[');
      let i = 0;
      // Item by item, the walk would cost more than the text itself; but a run that took longer
      // than a slice (its items are big) leaves the rest of the list to the walk.
      for (let quick = true; quick && item.length - i > LONG_LIST;) {
        const started = Date.now();
        parts.push(i > 0 ? ',' : '', JSON.stringify(item.slice(i, i + LONG_LIST)).slice(1, -1));
        i += LONG_LIST;
        quick = Date.now() - started < SLICE_MS;
        await pause();
      }
      for (; i < item.length; i++) {
        if (i > 0) parts.push(',');
        await write(item[i], depth + 1);
      }
      parts.push(']');
      return;
    }
    parts.push('{');
    let first = true;
    for (const key of Object.keys(item)) {
      const child = (item as Record<string, unknown>)[key];
      if (child === undefined || typeof child === 'function' || typeof child === 'symbol') continue;
      parts.push(first ? '' : ',', JSON.stringify(key), ':');
      first = false;
      await write(child, depth + 1);
    }
    parts.push('}');
  };
  await write(value, 0);
  return parts.join('');
}
