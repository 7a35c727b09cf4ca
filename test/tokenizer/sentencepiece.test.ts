/**
 * SentencePiece models: loading and validation, BPE and unigram encoders, fast vs reference, and
 * both against the sentencepiece WASM oracle (@sctg/sentencepiece-js) on the tiny models of
 * test/fixtures/tokenizer/ and on the real Intern-S1-Pro models. Parsing the `.model` protobuf
 * (proto2 defaults, malformed bytes) is in sentencepiece-proto.test.ts.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ref from '../../reference/tokenizer/sentencepiece.js';
import { TokenizerError } from '../../src/errors.js';
import * as fast from '../../src/tokenizer/sentencepiece.js';
import { mulberry32 } from '../support/arbitraries.js';
import { buildModel, describePro, dnaArb, fixture, proteinArb, smilesArb, textArb } from './support.js';
import { runs } from '../support/runs.js';


type Oracle = { encodeIds(t: string): number[]; encodePieces(t: string): string[] };
async function oracle(bytes: Uint8Array): Promise<Oracle> {
  const { SentencePieceProcessor } = await import('@sctg/sentencepiece-js');
  const p = new SentencePieceProcessor();
  await p.loadFromB64StringModel(Buffer.from(bytes).toString('base64'));
  return p;
}

const spText = fc.oneof(textArb, smilesArb, proteinArb, dnaArb, fc.string({ unit: fc.constantFrom(...'CcNO()=1 ▁?\t'), maxLength: 30 }));

function agree(f: fast.SentencePieceModel, r: ref.SentencePieceModel, o: Oracle, numRuns: number): void {
  fc.assert(
    fc.property(spText, (s) => {
      // The oracle's C++ sentencepiece takes NUL-terminated UTF-8: keep to well-formed strings without NUL for it.
      const a = f.encode(s);
      expect(a).toEqual(r.encode(s));
      if (!/\p{Cs}/u.test(s) && !s.includes('\0')) expect({ pieces: a.pieces, ids: a.ids }).toEqual({ pieces: o.encodePieces(s), ids: o.encodeIds(s) });
    }),
    { numRuns: runs(numRuns) },
  );
}

describe('sentencepiece .model loading', () => {
  it('reads the tiny fixture models', () => {
    const bpe = fast.SentencePieceModel.fromBytes(fixture('tiny_bpe.model'));
    expect(bpe.modelType).toBe('BPE');
    expect(bpe.proto.normalizerSpec.addDummyPrefix).toBe(false);
    const uni = fast.SentencePieceModel.fromBytes(fixture('tiny_unigram_ws.model'));
    expect(uni.modelType).toBe('UNIGRAM');
    expect(uni.proto.normalizerSpec.addDummyPrefix).toBe(true);
    expect(uni.idToPiece(0)).toBe('<unk>');
    expect(uni.pieceToId('<unk>')).toBe(0);
    expect(uni.pieceToId('no such piece')).toBe(0);
    expect(() => uni.idToPiece(uni.size)).toThrow(TokenizerError);
  });

  it('malformed or unsupported models give TokenizerError naming the file', () => {
    const unk = { piece: '<unk>', type: 'UNKNOWN' };
    const cases: [Uint8Array, RegExp][] = [
      [Uint8Array.from([0x0a, 0x50, 1, 2]), /bad\.model: not a sentencepiece ModelProto/],
      [Uint8Array.from([0xff, 0xff, 0xff]), /not a sentencepiece ModelProto/],
      [new Uint8Array(0), /has no pieces/],
      [buildModel({ pieces: [{ piece: 'a' }] }), /no UNKNOWN piece/],
      [buildModel({ pieces: [unk, { piece: '<u2>', type: 'UNKNOWN' }] }), /more than one UNKNOWN/],
      [buildModel({ pieces: [unk, { piece: 'a' }, { piece: 'a' }] }), /defined twice/],
      [buildModel({ pieces: [unk], trainerSpec: { byteFallback: true } }), /byte_fallback/],
      [buildModel({ pieces: [unk], trainerSpec: { modelType: 'WORD' } }), /model_type WORD is not supported/],
      [buildModel({ pieces: [unk], normalizerSpec: { name: 'nmt_nfkc', precompiledCharsmap: [1, 2, 3] } }), /charsmap/],
    ];
    for (const [bytes, re] of cases) {
      expect(() => fast.SentencePieceModel.fromBytes(bytes, 'bad.model')).toThrow(TokenizerError);
      expect(() => fast.SentencePieceModel.fromBytes(bytes, 'bad.model')).toThrow(re);
      expect(() => ref.SentencePieceModel.fromBytes(bytes, 'bad.model')).toThrow();
    }
  });
});

describe('sentencepiece encoders on the tiny fixture models (vs @sctg/sentencepiece-js)', () => {
  for (const file of ['tiny_bpe.model', 'tiny_unigram.model', 'tiny_unigram_ws.model', 'tiny_bpe_256.model']) {
    it(`${file}: fast == reference == oracle on random strings`, async () => {
      const bytes = fixture(file);
      agree(fast.SentencePieceModel.fromBytes(bytes), ref.SentencePieceModel.fromBytes(bytes), await oracle(bytes), 150);
    });
  }

  it('unknown runs are fused and keep their surface text', () => {
    const m = fast.SentencePieceModel.fromBytes(fixture('tiny_bpe.model'));
    const e = m.encode('C~~é C');
    expect(e.ids.filter((id) => id === 0)).toHaveLength(1);
    expect(e.pieces.join('')).toBe('C~~é\u2581C');
  });
});

describePro('sentencepiece encoders on the real Intern-S1-Pro models', (dir) => {
  const models: Record<string, { bytes: Uint8Array; fast: fast.SentencePieceModel; ref: ref.SentencePieceModel; oracle: Oracle }> = {};
  beforeAll(async () => {
    for (const name of ['SMILES', 'PROT', 'XNA']) {
      const bytes = readFileSync(`${dir}/tokenizer_${name}.model`);
      models[name] = { bytes, fast: fast.SentencePieceModel.fromBytes(bytes, name), ref: ref.SentencePieceModel.fromBytes(bytes, name), oracle: await oracle(bytes) };
    }
  });

  it('have the settings of spec §1.4', () => {
    for (const { fast: m } of Object.values(models)) {
      expect(m.modelType).toBe('BPE');
      expect(m.size).toBe(1024);
      expect(m.unkId).toBe(0);
      expect(m.proto.trainerSpec.splitDigits).toBe(true);
      expect(m.proto.normalizerSpec).toMatchObject({ name: 'identity', addDummyPrefix: false, removeExtraWhitespaces: false, escapeWhitespaces: true });
      expect(m.proto.pieces.slice(1).every((p) => p.type === 'NORMAL' && /^[\x21-\x7e]+$/.test(p.piece))).toBe(true);
    }
  });

  it('reproduce the spec goldens', () => {
    expect(models.SMILES.fast.encode('Cl??Br')).toEqual({ pieces: ['Cl', '??', 'Br'], ids: [77, 0, 78] });
    expect(models.SMILES.fast.encode('  CC').pieces).toEqual(['\u2581\u2581', 'CC']);
    expect(models.PROT.fast.encode('MKT AYI')).toEqual({ pieces: ['M', 'KT', '\u2581', 'AY', 'I'], ids: [1016, 107, 0, 81, 1008] });
  });

  for (const name of ['SMILES', 'PROT', 'XNA']) {
    it(`${name}: fast == reference == oracle on random strings`, () => {
      const m = models[name];
      agree(m.fast, m.ref, m.oracle, 120);
    });
  }

  it('a 1 MB protein sequence encodes (heap merges; no stack overflow)', () => {
    const rand = mulberry32(3);
    const aa = 'LAGSVERTIDKPNFQYMHCW';
    let s = '';
    for (let i = 0; i < 1 << 20; i++) s += aa[Math.floor(rand() * aa.length)];
    const e = models.PROT.fast.encode(s);
    expect(e.pieces.join('')).toBe(s);
    expect(e.ids.every((id) => id > 0)).toBe(true);
    expect(e.pieces.length).toBeLessThan(s.length);
  });
});
