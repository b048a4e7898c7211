import { kill, startFixture, waitForLine } from '../support/processes.js';
import { readStoredState } from '../support/stored-state.js';
import { useTempDir } from '../support/temp-dir.js';

const KILLS = 20;
const DEBOUNCE_MS = 20;
const MAX_WAIT_MS = 50;
// What a write may add to maxWait on a loaded 2-core machine: stringify, fsync, rename, fsync.
const WRITE_SLACK_MS = 250;

/** Small seeded PRNG so that a failing sequence of kill moments can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const tempDir = useTempDir('crash', 'all');

test(`SIGKILL at ${KILLS} random moments: storage always loads, holds a state the child had, and is at most the debounce window old`, async () => {
  const seed = Number(process.env.CRASH_SEED ?? Date.now());
  const next = random(seed);
  let lastN = 0;
  const lost: number[] = [];

  for (let i = 0; i < KILLS; i++) {
    const child = startFixture('counter-child', [tempDir(), 'COUNTER', String(DEBOUNCE_MS), String(MAX_WAIT_MS)]);
    const [, resumedAt] = await waitForLine(child, /^ready (\d+)/);
    const readyAt = Date.now(); // the child's updates start now: work before this was not at risk
    expect(Number(resumedAt)).toBe(lastN); // it resumed exactly where the file said
    await new Promise((resolve) => setTimeout(resolve, 60 + next() * 340));
    const killedAt = Date.now();
    await kill(child, 'SIGKILL');
    const deadBy = Date.now(); // the child may stamp a state between Date.now() above and the signal

    // Nothing stored yet means the first run died before its first write: it restarts from initial.
    const stored = await readStoredState<{ n: number; sum: number; t: number }>(tempDir(), 'COUNTER');
    if (stored === undefined) expect(lastN).toBe(0); // once written, the state must never disappear
    const state = stored ?? { n: 0, sum: 0, t: 0 };
    const context = `seed ${seed}, kill ${i}, state ${JSON.stringify(state)}`;
    expect({ context, consistent: state.sum === (state.n * (state.n + 1)) / 2 }).toEqual({ context, consistent: true });
    expect({ context, monotonic: state.n >= lastN }).toEqual({ context, monotonic: true });
    expect({ context, fromThePast: state.t <= deadBy }).toEqual({ context, fromThePast: true });
    lost.push(killedAt - Math.max(state.t, readyAt));
    lastN = state.n;
  }

  const worst = Math.max(...lost);
  const sorted = [...lost].sort((a, b) => a - b);
  console.log(`crash spec (seed ${seed}): ${KILLS} kills, final n=${lastN}, lost window ms: median ${sorted[KILLS >> 1]}, max ${worst} (${lost.join(' ')})`);
  expect(lastN).toBeGreaterThan(0);
  expect(worst).toBeLessThanOrEqual(MAX_WAIT_MS + WRITE_SLACK_MS);
}, 120_000);
