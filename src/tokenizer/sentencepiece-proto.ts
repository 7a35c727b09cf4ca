/**
 * The sentencepiece `.model` file (tokenizer spec §1.4): a `sentencepiece.ModelProto` (proto2)
 * message read with protobufjs reflection from the schema below; absent fields take their proto2
 * defaults (`add_dummy_prefix`, `remove_extra_whitespaces`, `escape_whitespaces` default to true,
 * `model_type` to UNIGRAM).
 *
 * @module
 */
import protobuf from 'protobufjs/light.js';
import { TokenizerError } from '../errors.js';

/** The part of `sentencepiece_model.proto` this library reads (field numbers and proto2 defaults as upstream). */
export const SENTENCEPIECE_SCHEMA = {
  nested: {
    sentencepiece: {
      nested: {
        ModelProto: {
          fields: {
            pieces: { rule: 'repeated', type: 'SentencePiece', id: 1 },
            trainerSpec: { type: 'TrainerSpec', id: 2 },
            normalizerSpec: { type: 'NormalizerSpec', id: 3 },
            denormalizerSpec: { type: 'NormalizerSpec', id: 5 },
          },
          nested: {
            SentencePiece: {
              fields: {
                piece: { type: 'string', id: 1 },
                score: { type: 'float', id: 2 },
                type: { type: 'Type', id: 3, options: { default: 'NORMAL' } },
              },
              nested: { Type: { values: { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } } },
            },
          },
        },
        TrainerSpec: {
          fields: {
            modelType: { type: 'ModelType', id: 3, options: { default: 'UNIGRAM' } },
            vocabSize: { type: 'int32', id: 4, options: { default: 8000 } },
            splitByWhitespace: { type: 'bool', id: 22, options: { default: true } },
            treatWhitespaceAsSuffix: { type: 'bool', id: 24, options: { default: false } },
            splitDigits: { type: 'bool', id: 25, options: { default: false } },
            byteFallback: { type: 'bool', id: 35, options: { default: false } },
            unkId: { type: 'int32', id: 40, options: { default: 0 } },
            bosId: { type: 'int32', id: 41, options: { default: 1 } },
            eosId: { type: 'int32', id: 42, options: { default: 2 } },
            padId: { type: 'int32', id: 43, options: { default: -1 } },
            unkPiece: { type: 'string', id: 45, options: { default: '<unk>' } },
          },
          nested: { ModelType: { values: { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } } },
        },
        NormalizerSpec: {
          fields: {
            name: { type: 'string', id: 1 },
            precompiledCharsmap: { type: 'bytes', id: 2 },
            addDummyPrefix: { type: 'bool', id: 3, options: { default: true } },
            removeExtraWhitespaces: { type: 'bool', id: 4, options: { default: true } },
            escapeWhitespaces: { type: 'bool', id: 5, options: { default: true } },
          },
        },
      },
    },
  },
};

/** Piece types of `ModelProto.SentencePiece.Type`. */
export type PieceType = 'NORMAL' | 'UNKNOWN' | 'CONTROL' | 'USER_DEFINED' | 'UNUSED' | 'BYTE';

/** The fields of a parsed `.model` file this library uses, with proto2 defaults applied. */
export interface SentencePieceModelProto {
  pieces: { piece: string; score: number; type: PieceType }[];
  trainerSpec: {
    modelType: 'UNIGRAM' | 'BPE' | 'WORD' | 'CHAR';
    vocabSize: number;
    splitByWhitespace: boolean;
    treatWhitespaceAsSuffix: boolean;
    splitDigits: boolean;
    byteFallback: boolean;
    unkId: number;
    bosId: number;
    eosId: number;
    padId: number;
    unkPiece: string;
  };
  normalizerSpec: {
    name: string;
    precompiledCharsmap: Uint8Array;
    addDummyPrefix: boolean;
    removeExtraWhitespaces: boolean;
    escapeWhitespaces: boolean;
  };
}

let compiled: { model: protobuf.Type; trainer: protobuf.Type; normalizer: protobuf.Type } | undefined;
function schema(): { model: protobuf.Type; trainer: protobuf.Type; normalizer: protobuf.Type } {
  if (!compiled) {
    const root = protobuf.Root.fromJSON(SENTENCEPIECE_SCHEMA);
    compiled = {
      model: root.lookupType('sentencepiece.ModelProto'),
      trainer: root.lookupType('sentencepiece.TrainerSpec'),
      normalizer: root.lookupType('sentencepiece.NormalizerSpec'),
    };
  }
  return compiled;
}

const TO_OBJECT = { defaults: true, enums: String, longs: Number, bytes: Array } as const;

/**
 * Parse the bytes of a `.model` file. Throws {@link TokenizerError} naming `file` when the bytes
 * are not a ModelProto.
 *
 * @example
 * ```ts
 * import { parseSentencePieceModel } from 'intern-s1-ts';
 * import { readFileSync } from 'node:fs';
 * const dir = process.env.INTERN_S1_PRO_FILES;
 * if (dir) parseSentencePieceModel(readFileSync(`${dir}/tokenizer_XNA.model`)).trainerSpec.modelType; // 'BPE'
 * ```
 */
export function parseSentencePieceModel(bytes: Uint8Array, file = 'model'): SentencePieceModelProto {
  const s = schema();
  let msg: protobuf.Message;
  try {
    msg = s.model.decode(bytes);
  } catch (e) {
    throw new TokenizerError(`${file}: not a sentencepiece ModelProto (${(e as Error).message})`);
  }
  const o = s.model.toObject(msg, TO_OBJECT) as Record<string, unknown>;
  const trainer = (o.trainerSpec ?? s.trainer.toObject(s.trainer.create({}), TO_OBJECT)) as SentencePieceModelProto['trainerSpec'];
  const norm = (o.normalizerSpec ?? s.normalizer.toObject(s.normalizer.create({}), TO_OBJECT)) as Record<string, unknown>;
  return {
    pieces: (o.pieces as SentencePieceModelProto['pieces']).map((p) => ({ piece: p.piece, score: p.score, type: p.type })),
    trainerSpec: trainer,
    normalizerSpec: { ...(norm as SentencePieceModelProto['normalizerSpec']), precompiledCharsmap: Uint8Array.from((norm.precompiledCharsmap as number[]) ?? []) },
  };
}
