/**
 * Spaces requests so that at most `perSecond` start in any one second (a sliding window): a
 * service that answers 429 beyond a documented rate (the Apify API: 200 record requests per
 * second per store) is never pushed into it by an open that reads a thousand segments at once.
 *
 * @example const pace = createPacer(200); await pace(); // then send
 */
export function createPacer(perSecond: number): () => Promise<void> {
  const started: number[] = [];
  let queue: Promise<void> = Promise.resolve();
  const take = async (): Promise<void> => {
    for (;;) {
      // A monotonic clock: the wall clock set back an hour would otherwise hold every request an hour.
      const now = performance.now();
      while (started.length > 0 && started[0]! <= now - 1000) started.shift();
      if (started.length < perSecond) {
        started.push(now);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, started[0]! + 1000 - now));
    }
  };
  return () => (queue = queue.then(take));
}
