/**
 * A bounded least-recently-used cache from strings to values, looked up by a range of a longer
 * text without creating a substring: the pre-token → ids cache of the byte-level BPE and the span
 * cache of the sentencepiece models. A generic data structure of the fast path: it computes
 * nothing a model defines, so it has no reference twin; test/util/lru.test.ts checks it against a
 * `Map`-based model.
 *
 * {@link PieceCache} is 4-way set-associative with exact LRU order inside each set (a hit moves
 * the entry to the front of its set; an insertion evicts the set's least recently used entry), so
 * it is bounded and allocation-free on hits. With a capacity of at most 4 (one set) it is an exact
 * LRU cache of 4 entries.
 *
 * @module
 */

const WAYS = 4;

/** FNV-1a hash of `text[start, end)` by UTF-16 unit. */
export function hashRange(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h | 0;
}

/** A 4-way set-associative LRU cache from string keys (given as a text range) to values. */
export class PieceCache<V = Int32Array> {
  private readonly setMask: number;
  private readonly keys: (string | undefined)[];
  private readonly hashes: Int32Array;
  private readonly values: (V | undefined)[];
  /** Number of lookups that found their key. */
  hits = 0;
  /** Number of lookups that did not. */
  misses = 0;

  /** @param capacity - entries (rounded up to a power of two ≥ 4); 0 disables caching (no lookup is counted). */
  constructor(readonly capacity: number) {
    let sets = 1;
    while (sets * WAYS < capacity) sets *= 2;
    this.setMask = capacity > 0 ? sets - 1 : -1;
    const n = capacity > 0 ? sets * WAYS : 0;
    this.keys = new Array(n).fill(undefined);
    this.hashes = new Int32Array(n);
    this.values = new Array(n).fill(undefined);
  }

  /** The value for `text[start, end)` (hash `h` from {@link hashRange}), moved to the front of its set. */
  get(text: string, start: number, end: number, h: number): V | undefined {
    if (this.setMask < 0) return undefined;
    const base = (h & this.setMask) * WAYS;
    const len = end - start;
    for (let w = 0; w < WAYS; w++) {
      const i = base + w;
      const k = this.keys[i];
      if (k === undefined) break;
      if (this.hashes[i] === h && k.length === len && text.startsWith(k, start)) {
        const v = this.values[i]!;
        for (let j = i; j > base; j--) this.move(j - 1, j);
        this.keys[base] = k;
        this.hashes[base] = h;
        this.values[base] = v;
        this.hits++;
        return v;
      }
    }
    this.misses++;
    return undefined;
  }

  /**
   * Insert at the front of its set, evicting the set's least recently used entry. Call it after a
   * {@link PieceCache.get} miss: it does not look for an existing entry of the same key.
   */
  set(key: string, h: number, value: V): void {
    if (this.setMask < 0) return;
    const base = (h & this.setMask) * WAYS;
    for (let j = base + WAYS - 1; j > base; j--) this.move(j - 1, j);
    this.keys[base] = key;
    this.hashes[base] = h;
    this.values[base] = value;
  }

  private move(from: number, to: number): void {
    this.keys[to] = this.keys[from];
    this.hashes[to] = this.hashes[from];
    this.values[to] = this.values[from];
  }

  /** Number of entries held. */
  get size(): number {
    let n = 0;
    for (const k of this.keys) if (k !== undefined) n++;
    return n;
  }
}
