/** One figure of the torture table: a value, and the bound it must meet if it has one. */
export interface Figure {
  readonly name: string;
  readonly value: string | number;
  /** The promise this figure checks, as printed (e.g. "= 0", "≤ 270 ms"); none for plain figures. */
  readonly must?: string;
  /** false when the bound is broken: the run then fails. */
  readonly ok?: boolean;
}

export interface ScenarioContext {
  /** A fresh folder for this scenario, removed afterwards. */
  readonly dir: string;
  /** Progress for the terminal. */
  readonly log: (line: string) => void;
  /** The seed every random choice of the scenario derives from, printed so a run can be replayed. */
  readonly seed: number;
}

export interface Scenario {
  readonly name: string;
  run(context: ScenarioContext): Promise<Figure[]>;
}

/** Small seeded PRNG (mulberry32): a failing sequence can be replayed with TORTURE_SEED. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
};

/** A figure that must be zero. */
export const mustBeZero = (name: string, value: number): Figure => ({ name, value, must: '= 0', ok: value === 0 });

/** True if `exited` settles within `ms`: a child that was to kill itself at a point inside a write did. */
export const exitsWithin = (exited: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, ms, false))]);
