/**
 * A binary min-heap of doubles in a growable `Float64Array`, the priority queue of the BPE merge
 * loops (which pack `(priority, position)` into one double so that ties go to the lower
 * position). A generic data structure of the fast path: it computes nothing a model defines, so it
 * has no reference twin; test/util/heap.test.ts checks it against sorting.
 *
 * @module
 */

/** A binary min-heap of doubles (not NaN) in a growable Float64Array. */
export class MinHeap {
  private a: Float64Array;
  /** Number of values held. */
  size = 0;

  /** @param capacity - initial storage (at least 16); the heap grows by doubling past it. */
  constructor(capacity = 16) {
    this.a = new Float64Array(Math.max(16, capacity));
  }

  /** Length of the storage: {@link push} past it reallocates (doubling). */
  get capacity(): number {
    return this.a.length;
  }

  /**
   * Keep only the values for which `keep` is true and restore the heap order in O(n), in place
   * (no new storage). The BPE merge loop calls it when the heap is full of stale entries, so that
   * its memory stays at the initial capacity instead of doubling.
   */
  retain(keep: (v: number) => boolean): void {
    const a = this.a;
    let k = 0;
    for (let i = 0; i < this.size; i++) if (keep(a[i])) a[k++] = a[i];
    this.size = k;
    for (let i = (k >> 1) - 1; i >= 0; i--) this.siftDown(i, a[i]);
  }

  /** Grow the storage to at least `capacity` values (never shrinks). */
  reserve(capacity: number): void {
    if (capacity <= this.a.length) return;
    const b = new Float64Array(capacity);
    b.set(this.a.subarray(0, this.size));
    this.a = b;
  }

  /** Empty the heap, keeping its storage. */
  clear(): void {
    this.size = 0;
  }

  /** Replace the contents by `values[0..n)` and restore the heap order in O(n) (Floyd). */
  heapify(values: Float64Array, n: number): void {
    if (this.a.length < n) this.a = new Float64Array(Math.max(n, this.a.length * 2));
    this.a.set(values.subarray(0, n));
    this.size = n;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i, this.a[i]);
  }

  private siftDown(i: number, v: number): void {
    const a = this.a;
    const n = this.size;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && a[c + 1] < a[c]) c++;
      if (a[c] >= v) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = v;
  }

  /** Add `v` (O(log n)). */
  push(v: number): void {
    if (this.size === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = v;
  }

  /** Remove and return the smallest value (O(log n)). Precondition: `size > 0` (callers loop on it). */
  pop(): number {
    const top = this.a[0];
    const last = this.a[--this.size];
    if (this.size > 0) this.siftDown(0, last);
    return top;
  }
}
