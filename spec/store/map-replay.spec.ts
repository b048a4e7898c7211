import fc from 'fast-check';
import { applyJournalOps, type JournalOp } from '../../src/store/journal-ops.js';
import { KeyedMap, ROOT, createMapReplay, type MapChange } from '../../src/store/keyed-map.js';
import { reviveMaps } from '../../src/store/revive.js';

// A journal as the store writes it, replayed two ways on one snapshot: one new version of a map
// per change (applyMapChanges, as before), and all of a map's changes in one edit (createMapReplay).

const mapKey = fc.oneof(
  fc.constantFrom('a', 'b', '', '__proto__', 'constructor'),
  fc.integer({ min: 0, max: 400 }).map((i) => `k${i}`),
);
const value = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 2 }), fc.integer(), { maxKeys: 2 }),
);
const change: fc.Arbitrary<MapChange> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(fc.constant('set' as const), mapKey, value) },
  { weight: 6, arbitrary: fc.tuple(fc.constant('delete' as const), mapKey) },
  { weight: 1, arbitrary: fc.constant(['clear'] as const) },
);
const mapPath = fc.constantFrom(['big'], ['nested', 'small']);
const op: fc.Arbitrary<JournalOp> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ op: fc.constant('map' as const), path: mapPath, changes: fc.array(change, { minLength: 1, maxLength: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('replace' as const), path: fc.constant(['n']), value: fc.integer() }) },
  // A map replaced whole (its stored form, as the journal holds it), then changed again.
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('replace' as const),
      path: mapPath,
      value: fc.array(fc.tuple(mapKey, fc.integer()), { maxLength: 50 }).map((pairs) => {
        const entries = [...new Map(pairs)];
        return { $rxpsMap: 1, size: entries.length, entries };
      }),
    }),
  },
);
const records = fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 60 });

/** A stored snapshot, as parsed: a map big enough to branch, and a small one. `made` hears of the maps made from it. */
function snapshot(made?: (map: KeyedMap) => void): unknown {
  const big = new KeyedMap<number>();
  for (let i = 0; i < 300; i++) big.set(`k${i}`, i);
  return reviveMaps(JSON.parse(JSON.stringify({ n: 0, big, nested: { small: new KeyedMap([['a', 1]]) } })), made);
}

/** The state with each map as its trie (its shape, so its order too), its size and its entries. */
function shape(state: unknown): unknown {
  if (state instanceof KeyedMap) return { node: state[ROOT].node, size: state.size, entries: [...state.entries()] };
  if (typeof state !== 'object' || state === null) return state;
  return Object.fromEntries(Object.entries(state).map(([key, v]) => [key, shape(v)]));
}

/**
 * Replays `journal` one record at a time: 'each' as before (a new version of a map per change),
 * 'copying' through createMapReplay on maps it did not make (copied where first changed),
 * 'inPlace' on maps made from the parsed text (changed where they are, as on open). Returns the
 * state, or the message of the error that stopped it.
 */
function replay(journal: readonly (readonly JournalOp[])[], way: 'each' | 'copying' | 'inPlace'): unknown {
  // Each way gets its own copy of the records, as each open parses its own (1e999 parses as Infinity: kept).
  const copy = structuredClone(journal) as JournalOp[][];
  const maps = way === 'each' ? undefined : createMapReplay();
  let state = snapshot(way === 'inPlace' ? maps!.made : undefined);
  try {
    for (const ops of copy) state = applyJournalOps(state, ops, way === 'copying' ? { apply: maps!.apply, commit: maps!.commit, made: () => undefined } : maps);
  } catch (error) {
    return (error as Error).message;
  }
  maps?.commit();
  return shape(state);
}

describe('replaying a journal on open (createMapReplay)', () => {
  test('gives the very state applying each change as a new version of its map gives: same entries, same tries, same order', () => {
    fc.assert(
      fc.property(records, (journal) => {
        const each = replay(journal, 'each');
        expect(replay(journal, 'copying')).toEqual(each);
        expect(replay(journal, 'inPlace')).toEqual(each);
      }),
      { numRuns: 200 },
    );
    // An emptied map keeps its branches, and clear() on it changes nothing: neither may a replay.
    const keys = Array.from({ length: 40 }, (_, i) => `e${i}`);
    const emptied: JournalOp[][] = [
      [{ op: 'map', path: ['nested', 'small'], changes: keys.map((key) => ['set', key, 1] as const) }],
      [{ op: 'map', path: ['nested', 'small'], changes: [['delete', 'a'], ...keys.map((key) => ['delete', key] as const), ['clear']] }],
      [{ op: 'map', path: ['nested', 'small'], changes: keys.slice(0, 5).map((key) => ['set', key, 2] as const) }],
    ];
    expect(replay(emptied, 'copying')).toEqual(replay(emptied, 'each'));
    expect(replay(emptied, 'inPlace')).toEqual(replay(emptied, 'each'));
  });

  test('refuses what a map would refuse, with the same message', () => {
    // What JSON.parse gives for 1e999 in a record: Infinity.
    const huge = JSON.parse('1e999') as number;
    const cases: unknown[] = [['set', 7, true], ['set', 'k', huge], ['set', 'k', [1, [2, { deep: -huge }]]], ['set', 'k'], ['delete', null], null];
    for (const bad of cases) {
      const journal = [[{ op: 'map', path: ['big'], changes: [['set', 'fine', 1], bad] }]] as unknown as JournalOp[][];
      const message = replay(journal, 'each');
      expect(typeof message).toBe('string');
      expect(replay(journal, 'copying')).toBe(message);
      expect(replay(journal, 'inPlace')).toBe(message);
    }
  });

  test('on a map it did not make: shows the changes at commit, and leaves the version it started from as it was', () => {
    const state = snapshot() as { big: KeyedMap<number> };
    const before = state.big[ROOT];
    const entriesBefore = [...state.big.entries()];
    const maps = createMapReplay();
    applyJournalOps(
      state,
      [
        {
          op: 'map',
          path: ['big'],
          changes: [
            ['set', 'new', 1],
            ['delete', 'k0'],
            ['set', 'k1', 9],
          ],
        },
      ],
      maps,
    );
    expect(state.big[ROOT]).toBe(before);
    maps.commit();
    expect(state.big.get('new')).toBe(1);
    expect(state.big.has('k0')).toBe(false);
    expect(state.big.get('k1')).toBe(9);
    expect(state.big.size).toBe(300);
    expect([...new KeyedMap<number>().entries()]).toEqual([]);
    expect([...trieEntriesOf(before)]).toEqual(entriesBefore);
  });

  test('freezes object values deeply, as KeyedMap.set does', () => {
    const state = snapshot() as { big: KeyedMap<unknown> };
    const maps = createMapReplay();
    applyJournalOps(state, [{ op: 'map', path: ['big'], changes: [['set', 'obj', { list: [{ a: 1 }] }]] }], maps);
    maps.commit();
    const stored = state.big.get('obj') as { list: [{ a: number }] };
    expect(Object.isFrozen(stored) && Object.isFrozen(stored.list) && Object.isFrozen(stored.list[0])).toBe(true);
  });
});

function trieEntriesOf(root: KeyedMap[typeof ROOT]): Iterable<[string, unknown]> {
  const map = new KeyedMap();
  map[ROOT] = root;
  return map.entries();
}
