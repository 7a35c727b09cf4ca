/**
 * A bounded least-recently-used cache (a `Map` keeps insertion order; a hit re-inserts the key so
 * the oldest entry is always first). Used by the fast path for frequent pre-tokens and
 * sentencepiece spans; it holds no computation of its own, so it has no reference twin.
 *
 * @module
 */

/** A bounded LRU map. `capacity` 0 disables caching. */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  /** Number of lookups that found their key. */
  hits = 0;
  /** Number of lookups that did not. */
  misses = 0;

  constructor(readonly capacity: number) {}

  /** The cached value, marking it most recently used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  /** Store a value, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    if (this.map.size >= this.capacity && !this.map.has(key)) {
      const oldest = this.map.keys().next().value as K;
      this.map.delete(oldest);
    }
    this.map.set(key, value);
  }

  /** Number of entries. */
  get size(): number {
    return this.map.size;
  }

  /** Drop every entry and reset the counters. */
  clear(): void {
    this.map.clear();
    this.hits = 0;
    this.misses = 0;
  }
}
