/**
 * An open-addressing hash table keyed by a pair of non-negative ints, in typed arrays: the merge
 * lookup `(left symbol, right symbol) → rank / merged id` of the byte-level BPE and of the
 * sentencepiece BPE. A generic data structure of the fast path: it computes nothing a model
 * defines, so it has no reference twin; test/util/pair-table.test.ts checks it against a `Map`.
 *
 * @module
 */
import { ValueError } from '../errors.js';

/**
 * Open-addressing hash table (left int, right int) → int value, in typed arrays, with linear
 * probing. It never grows: it is sized once for the number of pairs it will hold.
 */
export class PairTable {
  private readonly mask: number;
  private readonly lefts: Int32Array;
  private readonly rights: Int32Array;
  private readonly values: Int32Array;
  /** Number of distinct pairs held. */
  size = 0;

  /** @param n - the number of distinct pairs expected; the table gets at least 16 and at least 2n slots (load ≤ 1/2). */
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

  /**
   * Insert or overwrite. Keys must be int32 ≥ 0 (−1 marks an empty slot) and values ≥ 0 (−1 is
   * {@link PairTable.get}'s "absent").
   *
   * @throws ValueError when a new pair would fill the last free slot (a full table would make
   *   probing loop forever); the constructor's `n` was too small.
   */
  set(l: number, r: number, value: number): void {
    let s = this.slot(l, r);
    while (this.lefts[s] !== -1 && !(this.lefts[s] === l && this.rights[s] === r)) s = (s + 1) & this.mask;
    if (this.lefts[s] === -1) {
      if (this.size === this.mask) throw new ValueError(`PairTable: more than ${this.mask} distinct pairs in a table of ${this.mask + 1} slots`);
      this.size++;
    }
    this.lefts[s] = l;
    this.rights[s] = r;
    this.values[s] = value;
  }

  /** The value of the pair, or −1. */
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
