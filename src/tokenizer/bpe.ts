/**
 * Byte-level BPE as Qwen2/Qwen3 use it (tokenizer spec §1.3), fast path.
 *
 * Same algorithm as the reference (repeatedly merge the adjacent pair with the lowest merge rank,
 * every occurrence left to right), organised for speed:
 * - symbols are vocabulary ids, never strings; a merge is looked up in an open-addressing hash
 *   table over `(left id, right id)` held in typed arrays;
 * - short pre-tokens (≤ {@link SHORT_WORD} bytes) use a plain array scan; longer ones a binary heap
 *   over `(rank, position)` with a doubly linked list of symbols, O(n log n) in the byte length
 *   (the Python loop is quadratic);
 * - a bounded LRU cache maps frequent pre-tokens straight to their ids.
 *
 * The heap pops the lowest rank, leftmost first. That equals the textbook "merge every occurrence
 * of the best pair, then look again" whenever no merge uses a symbol produced by a later merge
 * (true for Qwen's merges.txt: token 256+i is made by line i). The constructor checks that
 * condition and falls back to the textbook loop when a merges file breaks it.
 *
 * @module
 */
import { TokenizerError } from '../errors.js';
import { bytesToUnicode, unicodeToBytes } from './bytes.js';
import { PieceCache, hashRange } from '../util/lru.js';
import { pieceEnd, pretokenizeRegex } from './pretokenize.js';
import { MinHeap } from '../util/heap.js';
import { PairTable } from '../util/pair-table.js';
import { IntList } from '../util/int-list.js';

/** Pre-tokens up to this many bytes are merged with the array scan, longer ones with the heap. */
export const SHORT_WORD = 24;
/** Pre-tokens longer than this many UTF-16 units are not cached. */
const CACHE_MAX_KEY = 256;
/** Default {@link ByteLevelBPEOptions.segmentBytes}: pre-tokens over twice this are merged in segments. */
export const LONG_WORD_SEGMENT = 1 << 16;
/** Smallest accepted {@link ByteLevelBPEOptions.segmentBytes}. */
const MIN_SEGMENT = 16;
/** 2^32: a heap key is `rank * KEY + position`. */
const KEY = 4294967296;
const EMPTY = new Int32Array(0);

/**
 * Parse `vocab.json` (token string → id). Throws {@link TokenizerError} naming the file when it is
 * not a JSON object of non-negative integer ids.
 *
 * @example
 * ```ts
 * import { parseVocab } from 'intern-s1-ts/internals';
 * parseVocab('{"a": 0, "b": 1}').get('b'); // => 1
 * ```
 */
export function parseVocab(text: string, file = 'vocab.json'): Map<string, number> {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new TokenizerError(`${file}: expected a JSON object mapping token strings to ids, found ${Array.isArray(obj) ? 'an array' : typeof obj}`);
  }
  const vocab = new Map<string, number>();
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** 26) {
      throw new TokenizerError(`${file}: token ${JSON.stringify(k)} has id ${JSON.stringify(v)}, expected an integer in [0, 2^26)`);
    }
    vocab.set(k, v);
  }
  return vocab;
}

/**
 * Parse `merges.txt`: one merge per line, two symbols separated by whitespace; a first line
 * starting with `#version:` and blank lines are skipped; rank = order among the real lines.
 * A line with other than two symbols is a {@link TokenizerError} naming the line.
 *
 * @example
 * ```ts
 * import { parseMerges } from 'intern-s1-ts/internals';
 * parseMerges('#version: 0.2\nĠ t\nh e\n'); // => [['Ġ', 't'], ['h', 'e']]
 * ```
 */
export function parseMerges(text: string, file = 'merges.txt'): [string, string][] {
  const lines = text.split(/\r\n|\r|\n/);
  const merges: [string, string][] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if ((i === 0 && line.startsWith('#version:')) || line === '') continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) {
      throw new TokenizerError(`${file}: line ${i + 1} has ${parts.length} symbol(s), expected two separated by a space: ${JSON.stringify(line.slice(0, 80))}`);
    }
    merges.push([parts[0], parts[1]]);
  }
  return merges;
}

/** Work counters of the fast BPE (for tests that check linear behaviour without timing anything). */
export interface BpeStats {
  /**
   * Merges performed for the result: one per symbol removed (a long word's merges past a segment's
   * cut and in segments merged again as one are not counted; their pushes and lookups are).
   */
  merges: number;
  /** Entries pushed on the heap (long pre-tokens only). */
  heapPushes: number;
  /** Pair-table lookups. */
  lookups: number;
  /**
   * Most symbols one merge loop held at once (the size of its symbol, link and heap arrays): the
   * whole pre-token for the short and heap paths, one segment for the long-word path.
   */
  maxRun: number;
  /** Segments of long words kept (see {@link ByteLevelBPEOptions.segmentBytes}). */
  segments: number;
  /** Segment boundaries that a merge could have crossed, so that the two segments were merged again as one. */
  rejoins: number;
}

/** The construction options of {@link ByteLevelBPE}. */
export interface ByteLevelBPEOptions {
  /** Capacity of the pre-token → ids LRU cache (fast path only); 0 disables it. Default 65536. */
  cacheSize?: number;
  /**
   * Long-word segment size in bytes (fast path only; default {@link LONG_WORD_SEGMENT}, at least
   * 16; `Infinity` turns segmenting off). A pre-token longer than twice this is merged in segments
   * of about this size whose boundaries are proven never crossed by a merge, so that memory stays
   * O(segment) beyond the input and output instead of ~20 bytes per input byte. The ids are the
   * same for every value.
   */
  segmentBytes?: number;
}

/**
 * How the first or the last symbol of a segment changed during its merge loop: `syms[k]` was
 * that symbol from key `starts[k]` (−∞ for the initial byte) to key `starts[k + 1]` (+∞ after the
 * last), at byte position `pos[k]` of the whole word. Keys are `rank · 2^32 + position`.
 */
interface EndHistory {
  syms: number[];
  starts: number[];
  pos: number[];
}

/** One merged segment `[start, end)` of a long word. */
interface Segment {
  start: number;
  end: number;
  /** The ids (empty once they are in the output). */
  ids: Int32Array;
  /** Number of ids. */
  count: number;
  first: EndHistory;
  last: EndHistory;
  /** Merges inside `[start, end)`. */
  merges: number;
}

const INF = 0x7fffffff;

/**
 * A byte-level BPE model: `vocab.json` + `merges.txt` (tokenizer spec §1.3).
 *
 * @example
 * ```ts
 * import { ByteLevelBPE, bytesToUnicode } from 'intern-s1-ts/internals';
 * // a toy vocabulary: the 256 byte symbols plus 'Ġw' and 'Ġwo'
 * const vocab = new Map(bytesToUnicode().map((c, i) => [c, i] as [string, number]));
 * vocab.set('Ġw', 256).set('Ġwo', 257);
 * const bpe = new ByteLevelBPE(vocab, [['Ġ', 'w'], ['Ġw', 'o']]);
 * bpe.tokenize(' wow'); // => ['Ġwo', 'w']
 * ```
 */
export class ByteLevelBPE {
  /** Work counters (fast path only). */
  readonly stats: BpeStats = { merges: 0, heapPushes: 0, lookups: 0, maxRun: 0, segments: 0, rejoins: 0 };
  private readonly vocab: Map<string, number>;
  private readonly decoder: string[] = [];
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly pairs: PairTable;
  private readonly mergeResult: Int32Array;
  private textbook = false;
  private readonly cache: PieceCache;
  /** The pre-tokenizer regex in sticky mode (see `pieceEnd`). */
  private readonly sticky = pretokenizeRegex('uy');
  private readonly encoder = new TextEncoder();
  private readonly mergesList: readonly (readonly [string, string])[];
  private readonly segmentBytes: number;
  /** Byte length of each token id (its byte-level string has one character per byte), built on first use. */
  private idBytes?: Uint16Array;

  /** Build from the contents of `vocab.json` and `merges.txt`. */
  static fromText(vocabJson: string, mergesTxt: string, opts: ByteLevelBPEOptions = {}): ByteLevelBPE {
    return new ByteLevelBPE(parseVocab(vocabJson), parseMerges(mergesTxt), opts);
  }

  /**
   * @param vocab token string → id
   * @param merges merge rules in rank order
   * Throws {@link TokenizerError} when a byte symbol, a merge part or a merge result is missing from the vocabulary.
   */
  constructor(vocab: Map<string, number>, merges: readonly (readonly [string, string])[], opts: ByteLevelBPEOptions = {}) {
    this.vocab = vocab;
    this.mergesList = merges;
    for (const [t, id] of vocab) this.decoder[id] = t;
    this.pairs = new PairTable(merges.length);
    this.mergeResult = new Int32Array(merges.length);
    this.cache = new PieceCache(opts.cacheSize ?? 65536);
    const seg = opts.segmentBytes ?? LONG_WORD_SEGMENT;
    if (!(seg >= MIN_SEGMENT)) throw new TokenizerError(`ByteLevelBPE: segmentBytes must be a number ≥ ${MIN_SEGMENT} (or Infinity), got ${String(seg)}`);
    this.segmentBytes = seg;
    const table = bytesToUnicode();
    for (let b = 0; b < 256; b++) {
      const id = vocab.get(table[b]);
      if (id === undefined) {
        throw new TokenizerError(`vocab.json: the byte symbol ${JSON.stringify(table[b])} (byte 0x${b.toString(16).padStart(2, '0')}) is missing`);
      }
      this.byteIds[b] = id;
    }
    // creation[id] = the latest rank that produces id (-1 for byte symbols); used for the consistency check.
    const creation = new Map<number, number>();
    const ids: [number, number, number][] = [];
    merges.forEach(([a, b], rank) => {
      const l = vocab.get(a);
      const r = vocab.get(b);
      const p = vocab.get(a + b);
      const where = `merges.txt: merge ${rank + 1} (${JSON.stringify(a)} ${JSON.stringify(b)})`;
      if (l === undefined) throw new TokenizerError(`${where}: ${JSON.stringify(a)} is not in vocab.json`);
      if (r === undefined) throw new TokenizerError(`${where}: ${JSON.stringify(b)} is not in vocab.json`);
      if (p === undefined) throw new TokenizerError(`${where}: the result ${JSON.stringify(a + b)} is not in vocab.json`);
      this.pairs.set(l, r, rank);
      this.mergeResult[rank] = p;
      creation.set(p, Math.max(creation.get(p) ?? -1, rank));
      ids.push([l, r, rank]);
    });
    let consistent = true;
    for (const [l, r, rank] of ids) {
      if (this.pairs.get(l, r) !== rank) continue; // overwritten by a later duplicate line
      if ((creation.get(l) ?? -1) >= rank || (creation.get(r) ?? -1) >= rank) {
        consistent = false;
        break;
      }
    }
    this.textbook = !consistent;
  }

  /** Number of vocabulary entries. */
  get size(): number {
    return this.vocab.size;
  }

  /** The vocabulary entries (token string, id). */
  entries(): IterableIterator<[string, number]> {
    return this.vocab.entries();
  }

  /** The id of a token string, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** The token string of an id, or undefined. */
  idToToken(id: number): string | undefined {
    return this.decoder[id];
  }

  /** The merge rules in rank order, as given. */
  merges(): readonly (readonly [string, string])[] {
    return this.mergesList;
  }

  /**
   * BPE of one byte-level string (the Python `bpe` method): the symbols after all merges.
   * Every character must be a byte symbol.
   */
  bpe(token: string): string[] {
    const inv = unicodeToBytes();
    const bytes = new Uint8Array(token.length);
    for (let i = 0; i < token.length; i++) {
      const b = inv.get(token[i]);
      if (b === undefined) throw new TokenizerError(`bpe: ${JSON.stringify(token[i])} is not a byte symbol`);
      bytes[i] = b;
    }
    return Array.from(this.mergeBytes(bytes), (id) => this.decoder[id]);
  }

  /**
   * `_bpe_tokenize` (spec §1.3): `▁` → space, pre-tokenize, byte-map and merge each piece; the
   * token strings.
   */
  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.decoder[id]);
  }

  /** The ids of {@link tokenize}. */
  encode(text: string): number[] {
    const ids = new IntList();
    this.encodeToList(text, ids);
    return ids.toArray();
  }

  /** Append the ids of `text` to `out`. */
  encodeInto(text: string, out: number[]): void {
    const ids = new IntList();
    this.encodeToList(text, ids);
    for (let i = 0; i < ids.length; i++) out.push(ids.get(i));
  }

  /**
   * Append the ids of `text` to `out` (a typed list: a long word's millions of ids are not pushed
   * one by one onto a JavaScript array). Pre-tokens come from `pieceEnd` (a hand-made ASCII scanner
   * backed by the regex); each piece is looked up in the cache by its text range, without making
   * a substring unless it is new.
   */
  encodeToList(text: string, out: IntList): void {
    if (text.indexOf('\u2581') >= 0) text = text.replaceAll('\u2581', ' ');
    const byteIds = this.byteIds;
    const n = text.length;
    let p = 0;
    while (p < n) {
      const e = pieceEnd(text, p, this.sticky);
      if (e === p + 1) {
        const c = text.charCodeAt(p);
        if (c < 0x80) {
          out.push(byteIds[c]);
          p = e;
          continue;
        }
      }
      if (e - p > 2 * this.segmentBytes && !this.textbook) {
        // a long word: its segments go straight to `out` (not cached: longer than CACHE_MAX_KEY)
        this.mergeLong(this.utf8(text.slice(p, e)), out);
        p = e;
        continue;
      }
      const cacheable = e - p <= CACHE_MAX_KEY;
      const h = cacheable ? hashRange(text, p, e) : 0;
      let ids = cacheable ? this.cache.get(text, p, e, h) : undefined;
      if (ids === undefined) {
        const piece = text.slice(p, e);
        ids = this.mergeBytes(this.utf8(piece));
        if (cacheable) this.cache.set(piece, h, ids);
      }
      if (ids.length === 1) out.push(ids[0]);
      else out.pushAll(ids);
      p = e;
    }
  }

  private utf8(piece: string): Uint8Array {
    for (let i = 0; i < piece.length; i++) {
      if (piece.charCodeAt(i) >= 0x80) return this.encoder.encode(piece);
    }
    const bytes = new Uint8Array(piece.length);
    for (let i = 0; i < piece.length; i++) bytes[i] = piece.charCodeAt(i);
    return bytes;
  }

  /** Merge the byte symbols of one pre-token; returns ids. */
  private mergeBytes(bytes: Uint8Array): Int32Array {
    const n = bytes.length;
    if (!this.textbook && n > 2 * this.segmentBytes) {
      const out = new IntList();
      this.mergeLong(bytes, out);
      return out.toInt32Array();
    }
    const syms = this.byteSymbols(bytes, 0, n);
    if (n < 2) return syms;
    if (n > this.stats.maxRun) this.stats.maxRun = n;
    if (this.textbook) return this.mergeTextbook(syms);
    return n <= SHORT_WORD ? this.mergeShort(syms) : this.mergeHeap(syms);
  }

  private byteSymbols(bytes: Uint8Array, from: number, to: number): Int32Array {
    const syms = new Int32Array(to - from);
    for (let i = from; i < to; i++) syms[i - from] = this.byteIds[bytes[i]];
    return syms;
  }

  /**
   * A long pre-token, merged in segments (issue #12 item 8: the heap over the whole word took ~20
   * bytes per input byte). Exactness rests on three facts about the heap loop with merges in
   * training order (the loop pops keys `rank · 2^32 + position` in increasing order, and a new
   * pair always has a higher rank than the merge that made it):
   * 1. a position `b` is a token boundary of the result iff no merge joins symbols across it, and
   *    then the result is the merge of `[start, b)` alone followed by that of `[b, end)` alone;
   * 2. two pieces merged apart evolve exactly as inside their concatenation until the first merge
   *    across their boundary, and that merge happens iff at some moment the boundary pair (last
   *    symbol of the left, first symbol of the right) has a rank whose key comes before both
   *    symbols change again: {@link crossed} replays that from the histories of the two symbols
   *    ({@link EndHistory});
   * 3. by induction over the boundaries, if no boundary is crossed the concatenation of the
   *    pieces' results is the whole word's result.
   * Each segment merges `[start, c + w)` for a target cut `c` (a segment size past `start`) and a
   * margin `w`, keeps its tokens up to a token end `b` near `c` (exact by fact 1, and `b` is very
   * likely a token end of the whole word too, since the segment starts at one), and the next
   * segment starts at `b`. A boundary that fails the check of fact 2 is dropped: the two segments
   * are merged again as one reaching twice as far (a run of failures then costs O(n) in all,
   * the worst case being the whole word at once), so the result is always the whole-word result.
   */
  private mergeLong(bytes: Uint8Array, out: IntList): void {
    const n = bytes.length;
    const C = this.segmentBytes;
    // Each segment's ids go to `out` at once; a segment merged again is first taken back off its end.
    const done: Segment[] = [];
    let start = 0;
    while (start < n) {
      let seg = this.segment(bytes, start, start + C);
      while (done.length > 0 && this.crossed(done[done.length - 1].last, seg.first)) {
        const left = done.pop()!;
        out.truncate(out.length - left.count);
        this.stats.segments -= 2;
        this.stats.rejoins++;
        this.stats.merges -= left.merges + seg.merges;
        seg = this.segment(bytes, left.start, left.start + 2 * (seg.end - left.start));
      }
      out.pushAll(seg.ids);
      done.push({ ...seg, ids: EMPTY, count: seg.ids.length });
      start = seg.end;
    }
  }

  /**
   * Merge `bytes[start, min(n, c + w))` alone and keep its tokens up to a token end `b` near the
   * target cut `c` (`b = n` when the word ends within half a segment of `c`), with the histories
   * of the first symbol and of the symbol that ends at `b`.
   */
  private segment(bytes: Uint8Array, start: number, c: number): Segment {
    const n = bytes.length;
    const w = Math.min(256, this.segmentBytes >> 2);
    const end = n - c <= this.segmentBytes >> 1 ? n : c + w;
    // token ends are looked for in [lo, hi]: at least w / 2 away from the merged range's end
    const lo = end === n ? n : c - (w >> 1);
    const hi = end === n ? n : c + (w >> 1);
    const syms = this.byteSymbols(bytes, start, end);
    const first: EndHistory = { syms: [syms[0]], starts: [-Infinity], pos: [start] };
    const log: number[] = [];
    if (syms.length > this.stats.maxRun) this.stats.maxRun = syms.length;
    const m0 = this.stats.merges;
    const all = syms.length < 2 ? syms : this.mergeHeap(syms, { off: start, first, log, lo, hi });
    // the cut: the token end in [lo, hi] nearest c, else the end of the merged range
    const len = this.tokenBytes();
    let b = end;
    let count = all.length;
    if (end < n) {
      let best = Infinity;
      let p = start;
      for (let k = 0; k < all.length && p < hi; k++) {
        p += len[all[k]];
        if (p >= lo && p <= hi && Math.abs(p - c) < best) {
          best = Math.abs(p - c);
          b = p;
          count = k + 1;
        }
      }
    }
    // the history of the symbol that ends at b: its initial byte, then the merges that absorbed
    // the symbol ending at b (logged in key order as [key, left position, right end, new symbol])
    const last: EndHistory = { syms: [this.byteIds[bytes[b - 1]]], starts: [-Infinity], pos: [b - 1] };
    for (let k = 0; k < log.length; k += 4) {
      if (log[k + 2] !== b) continue;
      last.starts.push(log[k]);
      last.pos.push(log[k + 1]);
      last.syms.push(log[k + 3]);
    }
    const ids = count === all.length ? all : all.slice(0, count);
    // merges kept: one per byte removed from [start, b); those past b are work only
    const merges = b - start - ids.length;
    this.stats.merges = m0 + merges;
    this.stats.segments++;
    return { start, end: b, ids, count: ids.length, first, last, merges };
  }

  /**
   * Whether a merge of the whole word could cross the boundary between a segment whose last
   * symbol went through `left` and the next one whose first symbol went through `right` (see
   * {@link mergeLong}). For each pair of symbols that were both current at some moment, the pair's
   * heap entry (pushed when the later of the two appeared) pops at key `rank · 2^32 + position of
   * the left symbol`, unless one of the two changed before: the left one when its own left
   * neighbour absorbed it (a lower key), the right one when it absorbed its right neighbour.
   */
  private crossed(left: EndHistory, right: EndHistory): boolean {
    let a = 0;
    let b = 0;
    while (a < left.syms.length && b < right.syms.length) {
      const endA = a + 1 < left.syms.length ? left.starts[a + 1] : Infinity;
      const endB = b + 1 < right.syms.length ? right.starts[b + 1] : Infinity;
      const from = Math.max(left.starts[a], right.starts[b]);
      const to = Math.min(endA, endB);
      if (from < to) {
        const r = this.pairs.get(left.syms[a], right.syms[b]);
        if (r >= 0) {
          const key = r * KEY + left.pos[a];
          if (key > from && key < to) return true;
        }
      }
      if (endA < endB) a++;
      else b++;
    }
    return false;
  }

  private tokenBytes(): Uint16Array {
    if (!this.idBytes) {
      const t = new Uint16Array(this.decoder.length);
      for (let id = 0; id < this.decoder.length; id++) t[id] = this.decoder[id]?.length ?? 0;
      this.idBytes = t;
    }
    return this.idBytes;
  }

  private rank(l: number, r: number): number {
    this.stats.lookups++;
    const k = this.pairs.get(l, r);
    return k < 0 ? INF : k;
  }

  /** Array scan: find the leftmost lowest-rank pair, merge it, update its two neighbours' ranks. */
  private mergeShort(syms: Int32Array): Int32Array {
    let n = syms.length;
    if (n < 2) return syms;
    const ranks = new Int32Array(n - 1);
    for (let i = 0; i < n - 1; i++) ranks[i] = this.rank(syms[i], syms[i + 1]);
    for (;;) {
      let best = INF;
      let at = -1;
      for (let i = 0; i < n - 1; i++) {
        if (ranks[i] < best) {
          best = ranks[i];
          at = i;
        }
      }
      if (at < 0) break;
      this.stats.merges++;
      syms[at] = this.mergeResult[best];
      for (let i = at + 1; i < n - 1; i++) syms[i] = syms[i + 1];
      for (let i = at + 1; i < n - 2; i++) ranks[i] = ranks[i + 1];
      n--;
      if (at > 0) ranks[at - 1] = this.rank(syms[at - 1], syms[at]);
      if (at < n - 1) ranks[at] = this.rank(syms[at], syms[at + 1]);
    }
    return syms.slice(0, n);
  }

  /**
   * Heap over (rank, left position) with a linked list of live symbols: O(n log n) time. Memory is
   * O(n) with a fixed bound (issue #12 item 8): about 21 bytes per input byte (symbols, links, the
   * heap): when the heap is full, stale entries (pairs that changed since their push) are dropped
   * in place before it may grow, so it stays near its initial n entries.
   */
  private mergeHeap(syms: Int32Array, rec?: { off: number; first: EndHistory; log: number[]; lo: number; hi: number }): Int32Array {
    const n = syms.length;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    // syms[i] = -1 marks a symbol absorbed by its left neighbour
    const heap = new MinHeap(n);
    const live = (key: number): boolean => {
      const r = Math.floor(key / 4294967296);
      const i = key - r * 4294967296;
      const j = next[i];
      return syms[i] >= 0 && j >= 0 && this.pairs.get(syms[i], syms[j]) === r;
    };
    const push = (i: number): void => {
      const j = next[i];
      if (j < 0) return;
      const r = this.rank(syms[i], syms[j]);
      if (r !== INF) {
        if (heap.size === heap.capacity) {
          // drop stale entries; grow only when that frees less than a quarter (amortised O(1) per push)
          heap.retain(live);
          if (heap.size > heap.capacity * 0.75) heap.reserve(heap.capacity * 2);
        }
        heap.push(r * 4294967296 + i);
        this.stats.heapPushes++;
      }
    };
    for (let i = 0; i < n - 1; i++) push(i);
    while (heap.size > 0) {
      const key = heap.pop();
      if (!live(key)) continue; // stale: the left symbol was absorbed, or the pair changed since the push
      const r = Math.floor(key / 4294967296);
      const i = key - r * 4294967296;
      const j = next[i];
      this.stats.merges++;
      syms[i] = this.mergeResult[r];
      if (rec) {
        // the key of this merge inside the whole word; the first symbol changed, or a symbol
        // that ends where the segment may be cut was absorbed
        const at = r * KEY + rec.off + i;
        if (i === 0) {
          rec.first.syms.push(syms[i]);
          rec.first.starts.push(at);
          rec.first.pos.push(rec.off);
        }
        const end = rec.off + (next[j] < 0 ? n : next[j]);
        if ((end >= rec.lo && end <= rec.hi) || next[j] < 0) rec.log.push(at, rec.off + i, end, syms[i]);
      }
      syms[j] = -1;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) push(prev[i]);
      push(i);
    }
    let count = 0;
    for (let i = 0; i >= 0; i = next[i]) count++;
    const out = new Int32Array(count);
    let k = 0;
    for (let i = 0; i >= 0; i = next[i]) out[k++] = syms[i];
    return out;
  }

  /** The textbook loop, used only when the merges file is not ordered as BPE training writes it. */
  private mergeTextbook(syms: Int32Array): Int32Array {
    let word = Array.from(syms);
    for (;;) {
      let best = INF;
      for (let i = 0; i + 1 < word.length; i++) best = Math.min(best, this.rank(word[i], word[i + 1]));
      if (best === INF) break;
      const merged: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && this.pairs.get(word[i], word[i + 1]) === best) {
          merged.push(this.mergeResult[best]);
          this.stats.merges++;
          i++;
        } else {
          merged.push(word[i]);
        }
      }
      word = merged;
    }
    return Int32Array.from(word);
  }

  /** Whether this model fell back to the textbook loop (merges not in training order). */
  get usesTextbookLoop(): boolean {
    return this.textbook;
  }

  /** Cache counters: hits, misses, entries. */
  cacheStats(): {
    /** Pre-token lookups that found their ids in the cache. */
    hits: number;
    /** Pre-token lookups that did not (the pre-token was then merged). */
    misses: number;
    /** Entries in the cache now. */
    size: number;
  } {
    return { hits: this.cache.hits, misses: this.cache.misses, size: this.cache.size };
  }
}
