/**
 * A double-ended queue on a ring buffer that grows by doubling: push at the back, take from
 * either end, all O(1) and without the per-entry allocation of a linked list. The admission
 * queue takes the front (oldest) in FIFO order and the back (newest) in LIFO order, and sweeps
 * expired calls off the front.
 */
export class CallDeque<T> {
  private items: Array<T | undefined>;
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 64) {
    this.items = new Array<T | undefined>(initialCapacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
  }

  /** The oldest entry, or undefined when empty. */
  peekFront(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** Removes and returns the oldest entry. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  /** Removes and returns the newest entry. */
  pop(): T | undefined {
    if (this.count === 0) return undefined;
    const at = (this.head + this.count - 1) % this.items.length;
    const item = this.items[at];
    this.items[at] = undefined;
    this.count--;
    return item;
  }

  private grow(): void {
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) % old.length];
    this.items = next;
    this.head = 0;
  }
}
