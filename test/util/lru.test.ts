/**
 * PieceCache and hashRange (src/util/lru.ts), the bounded cache of the tokenizer fast paths: the
 * FNV-1a values, exact LRU eviction order inside a set, capacity rounding and the disabled cache,
 * lookups by a range of a longer text, hash collisions, and random lookup-or-insert sequences
 * against a Map-based model of a 4-way set-associative LRU.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PieceCache, hashRange } from '../../src/util/lru.js';
import { runs } from '../support/runs.js';

/** FNV-1a (32 bit) of the UTF-16 units of `s`, in BigInt arithmetic: an independent oracle for hashRange. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5n;
  for (let i = 0; i < s.length; i++) h = ((h ^ BigInt(s.charCodeAt(i))) * 16777619n) & 0xffffffffn;
  return Number(BigInt.asIntN(32, h));
}

/** `cache.get` of a whole string key. */
const get = <V>(c: PieceCache<V>, key: string, h = hashRange(key, 0, key.length)) => c.get(key, 0, key.length, h);
/** `cache.set` of a whole string key. */
const put = <V>(c: PieceCache<V>, key: string, v: V, h = hashRange(key, 0, key.length)) => c.set(key, h, v);

/**
 * The model: `sets` lists of keys, most recent first, at most 4 each; the set of a key is
 * `h mod sets`. Lookup-or-insert as the tokenizers use the cache: get, and set on a miss.
 */
class ModelCache {
  private readonly lists: string[][];
  readonly values = new Map<string, number>();
  hits = 0;
  misses = 0;
  constructor(readonly sets: number) {
    this.lists = Array.from({ length: sets }, () => []);
  }
  get(key: string, h: number): number | undefined {
    const list = this.lists[(h >>> 0) % this.sets];
    const at = list.indexOf(key);
    if (at < 0) {
      this.misses++;
      return undefined;
    }
    list.splice(at, 1);
    list.unshift(key);
    this.hits++;
    return this.values.get(key);
  }
  set(key: string, h: number, v: number): void {
    const list = this.lists[(h >>> 0) % this.sets];
    list.unshift(key);
    if (list.length > 4) list.pop();
    this.values.set(key, v);
  }
  get size(): number {
    return this.lists.reduce((n, l) => n + l.length, 0);
  }
}

/** Sets of a cache of `capacity` entries: the least power of two with 4·sets ≥ capacity. */
const setsFor = (capacity: number): number => {
  let s = 1;
  while (4 * s < capacity) s *= 2;
  return s;
};

describe('hashRange', () => {
  it('is 32-bit FNV-1a by UTF-16 unit, as a signed int (published values for "", "a", "foobar")', () => {
    expect(hashRange('', 0, 0)).toBe(0x811c9dc5 | 0);
    expect(hashRange('a', 0, 1)).toBe(0xe40c292c | 0);
    expect(hashRange('foobar', 0, 6)).toBe(0xbf9cf968 | 0);
  });

  it('hashes a range like the substring, and equals the BigInt oracle on any string (surrogates included)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 30 }), fc.nat(), fc.nat(), (s, a, b) => {
      const [i, j] = [a % (s.length + 1), b % (s.length + 1)].sort((x, y) => x - y);
      const sub = s.slice(i, j);
      expect(hashRange(s, i, j)).toBe(hashRange(sub, 0, sub.length));
      expect(hashRange(sub, 0, sub.length)).toBe(fnv1a(sub));
    }), { numRuns: runs(200) });
  });
});

describe('PieceCache', () => {
  it('one set (capacity ≤ 4) is an exact LRU of 4 entries: a hit refreshes, an insertion evicts the least recent', () => {
    for (const capacity of [1, 2, 3, 4]) {
      const c = new PieceCache<number>(capacity);
      ['a', 'b', 'c', 'd'].forEach((k, i) => put(c, k, i));
      expect(c.size).toBe(4);
      expect(get(c, 'a')).toBe(0); // recency now a, d, c, b
      put(c, 'e', 4); // evicts b
      expect(get(c, 'b')).toBeUndefined();
      expect([get(c, 'c'), get(c, 'd'), get(c, 'e'), get(c, 'a')]).toEqual([2, 3, 4, 0]); // recency a, e, d, c
      put(c, 'f', 5); // evicts c
      put(c, 'g', 6); // evicts d
      expect([get(c, 'c'), get(c, 'd')]).toEqual([undefined, undefined]);
      expect([get(c, 'a'), get(c, 'e'), get(c, 'f'), get(c, 'g')]).toEqual([0, 4, 5, 6]);
      expect(c.size).toBe(4);
      expect([c.hits, c.misses]).toEqual([9, 3]);
    }
  });

  it('holds capacity rounded up to a power of two ≥ 4 entries', () => {
    for (const [capacity, held] of [[1, 4], [4, 4], [5, 8], [8, 8], [100, 128], [1024, 1024]] as const) {
      const c = new PieceCache<number>(capacity);
      for (let i = 0; i < 20 * held; i++) put(c, `k${i}`, i);
      expect(c.size, `capacity ${capacity}`).toBe(held);
    }
  });

  it('capacity 0 disables the cache: nothing is stored and no lookup is counted', () => {
    const c = new PieceCache<number>(0);
    put(c, 'a', 1);
    expect(get(c, 'a')).toBeUndefined();
    expect([c.size, c.hits, c.misses]).toEqual([0, 0, 0]);
  });

  it('looks keys up by a range of a longer text, without confusing keys that share a hash', () => {
    const c = new PieceCache<string>(64);
    put(c, 'fox', 'FOX', 7);
    put(c, 'dog', 'DOG', 7); // same hash, same length, other text
    put(c, 'ox', 'OX', 7); // same hash, other length
    const text = 'the quick brown fox and the lazy dog';
    expect(c.get(text, 16, 19, 7)).toBe('FOX');
    expect(c.get(text, 33, 36, 7)).toBe('DOG');
    expect(c.get(text, 17, 19, 7)).toBe('OX');
    expect(c.get(text, 4, 7, 7)).toBeUndefined(); // 'qui'
    expect(c.get(text, 16, 19, 8)).toBeUndefined(); // right text, other hash: another set or another hash
    expect([c.hits, c.misses]).toEqual([3, 2]);
  });

  it('lookup-or-insert sequences agree with a Map-based model of the 4-way set-associative LRU', () => {
    // Ten keys for up to 32 entries: many hits, and many evictions under the colliding hashes.
    const keyArb = fc.constantFrom('a', 'b', 'c', 'é', '中', 'ab', 'ba', 'a中', 'éé', 'abc');
    const hashArb = fc.constantFrom('fnv', 'length', 'zero'); // real, many collisions, all in one set
    fc.assert(fc.property(fc.integer({ min: 1, max: 32 }), hashArb, fc.array(keyArb, { maxLength: 200 }), (capacity, hashKind, keys) => {
      const hash = (k: string) => (hashKind === 'fnv' ? hashRange(k, 0, k.length) : hashKind === 'length' ? k.length : 0);
      const c = new PieceCache<number>(capacity);
      const m = new ModelCache(setsFor(capacity));
      keys.forEach((k, step) => {
        const text = `<${k}>`; // look the key up inside a longer text
        const got = c.get(text, 1, 1 + k.length, hash(k));
        expect(got, `step ${step}: ${k}`).toBe(m.get(k, hash(k)));
        if (got === undefined) {
          c.set(k, hash(k), step);
          m.set(k, hash(k), step);
        }
      });
      expect([c.size, c.hits, c.misses]).toEqual([m.size, m.hits, m.misses]);
    }), { numRuns: runs(150) });
  });
});
