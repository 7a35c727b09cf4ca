/**
 * Reference byte-level BPE (tokenizer spec §1.3): the textbook merges loop on strings, as the
 * Python `bpe` method runs it. No cache, no typed arrays.
 *
 * @module
 */
import { byteLevelEncode, bytesToUnicode } from './bytes.js';
import { pretokenize } from './pretokenize.js';

/** Parse `vocab.json` (token string → id). */
export function parseVocab(text: string, file = 'vocab.json'): Map<string, number> {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new Error(`${file}: expected a JSON object mapping token strings to ids`);
  }
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(obj as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= 2 ** 26) {
      throw new Error(`${file}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, expected an integer in [0, 2^26)`);
    }
    vocab.set(token, id);
  }
  return vocab;
}

/** Parse `merges.txt`: skip a first `#version:` line and blank lines; two symbols per line. */
export function parseMerges(text: string, file = 'merges.txt'): [string, string][] {
  const merges: [string, string][] = [];
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const line = raw.trim();
    if ((i === 0 && line.startsWith('#version:')) || line === '') return;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) throw new Error(`${file}: line ${i + 1} has ${parts.length} symbol(s), expected two`);
    merges.push([parts[0], parts[1]]);
  });
  return merges;
}

/** Options of {@link ByteLevelBPE} (the reference has no cache and no segmenting; the options are accepted and ignored). */
export interface ByteLevelBPEOptions {
  /** The fast path's cache capacity; accepted and ignored here. */
  cacheSize?: number;
  /** The fast path's long-word segment size; accepted and ignored here (the textbook loop merges a word whole). */
  segmentBytes?: number;
}

/** A byte-level BPE model: `vocab.json` + `merges.txt`. */
export class ByteLevelBPE {
  private readonly vocab: Map<string, number>;
  private readonly decoder = new Map<number, string>();
  /** "left right" → rank (a later duplicate line wins, as Python's dict does). */
  private readonly ranks = new Map<string, number>();
  private readonly mergesList: readonly (readonly [string, string])[];

  /** Build from the contents of `vocab.json` and `merges.txt`. */
  static fromText(vocabJson: string, mergesTxt: string, opts: ByteLevelBPEOptions = {}): ByteLevelBPE {
    return new ByteLevelBPE(parseVocab(vocabJson), parseMerges(mergesTxt), opts);
  }

  constructor(vocab: Map<string, number>, merges: readonly (readonly [string, string])[], _opts: ByteLevelBPEOptions = {}) {
    this.vocab = vocab;
    this.mergesList = merges;
    for (const [token, id] of vocab) this.decoder.set(id, token);
    for (const c of bytesToUnicode()) {
      if (!vocab.has(c)) throw new Error(`vocab.json: the byte symbol ${JSON.stringify(c)} is missing`);
    }
    merges.forEach(([a, b], rank) => {
      for (const s of [a, b, a + b]) {
        if (!vocab.has(s)) throw new Error(`merges.txt: merge ${rank + 1}: ${JSON.stringify(s)} is not in vocab.json`);
      }
      this.ranks.set(`${a} ${b}`, rank);
    });
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
    return this.decoder.get(id);
  }

  /** The merge rules in rank order. */
  merges(): readonly (readonly [string, string])[] {
    return this.mergesList;
  }

  /**
   * The textbook loop on one byte-level string: start from single characters; find the adjacent
   * pair with the lowest rank; merge every occurrence of it left to right without overlap; repeat
   * until no adjacent pair has a rank.
   */
  bpe(token: string): string[] {
    let word = Array.from(token);
    for (;;) {
      let best: string | undefined;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = `${word[i]} ${word[i + 1]}`;
        }
      }
      if (best === undefined) return word;
      const merged: string[] = [];
      let i = 0;
      while (i < word.length) {
        if (i + 1 < word.length && `${word[i]} ${word[i + 1]}` === best) {
          merged.push(word[i] + word[i + 1]);
          i += 2;
        } else {
          merged.push(word[i]);
          i += 1;
        }
      }
      word = merged;
    }
  }

  /** `_bpe_tokenize`: `▁` → space, pre-tokenize, byte-map each piece, run {@link bpe}. */
  tokenize(text: string): string[] {
    const tokens: string[] = [];
    for (const piece of pretokenize(text.replaceAll('\u2581', ' '))) {
      for (const t of this.bpe(byteLevelEncode(piece))) tokens.push(t);
    }
    return tokens;
  }

  /** The ids of {@link tokenize}. */
  encode(text: string): number[] {
    return this.tokenize(text).map((t) => this.vocab.get(t)!);
  }

  /** Append the ids of `text` to `out`. */
  encodeInto(text: string, out: number[]): void {
    for (const id of this.encode(text)) out.push(id);
  }
}
