import fc from 'fast-check';
import { Subject } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import type { PlatformEvent } from '../../src/events/event-types.js';
import { createPersistentStore, type PersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface State {
  n: number;
  list: Json[];
  obj: Record<string, Json>;
  map: KeyedMap<Json>;
}

const json: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 6 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 3 }),
  ),
})).value;
const key = fc.oneof(fc.constantFrom('a', 'b', 'x.y', ''), fc.integer({ min: 0, max: 80 }).map(String));
// Assigning `__proto__` on a plain object sets its prototype (JavaScript, not us); a KeyedMap takes any key.
const mapKey = fc.oneof(key, fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty'));

type Command =
  | { do: 'inc' }
  | { do: 'push' | 'unshift'; value: Json }
  | { do: 'pop' | 'shift' }
  | { do: 'setItem'; at: number; value: Json }
  | { do: 'setProp' | 'mapSet'; key: string; value: Json }
  | { do: 'deleteProp' | 'mapDelete'; key: string }
  | { do: 'mapClear' | 'flush' | 'migrating' | 'reopen' }
  | { do: 'replaceMap'; entries: Array<[string, Json]> }
  | { do: 'replaceAll'; n: number }
  | { do: 'mapBulk'; count: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.constant({ do: 'inc' as const }),
  fc.record({ do: fc.constantFrom('push' as const, 'unshift' as const), value: json }),
  fc.record({ do: fc.constantFrom('pop' as const, 'shift' as const) }),
  fc.record({ do: fc.constant('setItem' as const), at: fc.nat(5), value: json }),
  fc.record({ do: fc.constant('setProp' as const), key, value: json }),
  fc.record({ do: fc.constant('mapSet' as const), key: mapKey, value: json }),
  fc.record({ do: fc.constant('deleteProp' as const), key }),
  fc.record({ do: fc.constant('mapDelete' as const), key: mapKey }),
  fc.record({ do: fc.constantFrom('mapClear' as const, 'flush' as const, 'migrating' as const, 'reopen' as const) }),
  fc.record({ do: fc.constant('flush' as const) }),
  fc.record({ do: fc.constant('replaceMap' as const), entries: fc.array(fc.tuple(mapKey, json), { maxLength: 4 }) }),
  fc.record({ do: fc.constant('replaceAll' as const), n: fc.integer() }),
  fc.record({ do: fc.constant('mapBulk' as const), count: fc.integer({ min: 1, max: 200 }) }),
);

/** The state as plain data, maps as sorted entry lists, for comparison. */
function plain(state: State): unknown {
  return { ...state, map: [...state.map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
}

function apply(store: PersistentStore<State>, c: Command, step: number): void {
  store.update((s) => {
    switch (c.do) {
      case 'inc':
        s.n++;
        break;
      case 'push':
        s.list.push(c.value);
        break;
      case 'unshift':
        s.list.unshift(c.value);
        break;
      case 'pop':
        s.list.pop();
        break;
      case 'shift':
        s.list.shift();
        break;
      case 'setItem':
        if (c.at < s.list.length) s.list[c.at] = c.value;
        break;
      case 'setProp':
        s.obj[c.key] = c.value;
        break;
      case 'deleteProp':
        delete s.obj[c.key];
        break;
      case 'mapSet':
        s.map.set(c.key, c.value);
        break;
      case 'mapDelete':
        s.map.delete(c.key);
        break;
      case 'mapClear':
        s.map.clear();
        break;
      case 'mapBulk':
        for (let i = 0; i < c.count; i++) s.map.set(`bulk-${step}-${i}`, i);
        break;
      case 'replaceMap':
        s.map = new KeyedMap(c.entries) as never;
        break;
      case 'replaceAll':
        return { n: c.n, list: [...s.list], obj: { ...s.obj }, map: new KeyedMap(s.map.entries()) } as never;
    }
    return undefined;
  });
}

describe('journal replay', () => {
  test('reopening after any sequence of updates, flushes, compactions and restarts restores exactly the live state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), async (commands) => {
        const records = new Map<string, string>();
        const events = new Subject<PlatformEvent>();
        const open = () =>
          createPersistentStore<State>({ key: 'P', initial: { n: 0, list: [], obj: {}, map: new KeyedMap() }, adapter: memoryAdapter({ records }), events });
        let store = await open();
        for (const [step, c] of commands.entries()) {
          if (c.do === 'flush') await store.flush();
          else if (c.do === 'migrating') {
            events.next({ name: 'migrating', data: {} });
            await store.flush();
          } else if (c.do === 'reopen') {
            const live = plain(store.getState());
            await store.close();
            store = await open();
            expect(plain(store.getState())).toEqual(live);
          } else apply(store, c, step);
        }
        const live = plain(store.getState());
        await store.close();
        const reopened = await open();
        expect(plain(reopened.getState())).toEqual(live);
        await reopened.close();
      }),
      { numRuns: 150 },
    );
  });
});
