/**
 * Small data structures of the fast tokenizer path: an open-addressing hash table keyed by a
 * pair of non-negative ints, and a binary min-heap of doubles. They hold no computation of their
 * own, so they have no reference twin.
 *
 * @module
 */

/** Open-addressing hash table (left int, right int) → int value, in typed arrays. */
export class PairTable {
  private readonly mask: number;
  private readonly lefts: Int32Array;
  private readonly rights: Int32Array;
  private readonly values: Int32Array;

  constructor(n: number) {
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    this.mask = cap - 1;
    this.lefts = new Int32Array(cap).fill(-1);
    this.rights = new Int32Array(cap);
    this.values = new Int32Array(cap);
  }

  private slot(l: number, r: number): number {
    let h = Math.imul(l, 0x9e3779b1) ^ Math.imul(r + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    return h & this.mask;
  }

  /** Insert or overwrite. Keys must be ≥ 0. */
  set(l: number, r: number, value: number): void {
    let s = this.slot(l, r);
    while (this.lefts[s] !== -1 && !(this.lefts[s] === l && this.rights[s] === r)) s = (s + 1) & this.mask;
    this.lefts[s] = l;
    this.rights[s] = r;
    this.values[s] = value;
  }

  /** The value of the pair, or -1. */
  get(l: number, r: number): number {
    let s = this.slot(l, r);
    for (;;) {
      const x = this.lefts[s];
      if (x === -1) return -1;
      if (x === l && this.rights[s] === r) return this.values[s];
      s = (s + 1) & this.mask;
    }
  }
}

/** A binary min-heap of non-negative doubles in a growable Float64Array. */
export class MinHeap {
  private a: Float64Array;
  size = 0;

  constructor(capacity = 16) {
    this.a = new Float64Array(Math.max(16, capacity));
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

  pop(): number {
    const top = this.a[0];
    const last = this.a[--this.size];
    if (this.size > 0) this.siftDown(0, last);
    return top;
  }
}
