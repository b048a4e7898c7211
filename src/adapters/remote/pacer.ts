/**
 * Spaces requests so that at most `perSecond` start in any one second (a sliding window, in tenths): a
 * service that answers 429 beyond a documented rate (the Apify API: 200 record requests per
 * second per store) is never pushed into it by an open that reads a thousand segments at once.
 *
 * @example const pace = createPacer(200); await pace(); // then send
 */
export function createPacer(perSecond: number): () => Promise<void> {
  // Counted per tenth of a second: a whole second's worth sent at once reaches the server spread
  // out by its own queueing, and then overlaps the next second's in the server's window.
  const windowMs = 100;
  const perWindow = Math.max(1, Math.floor(perSecond / 10));
  const started: number[] = [];
  let queue: Promise<void> = Promise.resolve();
  const take = async (): Promise<void> => {
    for (;;) {
      // A monotonic clock: the wall clock set back an hour would otherwise hold every request an hour.
      const now = performance.now();
      while (started.length > 0 && started[0]! <= now - windowMs) started.shift();
      if (started.length < perWindow) {
        started.push(now);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, started[0]! + windowMs - now));
    }
  };
  return () => (queue = queue.then(take));
}

const shared = new Map<string, () => Promise<void>>();

/**
 * The one pacer of `scope` in this process: the limit is the service's, per store, so every
 * adapter on that store (several stores on one Apify key-value store) shares it.
 *
 * @example const pace = pacerFor('https://api.apify.com/v2/key-value-stores/abc', 180);
 */
export function pacerFor(scope: string, perSecond: number): () => Promise<void> {
  const key = `${perSecond} ${scope}`;
  let pace = shared.get(key);
  if (!pace) shared.set(key, (pace = createPacer(perSecond)));
  return pace;
}
