/**
 * Shared helpers of the tokenizer tests: the real Intern-S1-Pro files (through
 * INTERN_S1_PRO_FILES), a toy byte-level BPE trainer, and seeded text arbitraries (Unicode,
 * SMILES, protein, DNA/RNA, mixed scientific prose). Nothing here calls Math.random().
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs/light.js';
import { bytesToUnicode, byteLevelEncode } from '../../reference/tokenizer/bytes.js';
import { pretokenize } from '../../reference/tokenizer/pretokenize.js';
import { SENTENCEPIECE_SCHEMA, SentencePieceModel } from '../../src/tokenizer/sentencepiece.js';
import { mulberry32 } from '../support/arbitraries.js';

// The real Intern-S1-Pro files: skipped with the reason in the name when INTERN_S1_PRO_FILES is unset.
export { PRO_DIR, describePro } from '../support/pro-files.js';

/**
 * Train a toy byte-level BPE (greedy most-frequent pair, ties to the smaller pair string) on
 * `corpus`: the 256 byte symbols plus `nMerges` merges. Deterministic.
 */
export function trainToyBpe(corpus: string, nMerges: number): { vocab: Map<string, number>; merges: [string, string][] } {
  const vocab = new Map<string, number>();
  bytesToUnicode().forEach((c, i) => vocab.set(c, i));
  const words = new Map<string, number>();
  for (const p of pretokenize(corpus)) {
    const w = byteLevelEncode(p);
    words.set(w, (words.get(w) ?? 0) + 1);
  }
  let seqs = [...words].map(([w, n]) => ({ syms: Array.from(w), n }));
  const merges: [string, string][] = [];
  for (let k = 0; k < nMerges; k++) {
    const counts = new Map<string, number>();
    for (const { syms, n } of seqs) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const key = `${syms[i]} ${syms[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + n);
      }
    }
    let best = '';
    let bestN = 0;
    for (const [key, n] of counts) if (n > bestN || (n === bestN && key < best)) [best, bestN] = [key, n];
    if (bestN < 1) break;
    const [a, b] = best.split(' ');
    merges.push([a, b]);
    if (!vocab.has(a + b)) vocab.set(a + b, vocab.size);
    seqs = seqs.map(({ syms, n }) => {
      const out: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(syms[i]);
      }
      return { syms: out, n };
    });
  }
  return { vocab, merges };
}

/** `vocab.json` and `merges.txt` texts for a toy model. */
export function toyFiles(t: { vocab: Map<string, number>; merges: [string, string][] }): { vocab: string; merges: string } {
  return {
    vocab: JSON.stringify(Object.fromEntries(t.vocab)),
    merges: '#version: 0.2\n' + t.merges.map(([a, b]) => `${a} ${b}`).join('\n') + '\n',
  };
}

/** A fixed English-ish training corpus for toy models. */
export const TOY_CORPUS = [
  'The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away!',
  "It's a test: we're testing the tokenizer's merges, and they'll work. Don't worry.",
  'Numbers 12345 and 2024-11-29, prices $3.50, emails a@b.c, code x = f(y) + 1;',
  'naïve café résumé 中文 日本語 한국어 🤗 emoji — dashes … ellipsis',
  'Aspirin is CC(=O)OC1=CC=CC=C1C(=O)O and benzene is c1ccccc1.\n\n  Indented line\r\n',
].join('\n');

/** Characters that stress the pre-tokenizer port (Python \s vs JS \s, ſ, apostrophes, astral). */
const TRICKY = [' ', ' ', '  ', '\t', '\n', '\r', '\r\n', '\x85', '\xa0', '\u2000', '\u3000', '\u2028', '\ufeff', '\v', '\f',
  "'", "'s", "'S", "'ſ", "'ll", "'LL", "'re", "'Ve", "'d", "'m", "'t", 'ſ', 'é', 'e\u0301', '中', '🤗', '𝟙', '٣', '²',
  'A', 'z', '0', '9', '.', ',', '!', '?', '-', '_', '(', ')', '[', ']', '<', '>', '|', '@', '#', '$', '%', '\u2581', '\u0000'];

/** Random strings: mixes of tricky characters, ASCII words and arbitrary code points. */
export const textArb: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...TRICKY) },
      { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z]{1,8}$/) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }) },
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

const ATOMS = ['C', 'C', 'C', 'c', 'c', 'N', 'n', 'O', 'o', 'S', 's', 'P', 'F', 'Cl', 'Br', 'I', 'B',
  '[C@@H]', '[C@H]', '[NH3+]', '[O-]', '[nH]', '[Na+]', '[Fe+2]', '[13CH3]', '[Si]'];
const BONDS = ['', '', '', '', '=', '#', '/', '\\', ':'];

/** A random SMILES-like string (chains, branches, ring closures) from a seed; often valid, sometimes not. */
export function randomSmiles(seed: number, maxAtoms = 30): string {
  const r = mulberry32(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const n = 1 + Math.floor(r() * maxAtoms);
  let out = pick(ATOMS);
  const open: number[] = [];
  let depth = 0;
  let nextRing = 1;
  for (let i = 1; i < n; i++) {
    const x = r();
    if (x < 0.12 && depth < 3) {
      out += '(';
      depth++;
    } else if (x < 0.22 && depth > 0) {
      out += ')';
      depth--;
    }
    out += pick(BONDS) + pick(ATOMS);
    const y = r();
    if (y < 0.1 && nextRing < 12) {
      const ring = nextRing++;
      open.push(ring);
      out += ring < 10 ? String(ring) : `%${ring}`;
    } else if (y < 0.2 && open.length) {
      const ring = open.shift()!;
      out += ring < 10 ? String(ring) : `%${ring}`;
    }
  }
  while (depth-- > 0) out += ')';
  if (r() < 0.8) for (const ring of open) out += ring < 10 ? String(ring) : `%${ring}`;
  return out;
}

export const smilesArb: fc.Arbitrary<string> = fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((s) => randomSmiles(s));

/** Random strings over the SMILES characters plus digits (ASCII and '٣'), letters and a space (up to 60). */
export const smilesAlphabet: fc.Arbitrary<string> = fc.string({ unit: fc.constantFrom(...'CcNnOoSsPBrlF()[]=.:-#@$%*+/\\123456789٣ HxyzAaéK'), maxLength: 60 });

const AMINO = 'ACDEFGHIKLMNPQRSTVWYXBZUO';
/** A random protein sequence (length 1..80). */
export const proteinArb: fc.Arbitrary<string> = fc.string({ unit: fc.constantFrom(...AMINO), minLength: 1, maxLength: 80 });
/** A random DNA / RNA sequence (length 1..80, with occasional IUPAC codes and lower case). */
export const dnaArb: fc.Arbitrary<string> = fc.string({ unit: fc.constantFrom(...'ATGCATGCATGCUNRYatgc'), minLength: 1, maxLength: 80 });

const TAGS = ['<SMILES>', '</SMILES>', '<protein>', '</protein>', '<dna>', '</dna>', '<rna>', '</rna>', '<MOLFORMULA>',
  '</MOLFORMULA>', '<|im_start|>', '<|im_end|>', '<think>', '</think>', '<IMG_CONTEXT>', '<SMILES_AUTO_DETECT>',
  '</PROT_AUTO_DETECT>', '<|endoftext|>', '<|im_', 'SMILES>'];

/** Mixed scientific text: prose, SMILES, sequences and tags in random order and spacing. */
export const mixedArb: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: textArb },
      { weight: 3, arbitrary: smilesArb },
      { weight: 2, arbitrary: proteinArb },
      { weight: 2, arbitrary: dnaArb },
      { weight: 2, arbitrary: fc.constantFrom(...TAGS) },
      { weight: 2, arbitrary: fc.constantFrom(' ', ' ', '\n', ', ', '. ', 'x', '(', ')') },
    ),
    { maxLength: 12 },
  )
  .map((p) => p.join(''));

/** The bytes of a file of test/fixtures/tokenizer/ (the tiny sentencepiece models). */
export function fixture(f: string): Uint8Array {
  return readFileSync(fileURLToPath(new URL(`../fixtures/tokenizer/${f}`, import.meta.url)));
}

/** A constructed Pro-flavour tokenizer folder's contents: toy BPE, the tiny fixture models, the Pro tags. */
export function tinyProFiles(): { vocab: string; merges: string; tokenizerConfig: string; models: Record<string, Uint8Array> } {
  const toy = toyFiles(trainToyBpe(TOY_CORPUS, 200));
  const base = Object.keys(JSON.parse(toy.vocab)).length;
  const models = { 'tokenizer_SMILES.model': fixture('tiny_bpe.model'), 'tokenizer_PROT.model': fixture('tiny_bpe_256.model'), 'tokenizer_XNA.model': fixture('tiny_unigram.model') };
  const sizes = Object.values(models).map((b) => SentencePieceModel.fromBytes(b).size);
  const offsets = { offset_SMILES: base + 2, offset_PROT: base + 2 + sizes[0], offset_XNA: base + 2 + sizes[0] + sizes[1] };
  const tagBase = offsets.offset_XNA + sizes[2];
  const decoder: Record<string, unknown> = {};
  const add = (content: string, id: number, special: boolean) => (decoder[id] = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special });
  add('<|im_start|>', base, true);
  add('<|im_end|>', base + 1, true);
  ['<SMILES>', '</SMILES>', '<protein>', '</protein>', '<dna>', '</dna>', '<rna>', '</rna>'].forEach((t, k) => add(t, tagBase + k, false));
  const tokenizerConfig = JSON.stringify({ added_tokens_decoder: decoder, eos_token: '<|im_end|>', bos_token: '<|im_start|>', additional_special_tokens: ['<|im_start|>', '<|im_end|>'], ...offsets });
  return { ...toy, tokenizerConfig, models };
}

/** Write a tokenizer folder (for CLI tests). */
export function writeTokenizerDir(dir: string, f: ReturnType<typeof tinyProFiles>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'vocab.json'), f.vocab);
  writeFileSync(path.join(dir, 'merges.txt'), f.merges);
  writeFileSync(path.join(dir, 'tokenizer_config.json'), f.tokenizerConfig);
  for (const [name, bytes] of Object.entries(f.models)) writeFileSync(path.join(dir, name), bytes);
}

/** Build a .model file from a plain object with the project's schema (for constructed edge cases). */
export function buildModel(obj: Record<string, unknown>): Uint8Array {
  const type = protobuf.Root.fromJSON(SENTENCEPIECE_SCHEMA).lookupType('sentencepiece.ModelProto');
  return type.encode(type.fromObject(obj)).finish();
}
