import { Observable } from '../rx.js';

/**
 * Emits 0, 1, 2 … every `periodMs` (the first at once when `immediate`). Unlike rxjs `interval`,
 * its timer is unref'd: a periodic event must never be what keeps a Node process alive.
 */
export function unrefInterval(periodMs: number, { immediate = false } = {}): Observable<number> {
  return new Observable<number>((subscriber) => {
    let count = 0;
    if (immediate) subscriber.next(count++);
    const timer = setInterval(() => subscriber.next(count++), periodMs);
    (timer as { unref?: () => void }).unref?.();
    return () => clearInterval(timer);
  });
}
