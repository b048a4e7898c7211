import type { Draft } from 'immer';
import type { KeyedMap } from '../../src/index.js';

export interface CompactionState {
  readonly n: number;
  readonly items: KeyedMap<string>;
}

const FILLERS = 1_500;
const filler = (i: number): string => `filler ${i} `.padEnd(300, String.fromCharCode(97 + (i % 26)));
const entry = (n: number): string => `entry ${n}`;

/**
 * The states the compaction child passes through: after update n (n ≥ 1), FILLERS filler entries
 * of 300 characters (about 450 KB of JSON, several chunks of `chunkBytes`) and entries e1…en.
 */
export const compactionModel = {
  chunkBytes: 48 * 1024,
  compactAfterRecords: 6,
  etcdPrefix: 'compaction/',
  step(s: Draft<CompactionState>): void {
    if (s.n === 0) for (let i = 0; i < FILLERS; i++) s.items.set(`f${i}`, filler(i));
    s.n += 1;
    s.items.set(`e${s.n}`, entry(s.n));
  },
  /** Why `state` is not the one after update `state.n`, or undefined. */
  whyNot(state: CompactionState): string | undefined {
    const { n, items } = state;
    const expected = n === 0 ? 0 : FILLERS + n;
    if (items.size !== expected) return `${items.size} entries, expected ${expected} at n ${n}`;
    if (n === 0) return undefined;
    for (let i = 0; i < FILLERS; i++) if (items.get(`f${i}`) !== filler(i)) return `filler f${i} is wrong`;
    for (let i = 1; i <= n; i++) if (items.get(`e${i}`) !== entry(i)) return `entry e${i} is ${JSON.stringify(items.get(`e${i}`))}`;
    return undefined;
  },
};
