import { enableMapSet } from 'immer';
import { EMPTY } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { UnserializableStateError } from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { KeyedMap } from '../../src/store/keyed-map.js';

type State = { done: number; data: Record<string, unknown>; list: unknown[]; seen: KeyedMap<unknown> };
const open = () =>
  createPersistentStore<State>({ key: 'K', initial: { done: 0, data: {}, list: [], seen: new KeyedMap() }, adapter: memoryAdapter(), events: EMPTY });

const MAP_HINT = 'use KeyedMap, a string-keyed map whose changes cost the same at any size';
const SET_HINT = 'use KeyedMap<true> (set(key, true), has(key)) or an array';

/** What `store.update(recipe)` throws, as the user sees it; the state must be left as it was. */
async function refusal(recipe: (draft: State) => void | State): Promise<UnserializableStateError> {
  const store = await open();
  const before = store.getState();
  let thrown: unknown;
  try {
    store.update(recipe as never);
  } catch (error) {
    thrown = error;
  }
  expect(store.getState()).toBe(before);
  expect(store.getStatus().pending).toBe(0);
  await store.close();
  expect(thrown).toBeInstanceOf(UnserializableStateError);
  return thrown as UnserializableStateError;
}

describe('a Map or a Set in the state: refused by update(), pointing to KeyedMap', () => {
  test.each([
    [
      'a Set as a field',
      (s: State) => void (s.data.seen = new Set(['https://a'])),
      'data.seen',
      `a Set object at data.seen: the state must be plain JSON; ${SET_HINT}`,
    ],
    [
      'a Map as a field',
      (s: State) => void (s.data.byUrl = new Map([['https://a', 1]])),
      'data.byUrl',
      `a Map object at data.byUrl: the state must be plain JSON; ${MAP_HINT}`,
    ],
    ['a Set in an array', (s: State) => void s.list.push(new Set()), 'list[0]', `a Set object at list[0]`],
    // A KeyedMap checks its values itself and knows only the entry's key, not where the map is.
    ['a Map as a KeyedMap value', (s: State) => void s.seen.set('u', new Map()), 'u', `a Map object at u`],
    ['a new state holding a Set', (s: State) => ({ ...s, data: { s: new Set() } }), 'data.s', `a Set object at data.s`],
  ])('%s', async (_name, recipe, path, text) => {
    const error = await refusal(recipe);
    expect(error.code).toBe('UNSERIALIZABLE_STATE');
    expect(error.path).toBe(path);
    expect(error.message).toContain(`Cannot store ${text}`);
    expect(error.message).toContain(text.startsWith('a Map') ? MAP_HINT : SET_HINT);
    expect(error.message).toMatch(/The update was not applied\.$/);
  });

  test('other class instances get no hint: a Date is named, nothing suggested', async () => {
    const error = await refusal((s) => void (s.data.at = new Date()));
    expect(error.message).toBe('Cannot store a Date object at data.at: the state must be plain JSON. The update was not applied.');
  });

  test('an initial state holding a Set is refused at open with the same hint', async () => {
    const error = await createPersistentStore({ key: 'K', initial: { seen: new Set<string>() }, adapter: memoryAdapter(), events: EMPTY }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnserializableStateError);
    expect((error as Error).message).toContain(`a Set object at seen: the state must be plain JSON; ${SET_HINT}`);
  });

  // Last: enableMapSet() changes immer for the rest of this file. Redux Toolkit and others turn it
  // on; immer then drafts Maps and Sets, and must still not get in first with its own error.
  test("with immer's enableMapSet() on, the message is still ours", async () => {
    enableMapSet();
    expect((await refusal((s) => void (s.data.seen = new Set(['a'])))).message).toContain(SET_HINT);
    expect((await refusal((s) => void (s.data.byUrl = new Map()))).message).toContain(MAP_HINT);
  });
});
