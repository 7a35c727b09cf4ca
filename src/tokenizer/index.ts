/**
 * The Intern-S1 dynamic tokenizer: byte-level BPE plus SMILES / protein / nucleic-acid
 * sentencepiece sub-tokenizers (tokenizer spec), and the chat template.
 *
 * @module
 */
export { bytesToUnicode, unicodeToBytes, byteLevelEncode, byteLevelDecode, utf8DecodeReplace } from './bytes.js';
export { PY_WHITESPACE, PRETOKENIZE_PATTERN, pretokenizeRegex, pretokenize } from './pretokenize.js';
export { ByteLevelBPE, SHORT_WORD, LONG_WORD_SEGMENT, parseVocab, parseMerges, type BpeStats, type ByteLevelBPEOptions } from './bpe.js';
export {
  SentencePieceModel, SENTENCEPIECE_SCHEMA, parseSentencePieceModel,
  type SentencePieceModelProto, type SentencePieceEncoding, type PieceType,
} from './sentencepiece.js';
export {
  type Detector, type SmilesDetectorOptions, type RunDetectorOptions,
  SMILES_TWO_LETTER_ELEMENTS, SMILES_ONE_LETTER_ELEMENTS, PERIODIC_ELEMENTS,
  smilesCandidates, smilesRuleCheck, smilesLegitimate, countAsciiLetters,
  smilesDetector, runDetector, proteinDetector, xnaDetector, fastaDetector, reSplit,
} from './detectors.js';
export { AddedTokenSplitter, splitOnAddedTokens } from './added.js';
export {
  type DomainConfig, type DetectorKind, type FlavourConfig,
  proFlavour, s1Flavour, s1Offsets, detectFlavour, S1_OFFSETS,
} from './config.js';
export { type AddedTokenInfo, MAX_TOKEN_ID, type SpecialTokens, type TokenizerFiles } from './files.js';
export {
  InternS1Tokenizer,
  type InternS1TokenizerOptions, type TokenizerEncodeOptions, type TokenizerDecodeOptions, type Encoding, type LoadedDomain,
} from './tokenizer.js';
export {
  applyChatTemplate, expandMediaPlaceholders, imagePlaceholder, timeSeriesPlaceholder, pyJsonDumps,
  type ChatMessage, type ChatContentItem, type ChatToolCall, type ChatTemplateOptions, type MediaTokenCounts, type VideoGroup,
} from './chat.js';
export { tokenizerFilesFromSource } from './sources.js';
