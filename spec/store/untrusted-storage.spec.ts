// Stored bytes are input like any other: each case here was found by the torture suite's
// generated bad input (torture/scenarios/4-bad-input.ts).
import { EMPTY } from 'rxjs';
import { z } from 'zod';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { CorruptStateError, InvalidOptionError, InvalidStateError, UnserializableStateError } from '../../src/errors.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';

const envelope = (state: unknown, seq = 0) => JSON.stringify({ $rxps: 1, version: 0, savedAt: '2026-01-01T00:00:00.000Z', seq, state });
const journal = (...records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
const open = (records: Map<string, string>, extra: object = {}) =>
  createPersistentStore({ key: 'K', initial: { fresh: true } as Record<string, unknown>, adapter: memoryAdapter({ records }), events: EMPTY, ...extra });
const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nest(depth - 1) });

describe('untrusted storage', () => {
  test('a journal whose paths lead into a prototype is refused as corrupt, and no prototype is touched', async () => {
    for (const path of [
      ['__proto__', 'polluted'],
      ['list', '__proto__', '0'],
      ['constructor', 'prototype', 'polluted'],
      ['list', 'constructor', 'prototype', 'polluted'],
    ]) {
      const records = new Map([
        ['K', envelope({ list: [] })],
        ['K#journal', journal({ seq: 1, ops: [{ op: 'add', path, value: 'yes' }] })],
      ]);
      await expect(open(records)).rejects.toBeInstanceOf(CorruptStateError);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(([] as unknown[])[0]).toBeUndefined();
      expect(records.get('K')).toBe(envelope({ list: [] })); // left as it was
    }
  });

  test('a journal value nested deeper than the stack allows is corruption, not a RangeError, whatever weighs it', async () => {
    // Up to where JSON.parse itself gives up: the window where it parses but a recursive walk overflowed (found by the torture suite).
    for (let depth = 2_000; depth <= 16_000; depth += 1_000) {
      const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const records = new Map([
        ['K', envelope({ n: 0 })],
        ['K#journal', `{"seq":1,"ops":[{"op":"add","path":["deep"],"value":${deep}}]}\n`],
      ]);
      await expect(open(records)).rejects.toThrow(CorruptStateError);
    }
  });

  test('"__proto__" as the last key of a path makes an own key (as JSON.parse does), never a prototype', async () => {
    const records = new Map([
      ['K', envelope({ n: 0 })],
      ['K#journal', journal({ seq: 1, ops: [{ op: 'add', path: ['__proto__'], value: { x: 1 } }] })],
    ]);
    const store = await open(records);
    expect(Object.hasOwn(store.getState(), '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(store.getState())).toBe(Object.prototype);
    expect((store.getState() as { x?: unknown }).x).toBeUndefined();
    await store.close();
  });

  test('unknown ops, and list indexes that are not whole numbers in range, are corruption', async () => {
    for (const op of [
      { op: 'set', path: ['n'], value: 1 },
      { op: 'add', path: ['list', 'NaN'], value: 1 },
      { op: 'add', path: ['list', 5], value: 1 },
      { op: 'remove', path: [{}] },
    ]) {
      const records = new Map([
        ['K', envelope({ list: [], n: 0 })],
        ['K#journal', journal({ seq: 1, ops: [op] })],
      ]);
      await expect(open(records)).rejects.toBeInstanceOf(CorruptStateError);
    }
  });

  test('a sequence number past 2^53 − 1 is refused: counting on from it would lose every later record', async () => {
    await expect(open(new Map([['K', envelope({ n: 0 }, 2 ** 53)]]))).rejects.toThrow(
      /journal sequence 9007199254740992 is not a whole number from 0 to 2\^52 − 1/,
    );
    await expect(open(new Map([['K', envelope({ n: 0 }, 2 ** 53 - 1)]]))).rejects.toBeInstanceOf(CorruptStateError); // no room left to count on
    // nor may a store write a version it could not read back
    await expect(open(new Map(), { version: 2 ** 53 })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  test('a write lineage that is not a map of writers to write numbers is corruption', async () => {
    for (const writes of [[], null, 'w1', { w1: 0 }, { w1: 1.5 }, { w1: '3' }]) {
      const stored = JSON.stringify({ $rxps: 1, version: 0, savedAt: '2026-01-01T00:00:00.000Z', seq: 0, writes, state: { n: 0 } });
      await expect(open(new Map([['K', stored]]))).rejects.toThrow(/the write lineage \("writes"\) is not a map/);
    }
  });

  test('a state nested too deep to be written back is refused at open (moveAside starts afresh), and refused at update', async () => {
    const records = new Map([['K', envelope(nest(1_500))]]);
    await expect(open(records)).rejects.toThrow(/nested deeper than 1000 levels/);
    const moved = await open(records, { onInvalidStored: 'moveAside' });
    expect(moved.getState()).toEqual({ fresh: true });
    expect(() => moved.update((s) => void (s.deep = nest(5_000)))).toThrow(UnserializableStateError);
    expect(() => moved.update((s) => void (s.deep = nest(1_200)))).toThrow(UnserializableStateError);
    moved.update((s) => void (s.ok = nest(10)));
    await moved.close();
  });

  test('moveAside moves nothing when `initial` itself is unusable', async () => {
    const records = new Map([['K', '{not json']]);
    await expect(open(records, { onInvalidStored: 'moveAside', schema: z.object({ n: z.number() }) })).rejects.toBeInstanceOf(InvalidStateError);
    expect([...records.keys()]).toEqual(['K']);
  });
});
