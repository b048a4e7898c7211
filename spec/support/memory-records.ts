import { ConflictError } from '../../src/errors.js';
import type { RecordStore, StoredRecord } from '../../src/adapters/log/record-store.js';

/**
 * A RecordStore in a Map, for the log adapter's own specs: versions count puts, `atomicCreate`
 * chooses between the shared and the exclusive protocol, and `faults` makes a chosen request
 * fail before it lands (a crash) or after (a lost answer).
 */
export function memoryRecords({ atomicCreate = true, maxRecordBytes = 1024 } = {}) {
  const map = new Map<string, { text: string; v: number }>();
  const log: string[] = [];
  let counter = 0;
  /** Called before each request; may throw ('before') or mark the request to throw after landing ('after'). */
  let fault: ((op: string, name: string) => 'before' | 'after' | undefined) | undefined;
  const run = <T>(op: string, name: string, action: () => T): T => {
    log.push(`${op} ${name}`);
    const when = fault?.(op, name);
    if (when === 'before') throw new Error(`injected: ${op} ${name} never landed`);
    const result = action();
    if (when === 'after') throw new Error(`injected: the answer to ${op} ${name} was lost`);
    return result;
  };
  const get = (name: string): StoredRecord | undefined => {
    const found = map.get(name);
    return found && { text: found.text, version: String(found.v) };
  };
  const records: RecordStore = {
    name: 'memory-records',
    locate: (name) => `memory-records:${name}`,
    maxRecordBytes,
    atomicCreate,
    async get(name) {
      return run('get', name, () => get(name));
    },
    async put(name, text, expected) {
      return run('put', name, () => {
        const current = map.get(name);
        if (atomicCreate && expected !== undefined && (expected === null ? current !== undefined : String(current?.v) !== expected))
          throw new ConflictError(name, name);
        const v = ++counter;
        map.set(name, { text, v });
        return String(v);
      });
    },
    async delete(name) {
      run('delete', name, () => map.delete(name));
    },
    async list(prefix) {
      return run('list', prefix, () => [...map].filter(([name]) => name.startsWith(prefix)).map(([name]) => ({ name })));
    },
  };
  return {
    records,
    map,
    log,
    text: (name: string) => map.get(name)?.text,
    set: (name: string, text: string) => void map.set(name, { text, v: ++counter }),
    failWhen(decide: typeof fault) {
      fault = decide;
    },
  };
}
