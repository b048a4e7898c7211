// immer's ES build reads `process.env.NODE_ENV` as it loads. esbuild, Vite and webpack replace
// that expression; Rollup with node-resolve alone leaves it, and a page has no `process`, so the
// page would throw before it starts. An empty `process` stands in while immer loads, and goes
// again at once (immer then keeps its development checks, as with NODE_ENV unset in Node).
const global = globalThis as { process?: unknown };
const lent = global.process === undefined;
if (lent) global.process = { env: {} };

/** Removes the stand-in, if one was put there. */
export function endImmerEnv(): void {
  if (lent) delete global.process;
}
