/**
 * The Intern-S1 dynamic tokenizer (tokenizer spec §1.5–1.8), fast path: byte-level BPE for text,
 * sentencepiece sub-tokenizers for chemistry and biology, switched by explicit tags and by
 * auto-detection.
 *
 * Pipeline of {@link InternS1Tokenizer.tokenize} (§1.5):
 * 0. NFC once;
 * 1. split on added tokens and the protect tags (leftmost, longest);
 * 2. auto-detection: chunks outside explicit / protect tags go through the detectors in order;
 * 3. segmentation with a stack of sub-tokenizers: tags push / pop, text goes to the top model or
 *    to BPE; unknown sentencepiece runs go to BPE.
 * Ids follow the string-lookup rules of §1.7 (auto markers get none; inside a span a token is
 * looked up in the top model first). The fast path carries ids along instead of looking every
 * string up again; it checks once, at load, that no token string of BPE or of a model collides
 * with an added token or a tag, and otherwise falls back to the string lookups, so the ids are the
 * same in every case.
 *
 * @module
 */
import { TokenizerError } from '../errors.js';
import { AddedTokenSplitter } from './added.js';
import { ByteLevelBPE, parseMerges, parseVocab } from './bpe.js';
import { byteLevelDecode } from './bytes.js';
import type { DetectorKind, FlavourConfig } from './config.js';
import { type Detector, fastaDetector, proteinDetector, reSplit, smilesDetector, xnaDetector } from './detectors.js';
import {
  type AddedTokenInfo, type SpecialTokens, type TokenizerFiles,
  parseJsonFile, readAddedTokens, readSpecialTokens,
} from './files.js';
import { SentencePieceModel } from './sentencepiece.js';
import { ByteList, IntList } from '../util/int-list.js';
import {
  type Encoding, type InternS1TokenizerOptions, type TokenizerDecodeOptions, type TokenizerEncodeOptions, readTokenizerFolder, resolveFlavour,
} from './options.js';

export type { Encoding, InternS1TokenizerOptions, TokenizerDecodeOptions, TokenizerEncodeOptions } from './options.js';

/** A domain as loaded: its configuration and model. */
export interface LoadedDomain {
  /** Domain name, e.g. `SMILES`. */
  readonly name: string;
  /** Joint-vocabulary id of the model's piece 0. */
  readonly offset: number;
  /** The domain's sentencepiece model. */
  readonly model: SentencePieceModel;
}

const TEXT = 'text';
const ADDED = 'added';
const MARKER = 'marker';
/**
 * Codes of a {@link TokenRun}: the low 7 bits index `[TEXT, ADDED, MARKER, ...domain names]`;
 * KEPT marks a token whose string is kept in `others`.
 */
const TEXT_CODE = 0;
const ADDED_CODE = 1;
const MARKER_CODE = 2;
const KEPT = 0x80;

/**
 * The output of the segmentation step, compact (issue #12 item 8: one 10 MB word gives 5.4 M
 * tokens, and three JavaScript arrays grown by `push` to that length took more memory than the
 * BPE itself): ids in a typed list, one byte of code per token, and the token strings only for
 * tokens that are not plain BPE text (KEPT). A plain text token's string is the BPE vocabulary's
 * string of its id, so it is rebuilt from the id when the strings are asked for.
 */
interface TokenRun {
  ids: IntList;
  codes: ByteList;
  /** The strings of the tokens whose code has the KEPT bit, in order. */
  others: string[];
  /** Whether an auto marker (id −1) was kept. */
  markers: boolean;
}

/** Whether every UTF-16 unit of `text` is below U+0300, the first code point that NFC can change or combine. */
function belowCombining(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x300) return false;
  return true;
}

function buildDetector(kind: DetectorKind, opts: InternS1TokenizerOptions): Detector {
  switch (kind) {
    case 'smiles': return smilesDetector({ validator: opts.smilesValidator });
    case 'protein': return proteinDetector();
    case 'xna': return xnaDetector();
    case 'fasta': return fastaDetector();
    default: throw new TokenizerError(`unknown detector kind ${JSON.stringify(kind)}`);
  }
}

/**
 * The Intern-S1 / Intern-S1-Pro tokenizer.
 *
 * @example
 * ```ts
 * import { InternS1Tokenizer } from 'intern-s1-ts';
 * const dir = process.env.INTERN_S1_PRO_FILES;
 * if (dir) {
 *   const tok = InternS1Tokenizer.fromDir(dir);
 *   const enc = tok.encode('<protein>MKT AYI</protein>');
 *   enc.ids; // => [151688, 153734, 152825, 220, 152799, 153726, 151689]
 *   enc.domains; // => ['added', 'PROT', 'PROT', 'text', 'PROT', 'PROT', 'added']
 *   tok.decode(enc.ids); // => '<protein>MKT AYI</protein>'
 * }
 * ```
 */
export class InternS1Tokenizer {
  /** The flavour in use. */
  readonly flavour: FlavourConfig;
  /** The base byte-level BPE. */
  readonly bpe: ByteLevelBPE;
  /** The registered special tokens. */
  readonly specialTokens: SpecialTokens;
  /** The added tokens, by id. */
  readonly addedTokens: readonly AddedTokenInfo[];
  /** The domain sub-tokenizers, in flavour order. */
  readonly domains: readonly LoadedDomain[];
  /** `split_special_tokens` of tokenizer_config.json: the default of the encode option. */
  readonly splitSpecialTokensDefault: boolean;

  private readonly added = new Map<string, AddedTokenInfo>();
  private readonly splitter: AddedTokenSplitter;
  private readonly domainByName = new Map<string, LoadedDomain>();
  /** bos_keys / eos_keys of the original: explicit tags and auto markers → domain name. */
  private readonly beginKeys = new Map<string, string>();
  private readonly endKeys = new Map<string, string>();
  private readonly autoBegins = new Set<string>();
  private readonly autoEnds = new Set<string>();
  private readonly protectBegin: string;
  private readonly protectEnd: string;
  private readonly detectors: Detector[];
  private readonly skip?: { begins: Set<string>; ends: Set<string> };
  /** id → token string for decoding (added > sentencepiece > vocab.json). */
  private readonly idTable: (string | undefined)[] = [];
  /** id → 1 plain (buffered), 2 added non-registered (verbatim), | 4 registered special. */
  private readonly idKind: Uint8Array;
  /** Token strings that collide with added tokens or tags: forces the string-lookup path. */
  private readonly collisions: boolean;
  private readonly bpeTokens: string[] = [];
  /** Domain name → code of a {@link TokenRun}, and code → name. */
  private readonly domainCode = new Map<string, number>();
  private readonly codeNames: string[];

  /** Load from a tokenizer folder (vocab.json, merges.txt, tokenizer_config.json, the .model files, …). */
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
    this.specialTokens = readSpecialTokens(config, files.specialTokensMap);
    this.addedTokens = readAddedTokens(config, files.addedTokens);
    // the small files first, so that a bad one is reported without waiting for vocab.json
    const models = this.flavour.domains.map((d) => {
      const bytes = files.models[d.modelFile];
      if (!bytes) throw new TokenizerError(`${d.modelFile}: the ${d.name} sentencepiece model is missing`);
      return SentencePieceModel.fromBytes(bytes, d.modelFile);
    });
    const merges = parseMerges(files.merges);
    this.bpe = new ByteLevelBPE(parseVocab(files.vocab), merges, { cacheSize: opts.cacheSize });
    for (const t of this.addedTokens) this.added.set(t.content, t);
    [this.protectBegin, this.protectEnd] = this.flavour.protectTags;

    const domains: LoadedDomain[] = [];
    for (const [k, d] of this.flavour.domains.entries()) {
      const loaded = { name: d.name, offset: d.offset, model: models[k] };
      domains.push(loaded);
      this.domainByName.set(d.name, loaded);
      d.beginTags.forEach((t) => this.beginKeys.set(t, d.name));
      d.endTags.forEach((t) => this.endKeys.set(t, d.name));
      if (d.autoMarkers) {
        this.beginKeys.set(d.autoMarkers[0], d.name);
        this.endKeys.set(d.autoMarkers[1], d.name);
        this.autoBegins.add(d.autoMarkers[0]);
        this.autoEnds.add(d.autoMarkers[1]);
      }
    }
    this.domains = domains;
    this.codeNames = [TEXT, ADDED, MARKER];
    for (const d of domains) this.codeNames.push(d.name);
    if (this.codeNames.length > KEPT) throw new TokenizerError(`flavour ${this.flavour.name}: ${domains.length} domains, at most ${KEPT - 3} are supported`);
    this.codeNames.forEach((name, code) => { if (!this.domainCode.has(name)) this.domainCode.set(name, code); });
    this.detectors = this.flavour.detectors.map((k) => buildDetector(k, opts));
    for (const det of this.detectors) {
      if (!this.domainByName.has(det.domain)) throw new TokenizerError(`detector '${det.domain}' has no domain model in flavour ${this.flavour.name}`);
    }
    if (this.flavour.skipDetectedSpans) this.skip = { begins: this.autoBegins, ends: this.autoEnds };
    this.splitter = new AddedTokenSplitter([...this.added.keys(), this.protectBegin, this.protectEnd]);

    // Decoding table (spec §1.8): vocab.json, then sentencepiece pieces over it, then added tokens over both.
    for (const [t, id] of this.bpe.entries()) {
      this.idTable[id] = t;
      this.bpeTokens[id] = t;
    }
    for (const d of domains) for (let i = 0; i < d.model.size; i++) this.idTable[d.offset + i] = d.model.idToPiece(i);
    for (const t of this.addedTokens) this.idTable[t.id] = t.content;
    // Kinds: legacy added tokens (added, not registered special) are emitted verbatim (matched by
    // string, as `_decode` does); registered special ids are skipped with skipSpecialTokens.
    this.idKind = new Uint8Array(this.idTable.length);
    const registered = new Set(this.allSpecialTokens());
    const legacy = new Set([...this.added.keys()].filter((t) => !registered.has(t)));
    // Visit the ids that were set (not 0..size: an added id near MAX_TOKEN_ID leaves a sparse table).
    const mark = (id: number): void => {
      const t = this.idTable[id];
      if (t !== undefined) this.idKind[id] = legacy.has(t) ? 2 : 1;
    };
    for (const [, id] of this.bpe.entries()) mark(id);
    for (const d of domains) for (let i = 0; i < d.model.size; i++) mark(d.offset + i);
    for (const t of this.addedTokens) mark(t.id);
    for (const id of this.allSpecialIds()) if (id < this.idKind.length) this.idKind[id] |= 4;

    // Collision check (see the module comment).
    const reserved = new Set<string>([...this.added.keys(), ...this.beginKeys.keys(), ...this.endKeys.keys()]);
    let collide = false;
    for (const r of reserved) if (this.bpe.tokenToId(r) !== undefined) collide = true;
    for (const d of domains) for (const r of reserved) if (d.model.pieceToId(r) !== d.model.unkId) collide = true;
    this.collisions = collide;
  }

  /** `all_special_tokens`: bos, eos, unk, pad, then the additional special tokens, without repeats. */
  allSpecialTokens(): string[] {
    const s = this.specialTokens;
    return [...new Set([s.bos, s.eos, s.unk, s.pad, ...s.additional].filter((t): t is string => t !== null))];
  }

  /** The ids of {@link allSpecialTokens}. */
  allSpecialIds(): number[] {
    return this.allSpecialTokens().map((t) => this.tokenToId(t)).filter((id): id is number => id !== undefined);
  }

  /** Highest known id + 1. */
  get size(): number {
    return this.idTable.length;
  }

  /** An added token's id, else the vocab.json id, else undefined. */
  tokenToId(token: string): number | undefined {
    return this.added.get(token)?.id ?? this.bpe.tokenToId(token);
  }

  /** The decoding table's string for an id (added > sentencepiece piece > vocab.json), or undefined. */
  idToToken(id: number): string | undefined {
    return this.idTable[id];
  }

  /** The token strings of `text`, auto markers included (the Python `tokenize`). */
  tokenize(text: string, opts: TokenizerEncodeOptions = {}): string[] {
    const r = this.run(text, opts, true);
    return this.runTokens(r.ids.view(), r.codes.view(), r.others);
  }

  /**
   * Ids, token strings and producing sub-tokenizer of `text` (auto markers dropped: they have no
   * id). `tokens` and `domains` are built on first access (from a copy of the ids, one byte per
   * token and the strings of the non-BPE tokens), so that a caller who reads only `ids` never pays
   * for two more arrays as long as the input (issue #12 item 8).
   */
  encode(text: string, opts: TokenizerEncodeOptions = {}): Encoding {
    const r = this.run(text, opts, this.collisions);
    let ids = r.ids;
    let codes = r.codes;
    let others = r.others;
    if (r.markers) {
      ids = new IntList(r.ids.length);
      codes = new ByteList(r.ids.length);
      others = [];
      for (let i = 0, k = 0; i < r.ids.length; i++) {
        const c = r.codes.get(i);
        const t = c & KEPT ? r.others[k++] : '';
        if (r.ids.get(i) < 0) continue;
        ids.push(r.ids.get(i));
        codes.push(c);
        if (c & KEPT) others.push(t);
      }
    }
    return this.lazyEncoding(ids, codes, others);
  }

  /** An Encoding whose `ids` are made now and whose `tokens` / `domains` are made on first access. */
  private lazyEncoding(list: IntList, codeList: ByteList, others: string[]): Encoding {
    const ids = list.toArray();
    // the lists are not used after this: their storage is kept as is (no copy); the tokens follow
    // the ids as encoded, even if the caller edits `ids`
    const idCopy = list.view();
    const codes = codeList.view();
    let tokens: string[] | undefined;
    let domains: string[] | undefined;
    const enc = { ids } as Encoding;
    Object.defineProperties(enc, {
      tokens: {
        enumerable: true,
        configurable: true,
        get: () => (tokens ??= this.runTokens(idCopy, codes, others)),
        set: (v: string[]) => { tokens = v; },
      },
      domains: {
        enumerable: true,
        configurable: true,
        get: () => (domains ??= this.runDomains(codes)),
        set: (v: string[]) => { domains = v; },
      },
    });
    return enc;
  }

  /** The token strings of a run: the kept string, else the BPE string of the id. */
  private runTokens(ids: Int32Array, codes: Uint8Array, others: readonly string[]): string[] {
    const out: string[] = new Array(ids.length);
    const bpeTokens = this.bpeTokens;
    for (let i = 0, k = 0; i < ids.length; i++) out[i] = codes[i] & KEPT ? others[k++] : bpeTokens[ids[i]];
    return out;
  }

  /** The domain names of a run's codes. */
  private runDomains(codes: Uint8Array): string[] {
    const out: string[] = new Array(codes.length);
    const names = this.codeNames;
    for (let i = 0; i < codes.length; i++) out[i] = names[codes[i] & ~KEPT];
    return out;
  }

  /**
   * `convert_tokens_to_ids` (spec §1.7) for any token list: auto markers are dropped, tags push
   * and pop a stack, an added token takes its id, inside a span a token is looked up in the top
   * model first, else in vocab.json. Throws for a token with no id.
   */
  convertTokensToIds(tokens: readonly string[]): number[] {
    return this.lookupIds(tokens).ids;
  }

  private lookupIds(tokens: readonly string[]): { ids: number[]; domains: string[] } {
    const ids: number[] = [];
    const domains: string[] = [];
    const stack: string[] = [];
    for (const t of tokens) {
      if (!this.autoBegins.has(t) && !this.autoEnds.has(t)) {
        const a = this.added.get(t);
        let id: number | undefined;
        let dom = TEXT;
        if (a) {
          id = a.id;
          dom = ADDED;
        } else if (stack.length) {
          const d = this.domainByName.get(stack[stack.length - 1])!;
          const p = d.model.pieceToId(t);
          if (p !== d.model.unkId) {
            id = p + d.offset;
            dom = d.name;
          } else id = this.bpe.tokenToId(t);
        } else id = this.bpe.tokenToId(t);
        if (id === undefined) throw new TokenizerError(`convertTokensToIds: token ${JSON.stringify(t)} has no id`);
        ids.push(id);
        domains.push(dom);
      }
      const b = this.beginKeys.get(t);
      if (b !== undefined) stack.push(b);
      else if (this.endKeys.has(t) && stack.length) stack.pop();
    }
    return { ids, domains };
  }

  /** Steps 0–2: NFC, added-token split, auto-detection. */
  private chunks(text: string, split: boolean): string[] {
    // Text below U+0300 is already NFC (no decomposable or combining character); skipping the
    // call saves a copy of the whole text (28 MB for a 10 MB word, issue #12 item 8).
    if (!belowCombining(text)) text = text.normalize('NFC');
    if (text.length === 0) return [];
    const parts = split ? [text] : this.applyStrip(this.splitter.split(text));
    const out: string[] = [];
    let depth = 0;
    for (const c of parts) {
      if (c === '') continue;
      if ((!split && this.added.has(c)) || c === this.protectBegin || c === this.protectEnd) {
        out.push(c);
        if (this.beginKeys.has(c) || c === this.protectBegin) depth++;
        else if (this.endKeys.has(c) || c === this.protectEnd) depth = Math.max(0, depth - 1);
      } else if (depth > 0) {
        out.push(c);
      } else {
        let list = [c];
        for (const d of this.detectors) list = reSplit(d, list, this.skip);
        for (const x of list) out.push(x);
      }
    }
    return out;
  }

  /** The lstrip / rstrip / single_word handling of added tokens (all false in the released files). */
  private applyStrip(parts: string[]): string[] {
    let any = false;
    for (const t of this.addedTokens) if (t.lstrip || t.rstrip || t.singleWord) any = true;
    if (!any) return parts;
    for (let i = 0; i < parts.length; i++) {
      const t = this.added.get(parts[i]);
      if (!t) continue;
      const left = i > 0 ? parts[i - 1] : undefined;
      const right = i < parts.length - 1 ? parts[i + 1] : undefined;
      if (t.rstrip && right) parts[i + 1] = right.replace(PY_LEADING_SPACE, '');
      if (t.lstrip && left) parts[i - 1] = left.replace(PY_TRAILING_SPACE, '');
      if (t.singleWord && left && !left.endsWith(' ')) {
        parts[i - 1] += parts[i];
        parts[i] = '';
      } else if (t.singleWord && right && !right.startsWith(' ')) {
        parts[i + 1] = parts[i] + parts[i + 1];
        parts[i] = '';
      }
    }
    return parts;
  }

  /** Step 3 with ids carried along. With `keepMarkers`, auto markers are kept with id −1. */
  private run(text: string, opts: TokenizerEncodeOptions, keepMarkers: boolean): TokenRun {
    const split = opts.splitSpecialTokens ?? this.splitSpecialTokensDefault;
    const chunks = this.chunks(text, split);
    const ids = new IntList();
    const codes = new ByteList();
    const others: string[] = [];
    const stack: LoadedDomain[] = [];
    let markers = false;
    const bpeTokens = this.bpeTokens;
    const push = (id: number, code: number, token: string): void => {
      ids.push(id);
      codes.push(code | KEPT);
      others.push(token);
    };
    /** BPE of `s` into the outputs; inside a span each token is looked up in the top model first (§1.7). */
    const emitBpe = (s: string): void => {
      const from = ids.length;
      this.bpe.encodeToList(s, ids);
      const top = stack.length ? stack[stack.length - 1] : undefined;
      if (!top) {
        codes.push(TEXT_CODE, ids.length - from);
        return;
      }
      const code = this.domainCode.get(top.name)!;
      for (let i = from; i < ids.length; i++) {
        const t = bpeTokens[ids.get(i)];
        const p = top.model.pieceToId(t);
        if (p !== top.model.unkId) {
          ids.set(i, p + top.offset);
          codes.push(code | KEPT);
          others.push(t);
        } else codes.push(TEXT_CODE);
      }
    };
    for (const c of chunks) {
      if (c === this.protectBegin || c === this.protectEnd) {
        emitBpe(c);
      } else if (!split && this.added.has(c)) {
        push(this.added.get(c)!.id, ADDED_CODE, c);
        const b = this.beginKeys.get(c);
        if (b !== undefined) stack.push(this.domainByName.get(b)!);
        else if (this.endKeys.has(c) && stack.length) stack.pop();
      } else if (this.autoBegins.has(c)) {
        if (keepMarkers) {
          markers = true;
          push(-1, MARKER_CODE, c);
        }
        stack.push(this.domainByName.get(this.beginKeys.get(c)!)!);
      } else if (this.autoEnds.has(c)) {
        if (keepMarkers) {
          markers = true;
          push(-1, MARKER_CODE, c);
        }
        if (stack.length) stack.pop();
      } else if (stack.length === 0) {
        emitBpe(c);
      } else {
        const top = stack[stack.length - 1];
        const code = this.domainCode.get(top.name)!;
        const enc = top.model.encodeShared(c);
        for (let k = 0; k < enc.ids.length; k++) {
          if (enc.ids[k] !== top.model.unkId) push(enc.ids[k] + top.offset, code, enc.pieces[k]);
          else emitBpe(enc.pieces[k]); // the unknown run's surface; `▁` becomes a space inside
        }
      }
    }
    if (this.collisions) {
      // Exactness fallback: recompute ids and domains from the strings with the original rules;
      // every token keeps its string (its new id need not be the BPE id of that string).
      const tokens = this.runTokens(ids.view(), codes.view(), others);
      const looked = this.lookupIds(tokens);
      const outIds = new IntList(tokens.length);
      const outCodes = new ByteList(tokens.length);
      for (let i = 0, k = 0; i < tokens.length; i++) {
        if (ids.get(i) < 0) {
          outIds.push(-1);
          outCodes.push(MARKER_CODE | KEPT);
        } else {
          outIds.push(looked.ids[k]);
          outCodes.push(this.domainCode.get(looked.domains[k])! | KEPT);
          k++;
        }
      }
      return { ids: outIds, codes: outCodes, others: tokens, markers };
    }
    return { ids, codes, others, markers };
  }

  /** Token strings of `ids` (the decoding table); with `skipSpecialTokens` the registered specials are dropped. */
  convertIdsToTokens(ids: readonly number[], opts: TokenizerDecodeOptions = {}): string[] {
    const out: string[] = [];
    ids.forEach((id, i) => {
      const t = this.checkId(id, i);
      if (opts.skipSpecialTokens && this.idKind[id] & 4) return;
      out.push(t);
    });
    return out;
  }

  private checkId(id: number, i: number): string {
    const t = Number.isInteger(id) && id >= 0 ? this.idTable[id] : undefined;
    if (t === undefined) throw new TokenizerError(`decode: id ${JSON.stringify(id)} at position ${i} is not in the vocabulary`);
    return t;
  }

  /**
   * Ids → text (spec §1.8): tokens are joined and decoded from the byte-level alphabet with
   * `errors="replace"`; added tokens that are not registered specials are emitted verbatim and
   * close the current run; sentencepiece pieces pass through (`▁` → space); auto-detected spans
   * come back without markers.
   */
  decode(ids: readonly number[], opts: TokenizerDecodeOptions = {}): string {
    let out = '';
    let buf: string[] = [];
    const flush = (): void => {
      if (buf.length) out += byteLevelDecode(buf.join(''));
      buf = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const t = this.checkId(id, i);
      const kind = this.idKind[id];
      if (opts.skipSpecialTokens && kind & 4) continue;
      if (kind & 2) {
        flush();
        out += t;
      } else buf.push(t);
    }
    flush();
    return out;
  }
}

/** Python `str.lstrip()` / `rstrip()` whitespace (`str.isspace`). */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_LEADING_SPACE = new RegExp(`^[${PY_SPACE}]+`, 'u');
const PY_TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`, 'u');
