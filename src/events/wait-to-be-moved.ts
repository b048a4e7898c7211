/**
 * Keeps the process alive until the platform moves it (a migration ends in a kill) or ends it,
 * for a job that stopped its work on `migrating` and has nothing left to do. An
 * `await new Promise(() => {})` does not: with nothing else pending, Node ends the process at
 * once with exit code 13 ("unsettled top-level await"), and the platform counts the run as
 * failed. A SIGTERM meanwhile still closes the stores and ends the process (see `events$`).
 * Outside the platform nothing will come: it waits until the process is killed.
 *
 * @example
 * let moving = false;
 * events$.pipe(ofType('migrating')).subscribe(() => (moving = true));
 * for (const url of urls) {
 *   if (moving) {
 *     await store.flush();
 *     await waitToBeMoved();
 *   }
 *   await scrape(url);
 * }
 */
export function waitToBeMoved(): Promise<never> {
  return new Promise<never>(() => {
    setInterval(() => undefined, 2 ** 31 - 1); // a timer that is never cleared: the process stays until it is killed
  });
}
