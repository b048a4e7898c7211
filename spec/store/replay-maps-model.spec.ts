import fc from 'fast-check';
import { EMPTY } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { createPersistentStore, type PersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';

// Review of the in-place replay (issue 19): maps where journal-replay.spec.ts has none: in a list
// (moved by unshift, shift, swaps), nested, turned into a plain value and back, moved to another
// path within one update, held at two paths, changed in the update that made them. Every state
// handed out must stay as it was, and a reopen must give the live state.

type Value = number | string | null | { v: number };
type Slot = KeyedMap<Value> | number | null;
interface State {
  a: KeyedMap<Value>;
  list: Slot[];
  nested: { inner: Slot };
}

const key = fc.oneof(
  fc.constantFrom('a', 'b', '', '__proto__'),
  fc.integer({ min: 0, max: 60 }).map((i) => `k${i}`),
);
const value: fc.Arbitrary<Value> = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 3 }),
  fc.constant(null),
  fc.integer().map((v) => ({ v })),
);
const entries = fc.array(fc.tuple(key, value), { maxLength: 40 });
const target = fc.oneof(fc.constant('a' as const), fc.constant('inner' as const), fc.nat(4));

type Command =
  | { do: 'set'; t: 'a' | 'inner' | number; key: string; value: Value }
  | { do: 'setThenDelete' | 'delete'; t: 'a' | 'inner' | number; key: string }
  | { do: 'clear'; t: 'a' | 'inner' | number }
  | { do: 'bulk'; t: 'a' | 'inner' | number; count: number }
  | { do: 'unshiftMap' | 'pushMap' | 'replaceA' | 'innerToMap' | 'newMapChanged'; entries: Array<[string, Value]> }
  | { do: 'shift' | 'pop' | 'flush' | 'reopen' | 'moveAToList' | 'shareA' | 'innerIntoList' }
  | { do: 'swap'; i: number; j: number }
  | { do: 'innerToPlain'; n: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ do: fc.constant('set' as const), t: target, key, value }) },
  { weight: 3, arbitrary: fc.record({ do: fc.constantFrom('setThenDelete' as const, 'delete' as const), t: target, key }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('clear' as const), t: target }) },
  { weight: 2, arbitrary: fc.record({ do: fc.constant('bulk' as const), t: target, count: fc.integer({ min: 1, max: 120 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      do: fc.constantFrom('unshiftMap' as const, 'pushMap' as const, 'replaceA' as const, 'innerToMap' as const, 'newMapChanged' as const),
      entries,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      do: fc.constantFrom(
        'shift' as const,
        'pop' as const,
        'flush' as const,
        'reopen' as const,
        'moveAToList' as const,
        'shareA' as const,
        'innerIntoList' as const,
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ do: fc.constant('swap' as const), i: fc.nat(4), j: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('innerToPlain' as const), n: fc.integer() }) },
);

function plain(value: unknown): unknown {
  if (value instanceof KeyedMap) return { $map: [...value.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, plain(v)]) };
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function mapAt(s: State, t: 'a' | 'inner' | number): KeyedMap<Value> | undefined {
  const found = t === 'a' ? s.a : t === 'inner' ? s.nested.inner : s.list[t];
  return found instanceof KeyedMap ? found : undefined;
}

function apply(store: PersistentStore<State>, c: Command, step: number): void {
  store.update((draft) => {
    const s = draft as unknown as State; // a draft takes a new KeyedMap where the types want its draft
    switch (c.do) {
      case 'set':
        mapAt(s, c.t)?.set(c.key, c.value);
        break;
      case 'delete':
        mapAt(s, c.t)?.delete(c.key);
        break;
      case 'setThenDelete': {
        const map = mapAt(s, c.t);
        map?.set(c.key, 1);
        map?.delete(c.key);
        map?.delete(`absent-${step}`);
        break;
      }
      case 'clear':
        mapAt(s, c.t)?.clear();
        break;
      case 'bulk': {
        const map = mapAt(s, c.t);
        for (let i = 0; i < c.count; i++) map?.set(`b${step}-${i}`, i);
        break;
      }
      case 'unshiftMap':
        s.list.unshift(new KeyedMap(c.entries));
        break;
      case 'pushMap':
        s.list.push(new KeyedMap(c.entries));
        break;
      case 'replaceA':
        s.a = new KeyedMap(c.entries);
        break;
      case 'innerToMap':
        s.nested.inner = new KeyedMap(c.entries);
        break;
      case 'newMapChanged': {
        // Made, then changed, in one update; and an old map changed after it moved in the list.
        const made = new KeyedMap(c.entries);
        s.list.unshift(made);
        made.set('after', step); // a new value, not a draft: changed where it is
        const moved = s.list[1];
        if (moved instanceof KeyedMap) moved.set('moved', step);
        break;
      }
      case 'shift':
        s.list.shift();
        break;
      case 'pop':
        s.list.pop();
        break;
      case 'swap': {
        if (c.i < s.list.length && c.j < s.list.length) {
          const t = s.list[c.i]!;
          s.list[c.i] = s.list[c.j]!;
          s.list[c.j] = t;
          const m = s.list[c.i];
          if (m instanceof KeyedMap) m.set('swapped', step);
        }
        break;
      }
      case 'moveAToList': {
        const a = s.a;
        s.a = new KeyedMap();
        s.list.push(a);
        a.set('movedFromA', step);
        break;
      }
      case 'shareA':
        s.list.push(s.a);
        break;
      case 'innerIntoList': {
        const inner = s.nested.inner;
        s.nested.inner = null;
        s.list.unshift(inner);
        if (inner instanceof KeyedMap) inner.delete('a');
        break;
      }
      case 'innerToPlain':
        s.nested.inner = c.n;
        break;
      default:
        break;
    }
  });
}

describe('replay of maps on open, against the live state', () => {
  test('maps in lists, nested, moved, shared, replaced and turned into values: a reopen gives the live state, and no state handed out changes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 50 }), async (commands) => {
        const records = new Map<string, string>();
        const open = () =>
          createPersistentStore<State>({
            key: 'M',
            initial: { a: new KeyedMap(), list: [], nested: { inner: new KeyedMap() } },
            adapter: memoryAdapter({ records }),
            events: EMPTY,
          });
        let store = await open();
        const handedOut: Array<[State, unknown]> = [];
        const keep = () => handedOut.push([store.getState(), plain(store.getState())]);
        keep();
        for (const [step, c] of commands.entries()) {
          if (c.do === 'flush') await store.flush();
          else if (c.do === 'reopen') {
            const live = plain(store.getState());
            await store.close();
            store = await open();
            expect(plain(store.getState())).toEqual(live);
          } else apply(store, c, step);
          keep();
        }
        const live = plain(store.getState());
        await store.close();
        const reopened = await open();
        expect(plain(reopened.getState())).toEqual(live);
        // Another open on the same records, in this process, while the first is still open.
        await reopened.close();
        const third = await open();
        expect(plain(third.getState())).toEqual(live);
        for (const [state, seen] of handedOut) expect(plain(state)).toEqual(seen);
        await third.close();
      }),
      { numRuns: Number(process.env.RUNS ?? 150), seed: Number(process.env.SEED ?? 19) },
    );
  }, 120_000);
});

describe('a map read from a snapshot', () => {
  test('has its object values frozen, as set() and a replayed journal freeze them: changing one outside update() throws', async () => {
    const records = new Map<string, string>();
    const open = () =>
      createPersistentStore<{ a: KeyedMap<{ v: number; list: number[] }> }>({
        key: 'F',
        initial: { a: new KeyedMap() },
        adapter: memoryAdapter({ records }),
        events: EMPTY,
      });
    const first = await open();
    first.update((s) => void s.a.set('snap', { v: 1, list: [1] }));
    await first.close(); // the value is in the snapshot now
    expect(records.get('F#journal')).toBeUndefined();
    const second = await open();
    const value = second.getState().a.get('snap')!;
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.list)).toBe(true);
    expect(() => {
      value.v = 99;
    }).toThrow(TypeError);
    await second.close();
  });
});
