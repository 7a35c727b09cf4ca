/**
 * Reference reading of a sentencepiece `.model` file: protobufjs reflection over the schema
 * below, then `toObject` with defaults so that proto2 defaults apply.
 *
 * @module
 */
import protobuf from 'protobufjs/light.js';

/** The part of `sentencepiece_model.proto` read here (field numbers and proto2 defaults as upstream). */
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

/** The fields of a parsed `.model` file, with proto2 defaults applied. */
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

/** Parse the bytes of a `.model` file (decode, then `toObject` with defaults so proto2 defaults apply). */
export function parseSentencePieceModel(bytes: Uint8Array, file = 'model'): SentencePieceModelProto {
  const root = protobuf.Root.fromJSON(SENTENCEPIECE_SCHEMA);
  const ModelProto = root.lookupType('sentencepiece.ModelProto');
  const options = { defaults: true, enums: String, longs: Number, bytes: Array };
  let message;
  try {
    message = ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`${file}: not a sentencepiece ModelProto (${(e as Error).message})`);
  }
  const o = ModelProto.toObject(message, options);
  const emptyOf = (name: string) => {
    const type = root.lookupType(name);
    return type.toObject(type.create({}), options);
  };
  const trainerSpec = o.trainerSpec ?? emptyOf('sentencepiece.TrainerSpec');
  const normalizerSpec = o.normalizerSpec ?? emptyOf('sentencepiece.NormalizerSpec');
  return {
    pieces: o.pieces.map((p: { piece: string; score: number; type: PieceType }) => ({ piece: p.piece, score: p.score, type: p.type })),
    trainerSpec,
    normalizerSpec: { ...normalizerSpec, precompiledCharsmap: Uint8Array.from(normalizerSpec.precompiledCharsmap ?? []) },
  };
}
