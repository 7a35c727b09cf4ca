/**
 * Reference sentencepiece models (tokenizer spec §1.4): the `.model` protobuf is read by the one
 * shared parser (src/tokenizer/sentencepiece-proto.ts: parsing computes nothing, so it has no
 * twin), and the two encoders are written as their definitions:
 * - BPE: look at every adjacent pair, merge the one forming the highest-scoring piece (leftmost
 *   on ties), repeat until no pair forms a piece;
 * - UNIGRAM: Viterbi; for each end position try every start, keep the best path (float32 sums,
 *   the earlier start on ties), an unknown character costing `min_score − 10`.
 * Then runs of unknown pieces are fused into one, whose string is the surface text.
 *
 * @module
 */

import { type SentencePieceModelProto, parseSentencePieceModel } from '../../src/tokenizer/sentencepiece-proto.js';

export { SENTENCEPIECE_SCHEMA, parseSentencePieceModel, type SentencePieceModelProto, type PieceType } from '../../src/tokenizer/sentencepiece-proto.js';

/** Piece strings (unknown runs as their surface) and ids. */
export interface SentencePieceEncoding {
  /** Piece strings, in order (an unknown run appears as its surface text). */
  pieces: string[];
  /** Piece ids within this model (no domain offset; an unknown run gets the UNKNOWN piece's id). */
  ids: number[];
}

/** One domain sentencepiece model (pieces, scores, unigram Viterbi encoder), parsed from a `.model` file. */
export class SentencePieceModel {
  /** The parsed file. */
  readonly proto: SentencePieceModelProto;
  /** Id of the model's single UNKNOWN piece. */
  readonly unkId: number;
  /** Name used in error messages (the file name). */
  readonly name: string;
  /** piece string → id. */
  private readonly ids = new Map<string, number>();

  /** Parse and build from the bytes of a `.model` file. */
  static fromBytes(bytes: Uint8Array, name = 'model'): SentencePieceModel {
    return new SentencePieceModel(parseSentencePieceModel(bytes, name), name);
  }

  constructor(proto: SentencePieceModelProto, name = 'model') {
    this.proto = proto;
    this.name = name;
    const { pieces, trainerSpec, normalizerSpec } = proto;
    if (pieces.length === 0) throw new Error(`${name}: the model has no pieces`);
    if (trainerSpec.modelType !== 'BPE' && trainerSpec.modelType !== 'UNIGRAM') throw new Error(`${name}: model_type ${trainerSpec.modelType} is not supported`);
    if (trainerSpec.byteFallback) throw new Error(`${name}: byte_fallback models are not supported`);
    if (trainerSpec.treatWhitespaceAsSuffix) throw new Error(`${name}: treat_whitespace_as_suffix is not supported`);
    if (normalizerSpec.precompiledCharsmap.length > 0) throw new Error(`${name}: only the identity normalizer is supported`);
    pieces.forEach((p, id) => {
      if (p.piece === '') throw new Error(`${name}: a piece is empty`);
      if (this.ids.has(p.piece)) throw new Error(`${name}: piece ${JSON.stringify(p.piece)} is defined twice`);
      this.ids.set(p.piece, id);
    });
    const unknowns = pieces.flatMap((p, i) => (p.type === 'UNKNOWN' ? [i] : []));
    if (unknowns.length !== 1) throw new Error(`${name}: expected exactly one UNKNOWN piece, found ${unknowns.length}`);
    this.unkId = unknowns[0];
  }

  /** The segmentation algorithm (only BPE and UNIGRAM are supported). */
  get modelType(): 'BPE' | 'UNIGRAM' {
    return this.proto.trainerSpec.modelType as 'BPE' | 'UNIGRAM';
  }

  /** Number of pieces (the model's vocabulary size). */
  get size(): number {
    return this.proto.pieces.length;
  }

  /** The id of a piece string; the UNKNOWN id when it is not in the vocabulary. */
  pieceToId(piece: string): number {
    return this.ids.get(piece) ?? this.unkId;
  }

  /** The piece string of an id; throws when the id is out of range. */
  idToPiece(id: number): string {
    if (id < 0 || id >= this.size) throw new Error(`${this.name}: id ${id} is out of range`);
    return this.proto.pieces[id].piece;
  }

  /** The id of `piece` if the encoder may produce it (NORMAL, USER_DEFINED), else undefined. */
  private usable(piece: string): number | undefined {
    const id = this.ids.get(piece);
    if (id === undefined) return undefined;
    const type = this.proto.pieces[id].type;
    return type === 'NORMAL' || type === 'USER_DEFINED' ? id : undefined;
  }

  /**
   * Empty-charsmap normaliser (sentencepiece `Normalizer::Normalize`): with remove_extra_whitespaces,
   * drop leading spaces and squeeze runs; dummy prefix; spaces → `▁`; drop trailing `▁`.
   */
  normalize(text: string): string {
    const spec = this.proto.normalizerSpec;
    if (text === '') return text;
    if (spec.removeExtraWhitespaces) {
      text = text.replace(/^ +/, '');
      text = text.replace(/ {2,}/g, ' ');
    }
    if (spec.addDummyPrefix) text = ' ' + text;
    if (spec.escapeWhitespaces) text = text.replaceAll(' ', '\u2581');
    if (spec.removeExtraWhitespaces) {
      const space = spec.escapeWhitespaces ? '\u2581' : ' ';
      while (text.endsWith(space)) text = text.slice(0, -1);
    }
    return text;
  }

  /** Code points, with USER_DEFINED pieces kept whole (longest first). */
  private initialSymbols(text: string): string[] {
    const userDefined = this.proto.pieces.filter((p) => p.type === 'USER_DEFINED').map((p) => p.piece);
    userDefined.sort((a, b) => b.length - a.length);
    const symbols: string[] = [];
    let i = 0;
    while (i < text.length) {
      const s = userDefined.find((p) => text.startsWith(p, i)) ?? String.fromCodePoint(text.codePointAt(i)!);
      symbols.push(s);
      i += s.length;
    }
    return symbols;
  }

  private encodeBpe(text: string): string[] {
    const symbols = this.initialSymbols(text);
    for (;;) {
      let best = -1;
      let bestScore = -Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const id = this.usable(symbols[i] + symbols[i + 1]);
        if (id !== undefined && this.proto.pieces[id].score > bestScore) {
          bestScore = this.proto.pieces[id].score;
          best = i;
        }
      }
      if (best < 0) return symbols;
      symbols.splice(best, 2, symbols[best] + symbols[best + 1]);
    }
  }

  private encodeUnigram(text: string): string[] {
    const symbols = this.initialSymbols(text);
    const n = symbols.length;
    const normalScores = this.proto.pieces.filter((p) => p.type === 'NORMAL').map((p) => p.score);
    const minScore = normalScores.length ? Math.min(...normalScores) : 0;
    const maxScore = normalScores.length ? Math.max(...normalScores) : 0;
    const unkScore = Math.fround(minScore - 10);
    // best[end]: the float32 score of the best path to `end` and where its last piece starts.
    const best: { score: number; start: number }[] = [{ score: 0, start: -1 }];
    for (let end = 1; end <= n; end++) {
      let chosen: { score: number; start: number } | undefined;
      for (let start = 0; start < end; start++) {
        const piece = symbols.slice(start, end).join('');
        const id = this.usable(piece);
        let total: number | undefined;
        if (id !== undefined) {
          const p = this.proto.pieces[id];
          const score = p.type === 'USER_DEFINED' ? new TextEncoder().encode(piece).length * maxScore - 0.1 : p.score;
          total = score + best[start].score; // a double, compared against the stored float32
        } else if (end === start + 1) {
          total = Math.fround(unkScore + best[start].score); // an unknown single character (float arithmetic)
        }
        if (total === undefined) continue;
        if (chosen === undefined || total > chosen.score) chosen = { score: Math.fround(total), start };
      }
      best.push(chosen!);
    }
    const pieces: string[] = [];
    for (let end = n; end > 0; end = best[end].start) pieces.unshift(symbols.slice(best[end].start, end).join(''));
    return pieces;
  }

  /** Normalise, run the model, map to ids, fuse runs of unknown pieces. */
  encode(text: string): SentencePieceEncoding {
    const normalized = this.normalize(text);
    const symbols = this.modelType === 'BPE' ? this.encodeBpe(normalized) : this.encodeUnigram(normalized);
    const out: SentencePieceEncoding = { pieces: [], ids: [] };
    let previousUnknown = false;
    for (const s of symbols) {
      const id = this.usable(s) ?? this.unkId;
      const unknown = id === this.unkId;
      if (unknown && previousUnknown) out.pieces[out.pieces.length - 1] += s;
      else {
        out.pieces.push(s);
        out.ids.push(id);
      }
      previousUnknown = unknown;
    }
    return out;
  }
}
