/**
 * The demo's tiny Intern-S1-Pro-style tokenizer, built deterministically at run time: a byte-level
 * BPE learned from {@link DEMO_TEXT}, the 51 added tokens of Intern-S1-Pro (same strings, same
 * order, renumbered after the small base vocabulary), and three small sentencepiece-BPE models
 * (SMILES, PROT, XNA) learned from the demo's molecules and sequences, serialised with the same
 * protobuf schema the loader reads. It exercises every code path of the real tokenizer (added
 * tokens, auto-detection, domain models, offsets) at a few hundred entries.
 *
 * @module
 */
import protobuf from 'protobufjs/light.js';
import { byteLevelEncode, bytesToUnicode } from '../../tokenizer/bytes.js';
import type { TokenizerFiles } from '../../tokenizer/files.js';
import { pretokenize } from '../../tokenizer/pretokenize.js';
import { SENTENCEPIECE_SCHEMA } from '../../tokenizer/sentencepiece.js';
import { DEMO_NUCLEIC, DEMO_PROTEINS, DEMO_SMILES, DEMO_TEXT } from './corpus.js';

/** The Intern-S1-Pro added tokens in id order (spec tokenizer §1.2, ids 151643–151693). */
export const PRO_ADDED_TOKENS = [
  '<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|object_ref_start|>', '<|object_ref_end|>', '<|box_start|>', '<|box_end|>',
  '<|quad_start|>', '<|quad_end|>', '<|vision_start|>', '<|vision_end|>', '<|vision_pad|>', '<|image_pad|>', '<|video_pad|>',
  '<tool_call>', '</tool_call>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>',
  '<tool_response>', '</tool_response>', '<think>', '</think>',
  '<IMG_CONTEXT>', '<img>', '</img>', '<quad>', '</quad>', '<ref>', '</ref>', '<box>', '</box>', '<|action_start|>', '<|action_end|>',
  '<|interpreter|>', '<|plugin|>', '<video>', '<|ts|>', '<|/ts|>', '<TS_CONTEXT>',
  '<SMILES>', '</SMILES>', '<protein>', '</protein>', '<dna>', '</dna>', '<rna>', '</rna>',
] as const;

/** Registered special tokens of the Pro tokenizer_config.json. */
const ADDITIONAL_SPECIAL = ['<|im_start|>', '<|im_end|>', '<|object_ref_start|>', '<|object_ref_end|>', '<|box_start|>', '<|box_end|>', '<|quad_start|>', '<|quad_end|>', '<|vision_start|>', '<|vision_end|>', '<|vision_pad|>', '<|image_pad|>', '<|video_pad|>'];
/** Pro marks the tool/fim/think tokens and the domain tags as non-special. */
const NON_SPECIAL = new Set(['<tool_call>', '</tool_call>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>', '<tool_response>', '</tool_response>', '<think>', '</think>', '<SMILES>', '</SMILES>', '<protein>', '</protein>', '<dna>', '</dna>', '<rna>', '</rna>']);

/** Merges learned by greedy pair counting over words (ties: lexicographically smallest pair). */
export function learnMerges(words: Map<string[], number>, count: number, join: (a: string, b: string) => string = (a, b) => a + b): [string, string][] {
  const merges: [string, string][] = [];
  const ws = [...words].map(([w, n]) => ({ w: [...w], n }));
  for (let m = 0; m < count; m++) {
    const pairs = new Map<string, number>();
    for (const { w, n } of ws) for (let i = 0; i + 1 < w.length; i++) {
      const k = `${w[i]}\u0000${w[i + 1]}`;
      pairs.set(k, (pairs.get(k) ?? 0) + n);
    }
    let best = '';
    let bestN = 1; // a pair must occur at least twice to be worth a merge
    for (const [k, n] of pairs) if (n > bestN || (n === bestN && best !== '' && k < best)) [best, bestN] = [k, n];
    if (!best) break;
    const [a, b] = best.split('\u0000');
    merges.push([a, b]);
    for (const x of ws) {
      const out: string[] = [];
      for (let i = 0; i < x.w.length; i++) {
        if (i + 1 < x.w.length && x.w[i] === a && x.w[i + 1] === b) { out.push(join(a, b)); i++; } else out.push(x.w[i]);
      }
      x.w = out;
    }
  }
  return merges;
}

/** A sentencepiece BPE `.model` (identity normaliser, unk id 0, no bos/eos) learned from `lines`. */
export function demoSentencePieceModel(lines: readonly string[], merges: number): Uint8Array {
  const words = new Map<string[], number>();
  const chars = new Set<string>();
  for (const l of lines) {
    const w = [...l];
    w.forEach((c) => chars.add(c));
    words.set(w, (words.get(w) ?? 0) + 1);
  }
  const learned = learnMerges(words, merges).map(([a, b]) => a + b);
  const pieces = [{ piece: '<unk>', score: 0, type: 2 }];
  const seen = new Set<string>(['<unk>']);
  for (const p of [...learned, ...[...chars].sort()]) {
    if (seen.has(p)) continue;
    seen.add(p);
    pieces.push({ piece: p, score: -pieces.length, type: 1 });
  }
  const root = protobuf.Root.fromJSON(SENTENCEPIECE_SCHEMA);
  const Model = root.lookupType('sentencepiece.ModelProto');
  const msg = Model.fromObject({
    pieces,
    trainerSpec: { modelType: 2, vocabSize: pieces.length, splitByWhitespace: true, splitDigits: true, byteFallback: false, unkId: 0, bosId: -1, eosId: -1, padId: -1 },
    normalizerSpec: { name: 'identity', addDummyPrefix: false, removeExtraWhitespaces: false, escapeWhitespaces: true },
  });
  return Model.encode(msg).finish();
}

/** The demo tokenizer's files plus the ids the demo checkpoint must agree with. */
export interface DemoTokenizer {
  readonly files: TokenizerFiles;
  /** Base vocabulary + added tokens + sentencepiece pieces: the model's `vocab_size` must cover it. */
  readonly vocabSize: number;
  /** Id of each added token by its string. */
  readonly added: Readonly<Record<string, number>>;
}

/** Build the demo tokenizer (deterministic; ~1 s). */
export function buildDemoTokenizer(opts: { bpeMerges?: number; spMerges?: number } = {}): DemoTokenizer {
  const symbols = bytesToUnicode();
  const words = new Map<string, number>();
  for (const p of pretokenize(DEMO_TEXT.normalize('NFC'))) words.set(p, (words.get(p) ?? 0) + 1);
  const wordSyms = new Map<string[], number>([...words].map(([w, n]) => [[...byteLevelEncode(w)], n]));
  const merges = learnMerges(wordSyms, opts.bpeMerges ?? 400);
  const vocab: Record<string, number> = {};
  symbols.forEach((s, i) => (vocab[s] = i));
  merges.forEach(([a, b]) => (vocab[a + b] ??= Object.keys(vocab).length));
  const base = Object.keys(vocab).length;
  const added: Record<string, number> = {};
  PRO_ADDED_TOKENS.forEach((t, i) => (added[t] = base + i));
  let next = base + PRO_ADDED_TOKENS.length;
  const sp = (lines: readonly string[]) => demoSentencePieceModel(lines, opts.spMerges ?? 60);
  const models = { 'tokenizer_SMILES.model': sp(DEMO_SMILES), 'tokenizer_PROT.model': sp(DEMO_PROTEINS), 'tokenizer_XNA.model': sp(DEMO_NUCLEIC) };
  const offsets: Record<string, number> = {};
  for (const [name, bytes] of Object.entries(models)) {
    offsets[`offset_${name.slice('tokenizer_'.length, -'.model'.length)}`] = next;
    next += (protobuf.Root.fromJSON(SENTENCEPIECE_SCHEMA).lookupType('sentencepiece.ModelProto').decode(bytes) as unknown as { pieces: unknown[] }).pieces.length;
  }
  const decoder = Object.fromEntries(PRO_ADDED_TOKENS.map((t) => [String(added[t]), {
    content: t, lstrip: false, normalized: false, rstrip: false, single_word: false, special: !NON_SPECIAL.has(t),
  }]));
  const tokenizerConfig = {
    add_bos_token: false, add_prefix_space: false, additional_special_tokens: ADDITIONAL_SPECIAL, bos_token: '<|im_start|>',
    eos_token: '<|im_end|>', pad_token: '<|endoftext|>', unk_token: null, clean_up_tokenization_spaces: false, errors: 'replace',
    split_special_tokens: false, tokenizer_class: 'InternS1Tokenizer', model_max_length: 262144, ...offsets, added_tokens_decoder: decoder,
  };
  const mergesTxt = ['#version: 0.2', ...merges.map(([a, b]) => `${a} ${b}`)].join('\n') + '\n';
  return {
    files: { vocab: JSON.stringify(vocab), merges: mergesTxt, tokenizerConfig: JSON.stringify(tokenizerConfig), models },
    vocabSize: next,
    added,
  };
}
