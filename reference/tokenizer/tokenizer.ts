/**
 * Reference Intern-S1 dynamic tokenizer (tokenizer spec §1.5–1.8), written step by step as the
 * original `tokenize`, `convert_tokens_to_ids` and `_decode`: token strings first, then ids by
 * re-reading the strings with a second stack.
 *
 * @module
 */
import { AddedTokenSplitter } from './added.js';
import { ByteLevelBPE, parseMerges, parseVocab } from './bpe.js';
import { byteLevelDecode } from './bytes.js';
import type { DetectorKind, FlavourConfig } from '../../src/tokenizer/config.js';
import { type Detector, fastaDetector, proteinDetector, reSplit, smilesDetector, xnaDetector } from './detectors.js';
import { type AddedTokenInfo, type SpecialTokens, type TokenizerFiles, parseJsonFile, readAddedTokens, readSpecialTokens } from '../../src/tokenizer/files.js';
import { SentencePieceModel } from './sentencepiece.js';
import {
  type Encoding, type InternS1TokenizerOptions, type TokenizerDecodeOptions, type TokenizerEncodeOptions, readTokenizerFolder, resolveFlavour,
} from '../../src/tokenizer/options.js';

export type { Encoding, InternS1TokenizerOptions, TokenizerDecodeOptions, TokenizerEncodeOptions } from '../../src/tokenizer/options.js';

/** A domain sub-tokenizer once loaded: its name, its id offset and its sentencepiece model. */
export interface LoadedDomain {
  /** Domain name, e.g. `SMILES`. */
  readonly name: string;
  /** Joint-vocabulary id of the model's piece 0. */
  readonly offset: number;
  /** The domain's sentencepiece model. */
  readonly model: SentencePieceModel;
}

function makeDetector(kind: DetectorKind, opts: InternS1TokenizerOptions): Detector {
  if (kind === 'smiles') return smilesDetector({ validator: opts.smilesValidator });
  if (kind === 'protein') return proteinDetector();
  if (kind === 'xna') return xnaDetector();
  if (kind === 'fasta') return fastaDetector();
  throw new Error(`unknown detector kind ${kind}`);
}

/** The Intern-S1 / Intern-S1-Pro tokenizer. */
export class InternS1Tokenizer {
  /** The flavour in use. */
  readonly flavour: FlavourConfig;
  /** The base byte-level BPE. */
  readonly bpe: ByteLevelBPE;
  /** The registered special tokens. */
  readonly specialTokens: SpecialTokens;
  /** The added tokens, sorted by id. */
  readonly addedTokens: readonly AddedTokenInfo[];
  /** The domain sub-tokenizers, in flavour order. */
  readonly domains: readonly LoadedDomain[];
  /** `split_special_tokens` of tokenizer_config.json. */
  readonly splitSpecialTokensDefault: boolean;
  private readonly detectors: Detector[];

  /** Load from a tokenizer folder. */
  static fromDir(dir: string, opts: InternS1TokenizerOptions = {}): InternS1Tokenizer {
    const { files, flavour } = readTokenizerFolder(dir, opts);
    return new InternS1Tokenizer(files, { ...opts, flavour });
  }

  /** Build from file contents held in memory. */
  static fromFiles(files: TokenizerFiles, opts: InternS1TokenizerOptions = {}): InternS1Tokenizer {
    return new InternS1Tokenizer(files, opts);
  }

  constructor(files: TokenizerFiles, opts: InternS1TokenizerOptions = {}) {
    const config = parseJsonFile(files.tokenizerConfig, 'tokenizer_config.json');
    this.flavour = resolveFlavour(opts.flavour, config);
    this.splitSpecialTokensDefault = config.split_special_tokens === true;
    this.addedTokens = readAddedTokens(config, files.addedTokens);
    this.specialTokens = readSpecialTokens(config, files.specialTokensMap);
    this.domains = this.flavour.domains.map((d) => {
      const bytes = files.models[d.modelFile];
      if (!bytes) throw new Error(`${d.modelFile}: the ${d.name} sentencepiece model is missing`);
      return { name: d.name, offset: d.offset, model: SentencePieceModel.fromBytes(bytes, d.modelFile) };
    });
    this.detectors = this.flavour.detectors.map((k) => makeDetector(k, opts));
    this.bpe = new ByteLevelBPE(parseVocab(files.vocab), parseMerges(files.merges));
  }

  // ---- the sets of the original --------------------------------------------------------------

  /** A: every added token string. */
  private addedSet(): Set<string> {
    return new Set(this.addedTokens.map((t) => t.content));
  }

  /** bos_keys / eos_keys: explicit tags and auto markers, mapped to their domain name. */
  private beginMapping(): Map<string, string> {
    const m = new Map<string, string>();
    for (const d of this.flavour.domains) {
      for (const t of d.beginTags) m.set(t, d.name);
      if (d.autoMarkers) m.set(d.autoMarkers[0], d.name);
    }
    return m;
  }

  private endMapping(): Map<string, string> {
    const m = new Map<string, string>();
    for (const d of this.flavour.domains) {
      for (const t of d.endTags) m.set(t, d.name);
      if (d.autoMarkers) m.set(d.autoMarkers[1], d.name);
    }
    return m;
  }

  private autoBegins(): Set<string> {
    return new Set(this.flavour.domains.flatMap((d) => (d.autoMarkers ? [d.autoMarkers[0]] : [])));
  }

  private autoEnds(): Set<string> {
    return new Set(this.flavour.domains.flatMap((d) => (d.autoMarkers ? [d.autoMarkers[1]] : [])));
  }

  private domain(name: string): LoadedDomain {
    return this.domains.find((d) => d.name === name)!;
  }

  /** all_special_tokens: bos, eos, unk, pad, additional (no repeats). */
  allSpecialTokens(): string[] {
    const s = this.specialTokens;
    return [...new Set([s.bos, s.eos, s.unk, s.pad, ...s.additional].filter((t): t is string => t !== null))];
  }

  /** all_special_ids. */
  allSpecialIds(): number[] {
    return this.allSpecialTokens().map((t) => this.tokenToId(t)).filter((id): id is number => id !== undefined);
  }

  /** Highest known id + 1. */
  get size(): number {
    let max = -1;
    for (const [, id] of this.bpe.entries()) max = Math.max(max, id);
    for (const d of this.domains) max = Math.max(max, d.offset + d.model.size - 1);
    for (const t of this.addedTokens) max = Math.max(max, t.id);
    return max + 1;
  }

  /** Added id, else vocab.json id. */
  tokenToId(token: string): number | undefined {
    return this.addedTokens.find((t) => t.content === token)?.id ?? this.bpe.tokenToId(token);
  }

  /** Decoding table: added token, else sentencepiece piece, else vocab.json. */
  idToToken(id: number): string | undefined {
    const a = this.addedTokens.find((t) => t.id === id);
    if (a) return a.content;
    for (const d of this.domains) if (id >= d.offset && id < d.offset + d.model.size) return d.model.idToPiece(id - d.offset);
    return this.bpe.idToToken(id);
  }

  // ---- tokenize -------------------------------------------------------------------------------

  /** The Python `tokenize`: token strings, auto markers included. */
  tokenize(text: string, opts: TokenizerEncodeOptions = {}): string[] {
    const split = opts.splitSpecialTokens ?? this.splitSpecialTokensDefault;
    const A = split ? new Set<string>() : this.addedSet();
    const [protectBegin, protectEnd] = this.flavour.protectTags;
    const P = new Set([protectBegin, protectEnd]);
    const bosKeys = this.beginMapping();
    const eosKeys = this.endMapping();
    const autoBegins = this.autoBegins();
    const autoEnds = this.autoEnds();
    const skip = this.flavour.skipDetectedSpans ? { begins: autoBegins, ends: autoEnds } : undefined;

    // Step 0: NFC once.
    text = text.normalize('NFC');
    // Step 1: split on A ∪ P, then the added tokens' strip flags.
    const chunks = split ? [text] : new AddedTokenSplitter([...A, ...P]).split(text);
    this.stripAroundAddedTokens(chunks, A);
    // Step 2: auto-detection outside explicit and protect tags.
    const detected: string[] = [];
    let depth = 0;
    for (const chunk of chunks) {
      if (chunk === '') continue;
      if (A.has(chunk) || P.has(chunk)) {
        detected.push(chunk);
        if (bosKeys.has(chunk) || chunk === protectBegin) depth += 1;
        else if (eosKeys.has(chunk) || chunk === protectEnd) depth = Math.max(0, depth - 1);
      } else if (depth > 0) {
        detected.push(chunk);
      } else {
        let pieces = [chunk];
        for (const detector of this.detectors) pieces = reSplit(detector, pieces, skip);
        for (const p of pieces) detected.push(p);
      }
    }
    // Step 3: segmentation with a stack of models.
    const tokens: string[] = [];
    const stack: string[] = [];
    for (const chunk of detected) {
      if (chunk === '') continue;
      if (P.has(chunk)) {
        for (const t of this.bpe.tokenize(chunk)) tokens.push(t);
      } else if (A.has(chunk)) {
        tokens.push(chunk);
        if (bosKeys.has(chunk)) stack.push(bosKeys.get(chunk)!);
        else if (eosKeys.has(chunk) && stack.length > 0) stack.pop();
      } else if (autoBegins.has(chunk)) {
        tokens.push(chunk);
        stack.push(bosKeys.get(chunk)!);
      } else if (autoEnds.has(chunk)) {
        tokens.push(chunk);
        if (stack.length > 0) stack.pop();
      } else if (stack.length === 0) {
        for (const t of this.bpe.tokenize(chunk)) tokens.push(t);
      } else {
        const model = this.domain(stack[stack.length - 1]).model;
        const { pieces, ids } = model.encode(chunk);
        pieces.forEach((piece, k) => {
          if (ids[k] !== model.unkId) tokens.push(piece);
          else for (const t of this.bpe.tokenize(piece)) tokens.push(t); // surface of the unknown run, ▁ → space
        });
      }
    }
    return tokens;
  }

  /** lstrip / rstrip / single_word of added tokens, in place (as the Python loop). */
  private stripAroundAddedTokens(chunks: string[], A: Set<string>): void {
    const space = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+';
    for (let i = 0; i < chunks.length; i++) {
      if (!A.has(chunks[i])) continue;
      const t = this.addedTokens.find((a) => a.content === chunks[i])!;
      const left = i > 0 ? chunks[i - 1] : undefined;
      const right = i < chunks.length - 1 ? chunks[i + 1] : undefined;
      if (t.rstrip && right) chunks[i + 1] = right.replace(new RegExp(`^${space}`, 'u'), '');
      if (t.lstrip && left) chunks[i - 1] = left.replace(new RegExp(`${space}$`, 'u'), '');
      if (t.singleWord && left && !left.endsWith(' ')) {
        chunks[i - 1] += chunks[i];
        chunks[i] = '';
      } else if (t.singleWord && right && !right.startsWith(' ')) {
        chunks[i + 1] = chunks[i] + chunks[i + 1];
        chunks[i] = '';
      }
    }
  }

  /** `convert_tokens_to_ids`: markers dropped; tags push/pop; added id; top model first; vocab.json. */
  convertTokensToIds(tokens: readonly string[]): number[] {
    return this.idsAndDomains(tokens).ids;
  }

  private idsAndDomains(tokens: readonly string[]): Encoding {
    const A = new Map(this.addedTokens.map((t) => [t.content, t.id] as [string, number]));
    const bosKeys = this.beginMapping();
    const eosKeys = this.endMapping();
    const markers = new Set([...this.autoBegins(), ...this.autoEnds()]);
    const out: Encoding = { ids: [], tokens: [], domains: [] };
    const stack: string[] = [];
    for (const token of tokens) {
      if (!markers.has(token)) {
        let id: number | undefined;
        let domain = 'text';
        if (A.has(token)) {
          id = A.get(token);
          domain = 'added';
        } else if (stack.length > 0) {
          const d = this.domain(stack[stack.length - 1]);
          const piece = d.model.pieceToId(token);
          if (piece !== d.model.unkId) {
            id = piece + d.offset;
            domain = d.name;
          } else {
            id = this.bpe.tokenToId(token);
          }
        } else {
          id = this.bpe.tokenToId(token);
        }
        if (id === undefined) throw new Error(`convertTokensToIds: token ${JSON.stringify(token)} has no id`);
        out.ids.push(id);
        out.tokens.push(token);
        out.domains.push(domain);
      }
      if (bosKeys.has(token)) stack.push(bosKeys.get(token)!);
      else if (eosKeys.has(token) && stack.length > 0) stack.pop();
    }
    return out;
  }

  /** encode = convert_tokens_to_ids(tokenize(text)), with the tokens and producing domain of each id. */
  encode(text: string, opts: TokenizerEncodeOptions = {}): Encoding {
    return this.idsAndDomains(this.tokenize(text, opts));
  }

  // ---- decode ---------------------------------------------------------------------------------

  /** convert_ids_to_tokens: unknown ids raise; with skipSpecialTokens the all_special_ids are dropped. */
  convertIdsToTokens(ids: readonly number[], opts: TokenizerDecodeOptions = {}): string[] {
    const special = new Set(this.allSpecialIds());
    const tokens: string[] = [];
    ids.forEach((id, i) => {
      const t = this.idToToken(id);
      if (t === undefined) throw new Error(`decode: id ${id} at position ${i} is not in the vocabulary`);
      if (opts.skipSpecialTokens && special.has(id)) return;
      tokens.push(t);
    });
    return tokens;
  }

  /**
   * The slow `_decode`: legacy added tokens (added, not registered special) are emitted verbatim
   * and close the current run; every other token goes into a run that is decoded from the
   * byte-level alphabet with errors="replace".
   */
  decode(ids: readonly number[], opts: TokenizerDecodeOptions = {}): string {
    const registered = new Set(this.allSpecialTokens());
    const legacy = new Set(this.addedTokens.map((t) => t.content).filter((t) => !registered.has(t)));
    const parts: string[] = [];
    let run: string[] = [];
    for (const token of this.convertIdsToTokens(ids, opts)) {
      if (legacy.has(token)) {
        if (run.length > 0) parts.push(byteLevelDecode(run.join('')));
        run = [];
        parts.push(token);
      } else {
        run.push(token);
      }
    }
    if (run.length > 0) parts.push(byteLevelDecode(run.join('')));
    return parts.join('');
  }
}
