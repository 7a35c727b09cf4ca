/**
 * SentencePiece `.model` files and their encoders (tokenizer spec §1.4), fast path.
 *
 * The file is a `sentencepiece.ModelProto` (proto2) message, parsed with protobufjs reflection
 * from the schema below; absent fields take their proto2 defaults (`add_dummy_prefix`,
 * `remove_extra_whitespaces` and `escape_whitespaces` default to true, `model_type` to UNIGRAM).
 *
 * Encoders for the two model types that matter:
 * - **BPE** (the Intern-S1-Pro SMILES / PROT / XNA models): start from code points; repeatedly
 *   merge the adjacent pair whose concatenation is a NORMAL or USER_DEFINED piece with the highest
 *   score, leftmost on ties (a heap with stale entries skipped, as sentencepiece's `bpe_model.cc`);
 * - **UNIGRAM** (kept for other checkpoints and for test models): Viterbi over all pieces, an
 *   unknown character costing `min_score − 10`, ties kept by the earlier start (sentencepiece's
 *   `EncodeOptimized`, float32 sums).
 * Runs of adjacent unknown pieces are fused into one unknown piece whose string is the normalised
 * surface text (`Cl??Br` → `Cl`, `??`, `Br`), as `SentencePieceProcessor::Encode` does.
 *
 * Supported normaliser: an empty `precompiled_charsmap` (the `identity` rule), with
 * `remove_extra_whitespaces`, `add_dummy_prefix` and `escape_whitespaces` honoured. Models with a
 * non-empty charsmap, `byte_fallback` or `treat_whitespace_as_suffix` are rejected with a
 * {@link TokenizerError} rather than encoded differently from sentencepiece.
 *
 * @module
 */
import { TokenizerError } from '../errors.js';
import { PieceCache, hashRange } from '../util/lru.js';
import { MinHeap } from '../util/heap.js';
import { PairTable } from '../util/pair-table.js';
import { type SentencePieceModelProto, parseSentencePieceModel } from './sentencepiece-proto.js';

export { SENTENCEPIECE_SCHEMA, parseSentencePieceModel, type SentencePieceModelProto, type PieceType } from './sentencepiece-proto.js';

/** Result of {@link SentencePieceModel.encode}: piece strings (unknown runs as their surface) and ids. */
export interface SentencePieceEncoding {
  /** Piece strings, in order (an unknown run appears as its surface text). */
  pieces: string[];
  /** Piece ids within this model (no domain offset; an unknown run gets the UNKNOWN piece's id). */
  ids: number[];
}

/**
 * One sentencepiece model (tokenizer spec §1.4).
 *
 * @example
 * ```ts
 * import { SentencePieceModel } from 'intern-s1-ts';
 * import { readFileSync } from 'node:fs';
 * const dir = process.env.INTERN_S1_PRO_FILES;
 * if (dir) {
 *   const sp = SentencePieceModel.fromBytes(readFileSync(`${dir}/tokenizer_SMILES.model`), 'SMILES');
 *   sp.encode('Cl??Br'); // => { pieces: ['Cl', '??', 'Br'], ids: [77, 0, 78] }
 * }
 * ```
 */
export class SentencePieceModel {
  /** The parsed file. */
  readonly proto: SentencePieceModelProto;
  /** The id of the UNKNOWN piece. */
  readonly unkId: number;
  /** Where the model came from (used in error messages). */
  readonly name: string;
  private readonly pieceIds = new Map<string, number>();
  /** Pieces the encoder may produce: NORMAL and USER_DEFINED (never CONTROL, UNKNOWN, UNUSED, BYTE). */
  private readonly mergeable = new Map<string, number>();
  private readonly scores: Float32Array;
  private readonly userDefined: string[] = [];
  private readonly maxPieceLength: number;
  private readonly minScore: number;
  private readonly maxScore: number;
  /** Span cache: short spans only (long ones rarely repeat). */
  private readonly cache = new PieceCache<SentencePieceEncoding>(1024);
  /** BPE id path: (left piece, right piece) → merged piece, and each piece's priority (dense rank of score, 0 = best). */
  private readonly pairs?: PairTable;
  private readonly priority?: Int32Array;
  /** Single code points that are pieces → their id (the id path's initial symbols): BMP in a table, astral in a map. */
  private readonly charIds = new Map<number, number>();
  private readonly bmpIds = new Int32Array(65536).fill(-1);
  private keys = new Float64Array(64);
  private buf = new Int32Array(256);
  private readonly heap = new MinHeap(64);

  /** Parse and build from the bytes of a `.model` file. */
  static fromBytes(bytes: Uint8Array, name = 'model'): SentencePieceModel {
    return new SentencePieceModel(parseSentencePieceModel(bytes, name), name);
  }

  constructor(proto: SentencePieceModelProto, name = 'model') {
    this.proto = proto;
    this.name = name;
    const { pieces, trainerSpec: t, normalizerSpec: n } = proto;
    if (pieces.length === 0) throw new TokenizerError(`${name}: the model has no pieces`);
    if (t.modelType !== 'BPE' && t.modelType !== 'UNIGRAM') {
      throw new TokenizerError(`${name}: model_type ${t.modelType} is not supported (only BPE and UNIGRAM)`);
    }
    if (t.byteFallback) throw new TokenizerError(`${name}: byte_fallback models are not supported`);
    if (t.treatWhitespaceAsSuffix) throw new TokenizerError(`${name}: treat_whitespace_as_suffix is not supported`);
    if (n.precompiledCharsmap.length > 0) {
      throw new TokenizerError(`${name}: normalizer '${n.name}' has a precompiled charsmap; only the identity normalizer is supported`);
    }
    this.scores = new Float32Array(pieces.length);
    let unk = -1;
    let maxLen = 1;
    let minScore = Infinity;
    let maxScore = -Infinity;
    pieces.forEach((p, i) => {
      if (typeof p.piece !== 'string' || p.piece.length === 0) throw new TokenizerError(`${name}: piece ${i} is empty`);
      if (this.pieceIds.has(p.piece)) throw new TokenizerError(`${name}: piece ${JSON.stringify(p.piece)} is defined twice (ids ${this.pieceIds.get(p.piece)} and ${i})`);
      this.pieceIds.set(p.piece, i);
      this.scores[i] = p.score;
      if (p.type === 'UNKNOWN') {
        if (unk >= 0) throw new TokenizerError(`${name}: more than one UNKNOWN piece (ids ${unk} and ${i})`);
        unk = i;
      }
      if (p.type === 'NORMAL' || p.type === 'USER_DEFINED') {
        this.mergeable.set(p.piece, i);
        maxLen = Math.max(maxLen, [...p.piece].length);
      }
      if (p.type === 'USER_DEFINED') this.userDefined.push(p.piece);
      if (p.type === 'NORMAL') {
        minScore = Math.min(minScore, p.score);
        maxScore = Math.max(maxScore, p.score);
      }
    });
    if (unk < 0) throw new TokenizerError(`${name}: the model has no UNKNOWN piece`);
    this.unkId = unk;
    this.maxPieceLength = maxLen;
    this.minScore = minScore === Infinity ? 0 : minScore;
    this.maxScore = maxScore === -Infinity ? 0 : maxScore;
    this.userDefined.sort((a, b) => b.length - a.length);
    if (t.modelType === 'BPE' && this.userDefined.length === 0) {
      // The id path needs every merge to be between pieces: true when every piece of two or more
      // code points starts and ends with a code point that is itself a piece (an unknown
      // character can then never be part of a merge). Otherwise the string path is used.
      let closed = true;
      for (const [piece, id] of this.mergeable) {
        const cps = Array.from(piece);
        if (cps.length === 1) {
          const cp = piece.codePointAt(0)!;
          if (cp < 65536) this.bmpIds[cp] = id;
          else this.charIds.set(cp, id);
        }
      }
      for (const piece of this.mergeable.keys()) {
        const cps = Array.from(piece);
        if (cps.length > 1 && (!this.mergeable.has(cps[0]) || !this.mergeable.has(cps[cps.length - 1]))) closed = false;
      }
      if (closed) {
        const distinct = [...new Set([...this.mergeable.values()].map((id) => this.scores[id]))].sort((a, b) => b - a);
        const rankOf = new Map(distinct.map((sc, k) => [sc, k] as [number, number]));
        this.priority = new Int32Array(pieces.length);
        for (const id of this.mergeable.values()) this.priority[id] = rankOf.get(this.scores[id])!;
        let splits = 0;
        for (const piece of this.mergeable.keys()) splits += piece.length;
        this.pairs = new PairTable(splits);
        for (const [piece, id] of this.mergeable) {
          const cps = Array.from(piece);
          let left = '';
          for (let k = 1; k < cps.length; k++) {
            left += cps[k - 1];
            const l = this.mergeable.get(left);
            const r = this.mergeable.get(cps.slice(k).join(''));
            if (l !== undefined && r !== undefined) this.pairs.set(l, r, id);
          }
        }
      }
    }
  }

  /** `'BPE'` or `'UNIGRAM'`. */
  get modelType(): 'BPE' | 'UNIGRAM' {
    return this.proto.trainerSpec.modelType as 'BPE' | 'UNIGRAM';
  }

  /** Number of pieces. */
  get size(): number {
    return this.proto.pieces.length;
  }

  /** sentencepiece's `PieceToId`: the piece's id, or {@link unkId} when it is not a piece. */
  pieceToId(piece: string): number {
    return this.pieceIds.get(piece) ?? this.unkId;
  }

  /** sentencepiece's `IdToPiece`; throws for an id out of range. */
  idToPiece(id: number): string {
    const p = this.proto.pieces[id];
    if (!p) throw new TokenizerError(`${this.name}: id ${id} is out of range [0, ${this.size})`);
    return p.piece;
  }

  /**
   * The normaliser with an empty charsmap, as sentencepiece's `Normalizer::Normalize`: with
   * `remove_extra_whitespaces`, leading spaces are dropped and runs of spaces squeezed; then the
   * dummy prefix; then spaces → `▁`; finally trailing `▁` (also literal ones) are dropped.
   */
  normalize(text: string): string {
    const n = this.proto.normalizerSpec;
    if (text.length === 0) return text;
    if (n.removeExtraWhitespaces) text = text.replace(/^ +/, '').replace(/ {2,}/g, ' ');
    if (n.addDummyPrefix) text = ' ' + text;
    if (n.escapeWhitespaces) text = text.replaceAll(' ', '\u2581');
    if (n.removeExtraWhitespaces) text = text.replace(n.escapeWhitespaces ? /\u2581+$/ : / +$/, '');
    return text;
  }

  /** Encode `text`: normalise, run the model, fuse unknown runs. */
  encode(text: string): SentencePieceEncoding {
    const e = this.encodeShared(text);
    return { pieces: e.pieces.slice(), ids: e.ids.slice() };
  }

  /**
   * {@link encode} returning the cached arrays themselves (no copy); callers must not mutate them.
   * @internal
   */
  encodeShared(text: string): Readonly<SentencePieceEncoding> {
    const cacheable = text.length <= 64;
    const h = cacheable ? hashRange(text, 0, text.length) : 0;
    const cached = cacheable ? this.cache.get(text, 0, text.length, h) : undefined;
    if (cached) return cached;
    if (this.pairs) {
      const res = this.encodeBpeIds(this.normalize(text));
      if (cacheable) this.cache.set(text, h, res);
      return res;
    }
    const symbols = this.modelType === 'BPE' ? this.encodeBpe(this.normalize(text)) : this.encodeUnigram(this.normalize(text));
    const out: SentencePieceEncoding = { pieces: [], ids: [] };
    let prevUnk = false;
    for (const s of symbols) {
      const id = this.mergeable.get(s) ?? this.unkId;
      const unk = id === this.unkId;
      if (unk && prevUnk) out.pieces[out.pieces.length - 1] += s;
      else {
        out.pieces.push(s);
        out.ids.push(id);
      }
      prevUnk = unk;
    }
    if (cacheable) this.cache.set(text, h, out);
    return out;
  }

  /** Initial symbols: code points, with USER_DEFINED pieces kept whole (longest first). */
  private initialSymbols(text: string): string[] {
    if (this.userDefined.length === 0) return Array.from(text);
    const out: string[] = [];
    let i = 0;
    while (i < text.length) {
      const u = this.userDefined.find((p) => text.startsWith(p, i));
      const s = u ?? String.fromCodePoint(text.codePointAt(i)!);
      out.push(s);
      i += s.length;
    }
    return out;
  }

  /**
   * sentencepiece BPE on piece ids: a min-heap of (priority, left position) over adjacent pairs
   * that form a piece; stale entries are skipped (the pair at `left` no longer has that priority).
   * Pieces of equal score share a priority, so ties go to the leftmost pair, as in sentencepiece.
   */
  private encodeBpeIds(text: string): SentencePieceEncoding {
    const n0 = text.length;
    if (this.buf.length < 4 * (n0 + 1)) this.buf = new Int32Array(4 * (n0 + 1) + 256);
    const stride = n0 + 1;
    const sym = this.buf.subarray(0, stride);
    const start = this.buf.subarray(stride, 2 * stride);
    const next = this.buf.subarray(2 * stride, 3 * stride);
    const prev = this.buf.subarray(3 * stride, 4 * stride);
    let n = 0;
    const bmp = this.bmpIds;
    for (let i = 0; i < n0; ) {
      const c = text.charCodeAt(i);
      start[n] = i;
      if (c < 0xd800 || c > 0xdbff || i + 1 >= n0) {
        sym[n++] = bmp[c];
        i += 1;
      } else {
        const cp = text.codePointAt(i)!;
        sym[n++] = cp > 0xffff ? this.charIds.get(cp) ?? -1 : bmp[c];
        i += cp > 0xffff ? 2 : 1;
      }
    }
    start[n] = n0;
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const pairs = this.pairs!;
    const priority = this.priority!;
    const heap = this.heap;
    if (this.keys.length < n) this.keys = new Float64Array(2 * n);
    const keys = this.keys;
    let k0 = 0;
    for (let i = 0; i + 1 < n; i++) {
      if (sym[i] < 0 || sym[i + 1] < 0) continue;
      const m = pairs.get(sym[i], sym[i + 1]);
      if (m >= 0) keys[k0++] = priority[m] * 4294967296 + i;
    }
    heap.heapify(keys, k0);
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / 4294967296);
      const l = key - rank * 4294967296;
      const r = next[l];
      if (sym[l] < 0 || r < 0 || sym[r] < 0) continue; // also covers an absorbed l (sym set to -2)
      const m = pairs.get(sym[l], sym[r]);
      if (m < 0 || priority[m] !== rank) continue;
      sym[l] = m;
      sym[r] = -2;
      const rr = next[r];
      next[l] = rr;
      if (rr >= 0) {
        prev[rr] = l;
        if (sym[rr] >= 0) {
          const m2 = pairs.get(m, sym[rr]);
          if (m2 >= 0) heap.push(priority[m2] * 4294967296 + l);
        }
      }
      const pl = prev[l];
      if (pl >= 0 && sym[pl] >= 0) {
        const m1 = pairs.get(sym[pl], m);
        if (m1 >= 0) heap.push(priority[m1] * 4294967296 + pl);
      }
    }
    const out: SentencePieceEncoding = { pieces: [], ids: [] };
    const pieces = this.proto.pieces;
    let unkFrom = -1;
    for (let i = 0; n > 0 && i >= 0; i = next[i]) {
      const end = next[i] >= 0 ? start[next[i]] : n0;
      if (sym[i] >= 0) {
        if (unkFrom >= 0) {
          out.pieces.push(text.slice(unkFrom, start[i]));
          out.ids.push(this.unkId);
          unkFrom = -1;
        }
        out.pieces.push(pieces[sym[i]].piece);
        out.ids.push(sym[i]);
      } else if (unkFrom < 0) unkFrom = start[i];
      if (next[i] < 0 && unkFrom >= 0) {
        out.pieces.push(text.slice(unkFrom, end));
        out.ids.push(this.unkId);
      }
    }
    return out;
  }

  /** sentencepiece BPE, string path: a max-heap of (score, left) over adjacent pairs that form a piece. */
  private encodeBpe(text: string): string[] {
    const sym = this.initialSymbols(text);
    const n = sym.length;
    if (n < 2) return sym;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new PairHeap();
    const add = (l: number, r: number): void => {
      if (l < 0 || r < 0) return;
      const id = this.mergeable.get(sym[l] + sym[r]);
      if (id === undefined) return;
      heap.push(this.scores[id], l, r, sym[l].length + sym[r].length);
    };
    for (let i = 0; i + 1 < n; i++) add(i, i + 1);
    while (heap.size > 0) {
      const { left, right, length } = heap.pop();
      if (sym[left] === '' || sym[right] === '' || sym[left].length + sym[right].length !== length) continue;
      sym[left] += sym[right];
      sym[right] = '';
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      add(prev[left], left);
      add(left, next[left]);
    }
    const out: string[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
    return out;
  }

  /** sentencepiece unigram `EncodeOptimized`: Viterbi over code points, float32 path scores. */
  private encodeUnigram(text: string): string[] {
    const cps = this.initialSymbols(text); // user-defined pieces are one position each
    const n = cps.length;
    const bestScore = new Float32Array(n + 1);
    const startAt = new Int32Array(n + 1).fill(-1);
    const unkScore = Math.fround(this.minScore - 10);
    for (let s = 0; s < n; s++) {
      const base = bestScore[s];
      let piece = '';
      let hasSingle = false;
      for (let e = s + 1; e <= n && e - s <= this.maxPieceLength; e++) {
        piece += cps[e - 1];
        const id = this.mergeable.get(piece);
        if (id === undefined) continue;
        const p = this.proto.pieces[id];
        // As in sentencepiece: `score` is a double (the user-defined branch makes the ternary
        // double), so the candidate is compared in double against the stored float32 path score.
        const score = p.type === 'USER_DEFINED' ? utf8Length(piece) * this.maxScore - 0.1 : this.scores[id];
        const cand = score + base;
        if (startAt[e] === -1 || cand > bestScore[e]) {
          bestScore[e] = cand; // rounded to float32 on store
          startAt[e] = s;
        }
        if (e === s + 1) hasSingle = true;
      }
      if (!hasSingle) {
        const cand = Math.fround(unkScore + base); // float + float in C++
        if (startAt[s + 1] === -1 || cand > bestScore[s + 1]) {
          bestScore[s + 1] = cand;
          startAt[s + 1] = s;
        }
      }
    }
    const out: string[] = [];
    for (let e = n; e > 0; e = startAt[e]) out.push(cps.slice(startAt[e], e).join(''));
    return out.reverse();
  }
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Max-heap of adjacent pairs by (score desc, left asc), in parallel growable arrays. */
class PairHeap {
  private score = new Float64Array(64);
  private left = new Int32Array(64);
  private right = new Int32Array(64);
  private len = new Int32Array(64);
  size = 0;

  private before(i: number, j: number): boolean {
    return this.score[i] > this.score[j] || (this.score[i] === this.score[j] && this.left[i] < this.left[j]);
  }

  private swap(i: number, j: number): void {
    const s = this.score[i], l = this.left[i], r = this.right[i], n = this.len[i];
    this.score[i] = this.score[j]; this.left[i] = this.left[j]; this.right[i] = this.right[j]; this.len[i] = this.len[j];
    this.score[j] = s; this.left[j] = l; this.right[j] = r; this.len[j] = n;
  }

  push(score: number, left: number, right: number, len: number): void {
    if (this.size === this.score.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.score = grow(this.score); this.left = grow(this.left); this.right = grow(this.right); this.len = grow(this.len);
    }
    let i = this.size++;
    this.score[i] = score; this.left[i] = left; this.right[i] = right; this.len[i] = len;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): { left: number; right: number; length: number } {
    const top = { left: this.left[0], right: this.right[0], length: this.len[0] };
    this.size--;
    if (this.size > 0) {
      this.swap(0, this.size);
      let i = 0;
      for (;;) {
        const a = 2 * i + 1;
        const b = a + 1;
        let m = i;
        if (a < this.size && this.before(a, m)) m = a;
        if (b < this.size && this.before(b, m)) m = b;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}
