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

/**
 * The part of `sentencepiece_model.proto` this library reads, as a protobufjs JSON descriptor
 * (`protobuf.Root.fromJSON`): package `sentencepiece` with the messages `ModelProto` (`pieces`,
 * `trainerSpec`, `normalizerSpec`, `denormalizerSpec`; `SentencePiece` nested with its `Type`
 * enum), `TrainerSpec` (with its `ModelType` enum) and `NormalizerSpec`. Field numbers and proto2
 * defaults are upstream's; what parsing returns is {@link SentencePieceModelProto}. Declared as
 * protobufjs's `INamespace` (the type `fromJSON` takes), not as its literal type.
 */
export const SENTENCEPIECE_SCHEMA: protobuf.INamespace = {
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
  /** The vocabulary, in id order (piece i has id i). */
  pieces: {
    /** The piece's surface string (`▁` for a space). */
    piece: string;
    /** Its score: log probability (UNIGRAM) or merge priority (BPE; higher merges first). */
    score: number;
    /** Its type (NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE). */
    type: PieceType;
  }[];
  /** `TrainerSpec`: the training settings that also govern encoding. */
  trainerSpec: {
    /** The segmentation algorithm. */
    modelType: 'UNIGRAM' | 'BPE' | 'WORD' | 'CHAR';
    /** Vocabulary size asked for at training. */
    vocabSize: number;
    /** Whether pieces never cross whitespace. */
    splitByWhitespace: boolean;
    /** Whether `▁` ends pieces instead of starting them. */
    treatWhitespaceAsSuffix: boolean;
    /** Whether every digit is its own piece. */
    splitDigits: boolean;
    /** Whether unknown characters decompose into UTF-8 byte pieces. */
    byteFallback: boolean;
    /** Id of the unknown piece. */
    unkId: number;
    /** Id of `<s>`, −1 for none. */
    bosId: number;
    /** Id of `</s>`, −1 for none. */
    eosId: number;
    /** Id of the padding piece, −1 for none. */
    padId: number;
    /** Surface of the unknown piece. */
    unkPiece: string;
  };
  /** `NormalizerSpec`: how text is normalised before segmentation. */
  normalizerSpec: {
    /** Normalisation rule name (`identity`, `nmt_nfkc`, ...). */
    name: string;
    /** Compiled normalisation rules; empty for the identity normalizer. */
    precompiledCharsmap: Uint8Array;
    /** Whether a space (`▁`) is prepended to the text. */
    addDummyPrefix: boolean;
    /** Whether leading and trailing spaces are stripped and inner runs collapsed to one. */
    removeExtraWhitespaces: boolean;
    /** Whether spaces are replaced by `▁` (U+2581). */
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
 * are not a ModelProto or hold a value outside an enum (`model_type`, a piece's `type`).
 *
 * @example
 * ```ts
 * import { parseSentencePieceModel } from 'intern-s1-ts/internals';
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
  const pieces = (o.pieces as SentencePieceModelProto['pieces']).map((p) => ({ piece: p.piece, score: p.score, type: p.type }));
  // [I] A value outside an enum (toObject leaves it a number) would make proto2 fall back to the
  // field's default; in a .model file it means a newer or corrupt file, so it is refused, not guessed.
  if (typeof trainer.modelType !== 'string') throw new TokenizerError(`${file}: trainer_spec.model_type has the unknown value ${trainer.modelType}`);
  const bad = pieces.findIndex((p) => typeof p.type !== 'string');
  if (bad >= 0) throw new TokenizerError(`${file}: piece ${bad} has the unknown type ${pieces[bad].type}`);
  return {
    pieces,
    trainerSpec: trainer,
    normalizerSpec: { ...(norm as SentencePieceModelProto['normalizerSpec']), precompiledCharsmap: Uint8Array.from((norm.precompiledCharsmap as number[]) ?? []) },
  };
}
