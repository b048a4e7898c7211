// The state a crash child passes through: after update n, `n`, `sum` = 1 + … + n, `t` = the time
// of update n, and a ring of RING keys of which update m wrote the BATCH keys of slot (m - 1) % SLOTS,
// each to m. So any stored state can be checked to be exactly one the child had.
import type { KeyedMap } from '../../src/index.js';

export const BATCH = 50;
export const RING = 20_000;
const SLOTS = RING / BATCH;

export interface CounterState {
  readonly n: number;
  readonly sum: number;
  readonly t: number;
  readonly items: KeyedMap<number>;
}

export const keyOf = (index: number): string => `k${index}`;

/** The keys update m writes. */
export function keysOfUpdate(m: number): string[] {
  const slot = (m - 1) % SLOTS;
  return Array.from({ length: BATCH }, (_, j) => keyOf(slot * BATCH + j));
}

/** Why `state` is not the state after update `state.n`, or undefined when it is. */
export function whyNotReal(state: CounterState): string | undefined {
  const { n } = state;
  if (!Number.isInteger(n) || n < 0) return `n is ${n}`;
  if (state.sum !== (n * (n + 1)) / 2) return `sum ${state.sum} is not 1 + … + ${n}`;
  if (state.items.size !== Math.min(n, SLOTS) * BATCH) return `${state.items.size} keys after ${n} updates`;
  for (let slot = 0; slot < Math.min(n, SLOTS); slot++) {
    const m = n - ((((n - 1 - slot) % SLOTS) + SLOTS) % SLOTS); // the last update ≤ n that wrote this slot
    for (let j = 0; j < BATCH; j++) {
      const value = state.items.get(keyOf(slot * BATCH + j));
      if (value !== m) return `key ${keyOf(slot * BATCH + j)} is ${value}, not ${m}`;
    }
  }
  return undefined;
}
