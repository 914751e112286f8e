/** Something an `IndexedMinHeap` can hold: the heap records the item's slot in `heapIndex` (-1 when out). */
export interface HeapItem {
  heapIndex: number;
}

/**
 * A binary min-heap whose items know their own slot, so removing or re-prioritising any item is
 * O(log n) and the heap never holds stale copies (a lazy-deletion heap grows without bound when
 * one key is rewritten with long TTLs over and over).
 */
export class IndexedMinHeap<T extends HeapItem> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  /** `less(a, b)` is true when `a` must leave the heap before `b`. */
  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  /** Number of items held. */
  get size(): number {
    return this.#items.length;
  }

  /** The smallest item, left in place; `undefined` when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an item that is not in the heap yet. */
  push(item: T): void {
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  /** Removes and returns the smallest item; `undefined` when empty. */
  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Removes an item wherever it sits; a no-op for an item that is not in the heap. */
  remove(item: T): void {
    const index = item.heapIndex;
    if (index < 0) return;
    const items = this.#items;
    const last = items.pop() as T;
    item.heapIndex = -1;
    if (last === item) return;
    items[index] = last;
    last.heapIndex = index;
    this.#up(index);
    this.#down(last.heapIndex);
  }

  /** Restores order after the priority of an item already in the heap changed. */
  update(item: T): void {
    this.#up(item.heapIndex);
    this.#down(item.heapIndex);
  }

  /** Drops every item. */
  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items.length = 0;
  }

  #up(start: number): void {
    const items = this.#items;
    const item = items[start] as T;
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!this.#less(item, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  #down(start: number): void {
    const items = this.#items;
    const length = items.length;
    const item = items[start] as T;
    let index = start;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && this.#less(items[right] as T, items[child] as T)) child = right;
      const smaller = items[child] as T;
      if (!this.#less(smaller, item)) break;
      items[index] = smaller;
      smaller.heapIndex = index;
      index = child;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
