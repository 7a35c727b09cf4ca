/**
 * Fuzz: the tokenizer (issue #12). A Pro-flavour tokenizer built from the tiny fixture models:
 * any Unicode text (lone surrogates, tags, markers, long words) encodes to ids that decode, any
 * integer id list decodes or is a TokenizerError; and mutated tokenizer files (tokenizer_config.json,
 * vocab.json, merges.txt, the sentencepiece models) load or give an InternS1Error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SentencePieceModel } from '../../src/tokenizer/sentencepiece.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { mixedArb, tinyProFiles } from '../tokenizer/support.js';
import { mutated, outcome, runs } from './support.js';

const files = tinyProFiles();
const tok = InternS1Tokenizer.fromFiles(files);
const TAGS = ['<SMILES>', '</SMILES>', '<protein>', '</protein>', '<dna>', '</dna>', '<|im_start|>', '<|im_end|>', '<SMILES_AUTO_DETECT>', '\u2581', '\uD800', '\uDC00'];
const textArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }), // lone surrogates included
  mixedArb,
  fc.array(fc.oneof(fc.constantFrom(...TAGS), fc.string({ maxLength: 8 })), { maxLength: 12 }).map((p) => p.join('')),
  fc.tuple(fc.constantFrom('a', 'C', 'A', 'ATGC', 'é', '1'), fc.integer({ min: 100, max: 3000 })).map(([c, n]) => c.repeat(n)),
);
const enc = new TextEncoder();
const dec = new TextDecoder();

describe('fuzz: tokenizer', () => {
  it('any text encodes; its ids decode', () => {
    fc.assert(fc.property(textArb, fc.boolean(), (text, split) => {
      const r = outcome('encode', () => tok.encode(text, { splitSpecialTokens: split }));
      if (r.ok) {
        const ids = (r.value as { ids: number[] }).ids;
        expect(outcome('decode own ids', () => tok.decode(ids)).ok).toBe(true);
      }
    }), { numRuns: runs(200) });
  });

  it('any id list decodes or is a TokenizerError', () => {
    const idArb = fc.oneof(fc.integer({ min: -3, max: tok.size + 3 }), fc.constantFrom(NaN, 1.5, 2 ** 40, -0));
    fc.assert(fc.property(fc.array(idArb, { maxLength: 40 }), fc.boolean(), (ids, skip) => {
      outcome('decode', () => tok.decode(ids, { skipSpecialTokens: skip }));
      outcome('convertIdsToTokens', () => tok.convertIdsToTokens(ids));
    }), { numRuns: runs(200) });
  });

  it('mutated tokenizer files load or give an InternS1Error', () => {
    const keys = ['tokenizerConfig', 'vocab', 'merges'] as const;
    const arb = fc.tuple(fc.constantFrom(...keys), mutated([enc.encode(files.tokenizerConfig), enc.encode(files.vocab), enc.encode(files.merges)]));
    fc.assert(fc.property(arb, ([key, bytes]) => {
      const r = outcome(`fromFiles (${key})`, () => InternS1Tokenizer.fromFiles({ ...files, [key]: dec.decode(bytes) }));
      if (r.ok) outcome('encode with mutated files', () => (r.value as InternS1Tokenizer).encode('CC(=O)O <protein>MKT</protein> x'));
    }), { numRuns: runs(60) });
  });

  it('mutated sentencepiece models load or give an InternS1Error', () => {
    const models = Object.values(files.models);
    fc.assert(fc.property(mutated(models), (bytes) => {
      const r = outcome('SentencePieceModel.fromBytes', () => SentencePieceModel.fromBytes(bytes, 'fuzz.model'));
      if (r.ok) outcome('sentencepiece encode', () => (r.value as SentencePieceModel).encodeShared('MKTAYIAKQR ▁x'));
    }), { numRuns: runs(200) });
  });
});
