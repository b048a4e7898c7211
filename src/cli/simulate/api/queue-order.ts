/** What the order needs of a request: its place, null once handled. */
export interface Placed {
  readonly orderNo: number | null;
}

/**
 * The order of a queue's pending requests, kept sorted as they come rather than sorted again on
 * every change: a request added (at the end, or at the front) is inserted at its place; one handled
 * or moved leaves a stale place behind, skipped on reading and swept out once stale places are
 * the majority. Reading the head stays proportional to what it skips, not to the queue.
 */
export class QueueOrder<E extends Placed> {
  private line: Array<{ readonly entry: E; readonly order: number }> = [];
  private stale = 0;

  /** Puts `entry` at its (new) place; call after giving it one. */
  place(entry: E): void {
    const order = entry.orderNo;
    if (order === null) return;
    let low = 0;
    let high = this.line.length;
    if (high > 0 && this.line[high - 1]!.order <= order) low = high; // the usual case: at the end
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.line[mid]!.order <= order) low = mid + 1;
      else high = mid;
    }
    this.line.splice(low, 0, { entry, order });
  }

  /** Notes that an entry left its place (handled, moved or deleted). */
  left(): void {
    this.stale++;
    if (this.stale > 64 && this.stale * 2 > this.line.length) {
      this.line = this.line.filter(({ entry, order }) => entry.orderNo === order);
      this.stale = 0;
    }
  }

  /** The pending entries, first to last. */
  *pending(): Generator<E> {
    for (const { entry, order } of this.line) if (entry.orderNo === order) yield entry;
  }
}
