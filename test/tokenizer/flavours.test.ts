/**
 * The configuration-driven registry with constructed files (no real checkpoint needed): an
 * Intern-S1 flavour (SMILES / IUPAC / FASTA, detectors without skipping, offsets by the run-time
 * rule), a Pro flavour on tiny models, and the id-collision fallback of the fast path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as refTok from '../../reference/tokenizer/tokenizer.js';
import { TokenizerError } from '../../src/errors.js';
import * as cfg from '../../src/tokenizer/config.js';
import type { TokenizerFiles } from '../../src/tokenizer/files.js';
import { SentencePieceModel } from '../../src/tokenizer/sentencepiece.js';
import * as fastTok from '../../src/tokenizer/tokenizer.js';
import { dnaArb, fixture, mixedArb, proteinArb, smilesArb, textArb, toyFiles, trainToyBpe, TOY_CORPUS } from './support.js';
import { runs } from '../support/runs.js';

const toy = toyFiles(trainToyBpe(TOY_CORPUS, 200));
const base = Object.keys(JSON.parse(toy.vocab)).length;

type Added = { content: string; id: number; special?: boolean };
function configJson(added: Added[], extra: Record<string, unknown> = {}): string {
  const decoder: Record<string, unknown> = {};
  for (const a of added) decoder[a.id] = { content: a.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: a.special ?? true };
  return JSON.stringify({ added_tokens_decoder: decoder, bos_token: null, eos_token: '<|im_end|>', pad_token: '<|endoftext|>', additional_special_tokens: ['<|im_start|>', '<|im_end|>'], ...extra });
}

/** An Intern-S1-like folder: 3 head tokens, SMILES (+4 tags), IUPAC (+2), FASTA (+2 when registered). */
function s1Files(registerFasta: boolean): { files: TokenizerFiles; offsets: { SMILES: number; IUPAC: number; FASTA: number } } {
  const models = { 'tokenizer_SMILES.model': fixture('tiny_bpe_256.model'), 'tokenizer_IUPAC.model': fixture('tiny_unigram.model'), 'tokenizer_FASTA.model': fixture('tiny_bpe.model') };
  const size = (f: keyof typeof models) => SentencePieceModel.fromBytes(models[f]).size;
  const head = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const [s, i, f] = cfg.s1Offsets(base, head.length, [
    { size: size('tokenizer_SMILES.model'), tags: 4 },
    { size: size('tokenizer_IUPAC.model'), tags: 2 },
    { size: size('tokenizer_FASTA.model'), tags: registerFasta ? 2 : 0 },
  ]);
  const added: Added[] = head.map((content, k) => ({ content, id: base + k }));
  const smilesEnd = s + size('tokenizer_SMILES.model');
  ['<SMILES>', '</SMILES>', '<SELFIES>', '</SELFIES>'].forEach((content, k) => added.push({ content, id: smilesEnd + k, special: false }));
  const iupacEnd = i + size('tokenizer_IUPAC.model');
  ['<IUPAC>', '</IUPAC>'].forEach((content, k) => added.push({ content, id: iupacEnd + k, special: false }));
  const fastaEnd = f + size('tokenizer_FASTA.model');
  if (registerFasta) ['<FASTA>', '</FASTA>'].forEach((content, k) => added.push({ content, id: fastaEnd + k, special: false }));
  added.push({ content: '<IMG_CONTEXT>', id: fastaEnd + 2 });
  return { files: { vocab: toy.vocab, merges: toy.merges, tokenizerConfig: configJson(added), models }, offsets: { SMILES: s, IUPAC: i, FASTA: f } };
}

describe('offsets and presets', () => {
  it('the Intern-S1 run-time rule gives the constants of transformers’ port (spec §1.2)', () => {
    expect(cfg.s1Offsets(151643, 26, [{ size: 256, tags: 4 }, { size: 512, tags: 2 }, { size: 1000, tags: 0 }])).toEqual([151669, 151929, 152443]);
    expect(cfg.S1_OFFSETS).toEqual({ SMILES: 151669, IUPAC: 151929, FASTA: 152443 });
    expect(cfg.detectFlavour({ offset_SMILES: 1, offset_PROT: 2, offset_XNA: 3 }).name).toBe('intern-s1-pro');
    expect(cfg.detectFlavour({}).name).toBe('intern-s1');
    expect(() => cfg.proFlavour({ offset_SMILES: 1, offset_PROT: 'x' })).toThrow(TokenizerError);
    expect(() => cfg.proFlavour({ offset_SMILES: 1, offset_PROT: 2 })).toThrow(/offset_XNA/);
  });
});

describe('Intern-S1 flavour with constructed files', () => {
  const { files, offsets } = s1Files(true);
  const flavour = cfg.s1Flavour(offsets);
  const tok = fastTok.InternS1Tokenizer.fromFiles(files, { flavour });
  const rtok = refTok.InternS1Tokenizer.fromFiles(files, { flavour });

  it('numbers the domains by the run-time rule', () => {
    expect(tok.domains.map((d) => d.offset)).toEqual([base + 3, offsets.IUPAC, offsets.FASTA]);
    expect(tok.tokenToId('<SMILES>')).toBe(offsets.SMILES + tok.domains[0].model.size);
    expect(tok.idToToken(offsets.IUPAC + 1)).toBe(tok.domains[1].model.idToPiece(1));
  });

  it('explicit tags: <SMILES> and <SELFIES> use SMILES, <IUPAC> IUPAC, a registered <FASTA> FASTA', () => {
    for (const t of [tok, rtok]) {
      expect(new Set(t.encode('<SELFIES>CCO</SELFIES>').domains)).toEqual(new Set(['added', 'SMILES']));
      expect(t.encode('<IUPAC>ethanol acid</IUPAC>').domains).toContain('IUPAC');
      expect(t.encode('<FASTA>MKTAYIAKQR</FASTA>').domains).toContain('FASTA');
    }
  });

  it('no skipping: a 30-capital SMILES run nests FASTA inside SMILES and is encoded by FASTA (spec §1.6)', () => {
    const s = 'C'.repeat(30);
    for (const t of [tok, rtok]) {
      const tokens = t.tokenize(s);
      expect(tokens.slice(0, 2)).toEqual(['<SMILES_AUTO_DETECT>', '<FASTA_AUTO_DETECT>']);
      expect(tokens.slice(-2)).toEqual(['</FASTA_AUTO_DETECT>', '</SMILES_AUTO_DETECT>']);
      expect(new Set(t.encode(s).domains)).toEqual(new Set(['FASTA']));
    }
  });

  it('all-caps prose is detected as FASTA', () => {
    for (const t of [tok, rtok]) expect(t.encode('THISISANUPPERCASESENTENCEWITHOUTSPACES').domains).toContain('FASTA');
  });

  it('an unregistered <FASTA> tag is plain text (spec §3)', () => {
    const u = s1Files(false);
    const t = fastTok.InternS1Tokenizer.fromFiles(u.files, { flavour: cfg.s1Flavour(u.offsets) });
    const e = t.encode('<FASTA>MKT</FASTA>');
    expect(e.domains.every((d) => d === 'text')).toBe(true);
    expect(t.decode(e.ids)).toBe('<FASTA>MKT</FASTA>');
  });

  it('fast == reference and round trips on random text', () => {
    const tags = fc.constantFrom('<SMILES>', '</SMILES>', '<SELFIES>', '</SELFIES>', '<IUPAC>', '</IUPAC>', '<FASTA>', '</FASTA>', '<MOLFORMULA>', '</MOLFORMULA>', '<|im_end|>');
    const arb = fc.array(fc.oneof(textArb, smilesArb, proteinArb, dnaArb, mixedArb, tags), { maxLength: 6 }).map((p) => p.join(''));
    fc.assert(
      fc.property(arb, (s) => {
        const e = tok.encode(s);
        expect(e).toEqual(rtok.encode(s));
        expect(tok.tokenize(s)).toEqual(rtok.tokenize(s));
        expect(tok.decode(e.ids)).toBe(rtok.decode(e.ids));
        if (!s.includes('\u2581') && !/\p{Cs}/u.test(s) && !s.includes('_AUTO_DETECT>')) expect(tok.decode(e.ids)).toBe(s.normalize('NFC'));
      }),
      { numRuns: runs(100) },
    );
  });
});

describe('Pro flavour on tiny models (skipping detected spans)', () => {
  const models = { 'tokenizer_SMILES.model': fixture('tiny_bpe.model'), 'tokenizer_PROT.model': fixture('tiny_bpe_256.model'), 'tokenizer_XNA.model': fixture('tiny_unigram.model') };
  const sizes = Object.values(models).map((b) => SentencePieceModel.fromBytes(b).size);
  const offsets = { offset_SMILES: base + 2, offset_PROT: base + 2 + sizes[0], offset_XNA: base + 2 + sizes[0] + sizes[1] };
  const tagBase = offsets.offset_XNA + sizes[2];
  const added: Added[] = [{ content: '<|im_start|>', id: base }, { content: '<|im_end|>', id: base + 1 },
    ...['<SMILES>', '</SMILES>', '<protein>', '</protein>', '<dna>', '</dna>', '<rna>', '</rna>'].map((content, k) => ({ content, id: tagBase + k, special: false }))];
  const files: TokenizerFiles = { vocab: toy.vocab, merges: toy.merges, tokenizerConfig: configJson(added, offsets), models };
  const tok = fastTok.InternS1Tokenizer.fromFiles(files);
  const rtok = refTok.InternS1Tokenizer.fromFiles(files);

  it('is detected from offset_SMILES and skips earlier spans', () => {
    expect(tok.flavour.name).toBe('intern-s1-pro');
    expect(tok.tokenize('C'.repeat(30)).filter((t) => t.endsWith('_AUTO_DETECT>'))).toEqual(['<SMILES_AUTO_DETECT>', '</SMILES_AUTO_DETECT>']);
    expect(tok.tokenize('ATGCATGCATGCATGCATGCATGCATGCATGC').filter((t) => t.endsWith('_AUTO_DETECT>'))).toEqual(['<XNA_AUTO_DETECT>', '</XNA_AUTO_DETECT>']);
  });

  it('fast == reference on random text', () => {
    fc.assert(
      fc.property(fc.oneof(mixedArb, smilesArb, proteinArb, dnaArb), (s) => {
        expect(tok.encode(s)).toEqual(rtok.encode(s));
      }),
      { numRuns: runs(200) },
    );
  });

  it('split_special_tokens in tokenizer_config.json sets the default of the option', () => {
    const cfgJson = JSON.parse(files.tokenizerConfig);
    const split = { ...files, tokenizerConfig: JSON.stringify({ ...cfgJson, split_special_tokens: true }) };
    for (const t of [fastTok.InternS1Tokenizer.fromFiles(split), refTok.InternS1Tokenizer.fromFiles(split)]) {
      expect(t.encode('<protein>MKT</protein>').domains.every((d) => d === 'text')).toBe(true);
      expect(t.encode('<protein>MKT</protein>', { splitSpecialTokens: false }).domains[0]).toBe('added');
    }
  });

  it('a missing model file is a TokenizerError', () => {
    const { 'tokenizer_XNA.model': _drop, ...rest } = models;
    expect(() => fastTok.InternS1Tokenizer.fromFiles({ ...files, models: rest })).toThrow(/tokenizer_XNA\.model: the XNA sentencepiece model is missing/);
  });
});

describe('id collisions force the string-lookup rules (spec §1.7)', () => {
  // An added token whose content equals a BPE token string: convert_tokens_to_ids gives it the added id.
  const vocab = JSON.parse(toy.vocab) as Record<string, number>;
  const collide = Object.keys(vocab).find((t) => t.startsWith('Ġ') && t.length > 2)!;
  const models = { 'tokenizer_SMILES.model': fixture('tiny_bpe.model'), 'tokenizer_PROT.model': fixture('tiny_bpe_256.model'), 'tokenizer_XNA.model': fixture('tiny_unigram.model') };
  const sizes = Object.values(models).map((b) => SentencePieceModel.fromBytes(b).size);
  const offsets = { offset_SMILES: base + 1, offset_PROT: base + 1 + sizes[0], offset_XNA: base + 1 + sizes[0] + sizes[1] };
  const files: TokenizerFiles = {
    vocab: toy.vocab, merges: toy.merges, models,
    tokenizerConfig: configJson([{ content: collide, id: base }, { content: '<SMILES>', id: base + 2 + sizes.reduce((a, b) => a + b), special: false }], offsets),
  };
  const tok = fastTok.InternS1Tokenizer.fromFiles(files);
  const rtok = refTok.InternS1Tokenizer.fromFiles(files);

  it(`the BPE token ${JSON.stringify(collide)} takes the added id, in both paths`, () => {
    const text = `x${collide.replace('Ġ', ' ')} y`;
    const e = tok.encode(text);
    expect(e).toEqual(rtok.encode(text));
    expect(e.ids).toContain(base);
    fc.assert(
      fc.property(fc.oneof(mixedArb, textArb), (s) => {
        expect(tok.encode(s)).toEqual(rtok.encode(s));
      }),
      { numRuns: runs(100) },
    );
  });
});
