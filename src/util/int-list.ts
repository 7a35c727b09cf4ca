/**
 * Growable lists of small integers in typed arrays, the output buffers of the tokenizers' encode
 * loops. A JavaScript array grown by `push` to millions of entries leaves about twice its final
 * size of discarded backing stores for the garbage collector (measured: 147 MB of peak memory for
 * 5.4 M ids against 44 MB for one array allocated at its final length), and an encoding of one
 * 10 MB word builds three such arrays (issue #12 item 8). These lists grow by doubling typed
 * arrays instead, and {@link IntList.toArray} makes the final `number[]` once, at its exact length.
 * A generic data structure of the fast path: it computes nothing a model defines, so it has no
 * reference twin; test/util/int-list.test.ts checks it against plain arrays.
 *
 * @module
 */

/** A growable list of int32 values. */
export class IntList {
  private a: Int32Array;
  /** Number of values held. */
  length = 0;

  /** @param capacity - initial storage (at least 16). */
  constructor(capacity = 16) {
    this.a = new Int32Array(Math.max(16, capacity));
  }

  private grow(min: number): void {
    const b = new Int32Array(Math.max(min, this.a.length * 2));
    b.set(this.a.subarray(0, this.length));
    this.a = b;
  }

  /** Append `v` (an int32). */
  push(v: number): void {
    if (this.length === this.a.length) this.grow(this.length + 1);
    this.a[this.length++] = v;
  }

  /** Append all of `values`. */
  pushAll(values: Int32Array): void {
    const n = this.length + values.length;
    if (n > this.a.length) this.grow(n);
    this.a.set(values, this.length);
    this.length = n;
  }

  /** The value at `i` (`0 ≤ i < length`, unchecked). */
  get(i: number): number {
    return this.a[i];
  }

  /** Drop the values from index `length` on (`0 ≤ length ≤ this.length`); the storage is kept. */
  truncate(length: number): void {
    this.length = Math.max(0, Math.min(this.length, length));
  }

  /** Replace the value at `i` (`0 ≤ i < length`, unchecked). */
  set(i: number, v: number): void {
    this.a[i] = v;
  }

  /** The values as a plain array of exactly {@link length} entries. */
  toArray(): number[] {
    const n = this.length;
    const out: number[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.a[i];
    return out;
  }

  /** A copy of the values in an Int32Array of exactly {@link length} entries. */
  toInt32Array(): Int32Array {
    return this.a.slice(0, this.length);
  }

  /** The values as a view of the list's storage (no copy): later pushes or sets may change or detach it. */
  view(): Int32Array {
    return this.a.subarray(0, this.length);
  }
}

/** A growable list of bytes (values 0..255). */
export class ByteList {
  private a: Uint8Array;
  /** Number of values held. */
  length = 0;

  /** @param capacity - initial storage (at least 16). */
  constructor(capacity = 16) {
    this.a = new Uint8Array(Math.max(16, capacity));
  }

  /** Append `v` `count` times (default once). */
  push(v: number, count = 1): void {
    const n = this.length + count;
    if (n > this.a.length) {
      const b = new Uint8Array(Math.max(n, this.a.length * 2));
      b.set(this.a.subarray(0, this.length));
      this.a = b;
    }
    if (count === 1) this.a[this.length] = v;
    else this.a.fill(v, this.length, n);
    this.length = n;
  }

  /** The value at `i` (`0 ≤ i < length`, unchecked). */
  get(i: number): number {
    return this.a[i];
  }

  /** A copy of the values in a Uint8Array of exactly {@link length} entries. */
  toUint8Array(): Uint8Array {
    return this.a.slice(0, this.length);
  }

  /** The values as a view of the list's storage (no copy): later pushes may change or detach it. */
  view(): Uint8Array {
    return this.a.subarray(0, this.length);
  }
}
