/**
 * Parsing a sentencepiece `.model` file (tokenizer spec §1.4; the proto2-defaults test moved here
 * from sentencepiece.test.ts): every default of an absent field, explicit values (false for the
 * true defaults, each enum name), the field numbers of the spec, unknown fields skipped, random
 * models read back as generated, the Pro files, and malformed bytes or unknown enum values as a
 * TokenizerError naming the file. Parsing computes nothing, so it has no reference twin
 * (DESIGN.md): both trees import src/tokenizer/sentencepiece-proto.ts.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/tokenizer/sentencepiece.js';
import { TokenizerError } from '../../src/errors.js';
import * as fastProto from '../../src/tokenizer/sentencepiece-proto.js';
import * as fast from '../../src/tokenizer/sentencepiece.js';
import { buildModel, describePro, fixture } from './support.js';
import { runs } from '../support/runs.js';

const FIXTURES = ['tiny_bpe.model', 'tiny_bpe_256.model', 'tiny_unigram.model', 'tiny_unigram_ws.model'];

/** The defaults of spec §1.4 and upstream's sentencepiece_model.proto for the fields this library reads. */
const TRAINER_DEFAULTS = {
  modelType: 'UNIGRAM', vocabSize: 8000, splitByWhitespace: true, treatWhitespaceAsSuffix: false, splitDigits: false,
  byteFallback: false, unkId: 0, bosId: 1, eosId: 2, padId: -1, unkPiece: '<unk>',
};
const NORMALIZER_DEFAULTS = { name: '', precompiledCharsmap: new Uint8Array(0), addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true };

describe('sentencepiece .model parsing', () => {
  it('applies proto2 defaults to absent fields', () => {
    const bytes = buildModel({ pieces: [{ piece: '<unk>', type: 'UNKNOWN' }, { piece: 'a', score: -1 }] });
    for (const p of [fast.parseSentencePieceModel(bytes), ref.parseSentencePieceModel(bytes)]) {
      expect(p.trainerSpec.modelType).toBe('UNIGRAM');
      expect(p.trainerSpec.unkId).toBe(0);
      expect(p.trainerSpec.bosId).toBe(1);
      expect(p.normalizerSpec.addDummyPrefix).toBe(true);
      expect(p.normalizerSpec.removeExtraWhitespaces).toBe(true);
      expect(p.normalizerSpec.escapeWhitespaces).toBe(true);
      expect(p.pieces[1]).toEqual({ piece: 'a', score: -1, type: 'NORMAL' }); // type defaults to NORMAL
    }
    const m = fast.SentencePieceModel.fromBytes(bytes);
    expect(m.normalize('  a  b ')).toBe('\u2581a\u2581b'); // squeezed, trimmed, dummy prefix, escaped
    expect(m.normalize('a\u2581\u2581')).toBe('\u2581a'); // trailing literal ▁ are dropped too
    expect(m.normalize('   ')).toBe('');
    expect(m.encode(' aa ').pieces).toEqual(['\u2581', 'a', 'a']);
  });


  it('gives every default of an absent field, whether the spec messages are absent or present but empty', () => {
    for (const obj of [{}, { trainerSpec: {}, normalizerSpec: {} }]) {
      const bytes = buildModel(obj);
      const p = fastProto.parseSentencePieceModel(bytes);
      expect(p.pieces).toEqual([]);
      expect(p.trainerSpec).toEqual(TRAINER_DEFAULTS);
      expect(p.normalizerSpec).toEqual(NORMALIZER_DEFAULTS);
    }
    expect(fastProto.parseSentencePieceModel(new Uint8Array(0)).trainerSpec).toEqual(TRAINER_DEFAULTS); // no bytes: an empty message
  });

  it('reads explicit values: false over a true default, every piece type and model type by name, the charsmap bytes', () => {
    const types = ['NORMAL', 'UNKNOWN', 'CONTROL', 'USER_DEFINED', 'UNUSED', 'BYTE'] as const;
    for (const modelType of ['UNIGRAM', 'BPE', 'WORD', 'CHAR'] as const) {
      const trainerSpec = { modelType, vocabSize: 1024, splitByWhitespace: false, treatWhitespaceAsSuffix: true, splitDigits: true, byteFallback: true, unkId: 3, bosId: -1, eosId: -1, padId: 7, unkPiece: '[UNK]' };
      const normalizerSpec = { name: 'identity', precompiledCharsmap: new Uint8Array([1, 2, 255]), addDummyPrefix: false, removeExtraWhitespaces: false, escapeWhitespaces: false };
      const pieces = types.map((type, i) => ({ piece: `p${i}`, score: -i - 0.5, type }));
      const bytes = buildModel({ pieces, trainerSpec, normalizerSpec });
      expect(fastProto.parseSentencePieceModel(bytes)).toEqual({ pieces, trainerSpec, normalizerSpec });
    }
  });

  it('the schema has the field numbers of spec §1.4', () => {
    const ns = (fastProto.SENTENCEPIECE_SCHEMA.nested!.sentencepiece as { nested: Record<string, { fields: Record<string, { id: number }>; nested?: Record<string, { fields: Record<string, { id: number }> }> }> }).nested;
    const ids = (m: { fields: Record<string, { id: number }> }) => Object.fromEntries(Object.entries(m.fields).map(([k, f]) => [k, f.id]));
    expect(ids(ns.ModelProto)).toEqual({ pieces: 1, trainerSpec: 2, normalizerSpec: 3, denormalizerSpec: 5 });
    expect(ids(ns.ModelProto.nested!.SentencePiece)).toEqual({ piece: 1, score: 2, type: 3 });
    expect(ids(ns.TrainerSpec)).toEqual({
      modelType: 3, vocabSize: 4, splitByWhitespace: 22, treatWhitespaceAsSuffix: 24, splitDigits: 25, byteFallback: 35,
      unkId: 40, bosId: 41, eosId: 42, padId: 43, unkPiece: 45,
    });
    expect(ids(ns.NormalizerSpec)).toEqual({ name: 1, precompiledCharsmap: 2, addDummyPrefix: 3, removeExtraWhitespaces: 4, escapeWhitespaces: 5 });
  });

  it('skips fields it does not know (a newer file)', () => {
    const base = buildModel({ pieces: [{ piece: '<unk>', type: 'UNKNOWN' }], trainerSpec: { modelType: 'BPE' } });
    const unknown = Uint8Array.from([...base, 0x98, 0x06, 0x01, 0xa2, 0x06, 0x02, 0x68, 0x69]); // field 99 varint 1, field 100 bytes "hi"
    expect(fastProto.parseSentencePieceModel(unknown)).toEqual(fastProto.parseSentencePieceModel(base));
  });

  it('random models (any subset of the fields) read back as written, defaults where absent', () => {
    const pieceArb = fc.record({
      piece: fc.string({ minLength: 1, maxLength: 6 }), score: fc.float({ noNaN: true, noDefaultInfinity: true }).map((v) => (v === 0 ? 0 : v)),
      type: fc.constantFrom('NORMAL', 'UNKNOWN', 'CONTROL', 'USER_DEFINED', 'UNUSED', 'BYTE'),
    }, { requiredKeys: ['piece'] });
    const trainerArb = fc.record({
      modelType: fc.constantFrom('UNIGRAM', 'BPE', 'WORD', 'CHAR'), vocabSize: fc.nat(), splitByWhitespace: fc.boolean(), splitDigits: fc.boolean(),
      byteFallback: fc.boolean(), unkId: fc.integer({ min: -1, max: 100 }), padId: fc.integer({ min: -1, max: 100 }), unkPiece: fc.string(),
    }, { requiredKeys: [] });
    const normArb = fc.record({
      name: fc.string(), precompiledCharsmap: fc.uint8Array({ maxLength: 8 }), addDummyPrefix: fc.boolean(), removeExtraWhitespaces: fc.boolean(), escapeWhitespaces: fc.boolean(),
    }, { requiredKeys: [] });
    const modelArb = fc.record({ pieces: fc.array(pieceArb, { maxLength: 8 }), trainerSpec: trainerArb, normalizerSpec: normArb }, { requiredKeys: [] });
    fc.assert(fc.property(modelArb, (obj) => {
      const bytes = buildModel(obj);
      expect(fastProto.parseSentencePieceModel(bytes)).toEqual({
        pieces: (obj.pieces ?? []).map((p) => ({ piece: p.piece, score: p.score ?? 0, type: p.type ?? 'NORMAL' })),
        trainerSpec: { ...TRAINER_DEFAULTS, ...obj.trainerSpec },
        normalizerSpec: { ...NORMALIZER_DEFAULTS, ...obj.normalizerSpec, precompiledCharsmap: Uint8Array.from(obj.normalizerSpec?.precompiledCharsmap ?? []) },
      });
    }), { numRuns: runs(150) });
  });

  it('the tiny fixture models parse: pieces, with <unk> first, and a model type', () => {
    for (const f of FIXTURES) {
      const p = fastProto.parseSentencePieceModel(fixture(f), f);
      expect(p.pieces.length, f).toBeGreaterThan(3);
      expect(p.pieces[p.trainerSpec.unkId], f).toMatchObject({ piece: '<unk>', type: 'UNKNOWN' });
      expect(p.trainerSpec.modelType, f).toBe(f.includes('bpe') ? 'BPE' : 'UNIGRAM');
    }
  });

  it('malformed bytes are a TokenizerError naming the file', () => {
    const cases: [string, number[]][] = [
      ['a length past the end', [0x0a, 0x50, 1, 2]],
      ['a truncated varint', [0x10, 0xff]],
      ['field number 0', [0x00]],
      ['an end-group tag with no group', [0x0c]],
      ['a truncated file', Array.from(fixture('tiny_bpe.model').subarray(0, 20))],
    ];
    for (const [what, bytes] of cases) {
      const b = Uint8Array.from(bytes);
      expect(() => fastProto.parseSentencePieceModel(b, 'bad.model'), what).toThrow(TokenizerError);
      expect(() => fastProto.parseSentencePieceModel(b, 'bad.model'), what).toThrow(/^bad\.model: not a sentencepiece ModelProto \(/);
    }
    expect(() => fastProto.parseSentencePieceModel(Uint8Array.from([0x0a, 0x50]))).toThrow(/^model: not a sentencepiece ModelProto/); // default file name
  });

  it('a value outside an enum is a TokenizerError naming the file, the field and the value', () => {
    // trainer_spec (field 2) { model_type (field 3) = 9 }; pieces (field 1) { piece "a", type (field 3) = 7 }
    const modelType = Uint8Array.from([0x12, 0x02, 0x18, 0x09]);
    const pieceType = Uint8Array.from([0x0a, 0x07, 0x0a, 0x01, 0x61, 0x18, 0x01, 0x18, 0x07]);
    expect(() => fastProto.parseSentencePieceModel(modelType, 'x.model')).toThrow(TokenizerError);
    expect(() => fastProto.parseSentencePieceModel(modelType, 'x.model')).toThrow(/^x\.model: trainer_spec\.model_type has the unknown value 9$/);
    expect(() => fastProto.parseSentencePieceModel(pieceType, 'x.model')).toThrow(/^x\.model: piece 0 has the unknown type 7$/);
  });
});

describePro('the Intern-S1-Pro .model files', (dir) => {
  it('parse with the explicit settings of spec §1.4', () => {
    for (const name of ['SMILES', 'PROT', 'XNA']) {
      const bytes = readFileSync(`${dir}/tokenizer_${name}.model`);
      const p = fastProto.parseSentencePieceModel(bytes, name);
      expect(p.pieces).toHaveLength(1024);
      expect(p.trainerSpec).toMatchObject({ modelType: 'BPE', unkId: 0, bosId: -1, eosId: -1, padId: -1, byteFallback: false, splitDigits: true, splitByWhitespace: true });
      expect(p.normalizerSpec).toMatchObject({ name: 'identity', addDummyPrefix: false, removeExtraWhitespaces: false, escapeWhitespaces: true });
      expect(p.normalizerSpec.precompiledCharsmap).toHaveLength(0);
      expect(p.pieces[0]).toMatchObject({ piece: '<unk>', type: 'UNKNOWN' });
      expect(p.pieces.slice(1).every((q, i) => q.score === -i)).toBe(true); // 0, −1, −2, … (an earlier piece merges first)
    }
  });
});
