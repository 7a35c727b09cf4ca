/**
 * The part of the curated public API that the Node entry (`src/index.ts`) and the browser entry
 * (`src/browser.ts`) share: errors, ops, the version, layers, models, the tokenizer, image and
 * time-series preprocessing, generation and training. Each entry re-exports all of it and adds its
 * own backends and I/O, so the two lists cannot drift apart (test/browser/entry.test.ts).
 *
 * @module
 */
// Errors: every error the library throws is an InternS1Error subclass.
export * from './errors.js';
// Ops: one op, one file, one typed contract (tensor in, tensor out, validated).
export {
  add, applyRope, attention, attentionChunked, attentionGrad, concat, conv1d, conv2d, decodeBf16,
  decodeE8M0, decodeF16, decodeFp8E4M3, decodeFp8E5M2, dense, dequantFp8Block, embedding,
  encodeBf16, encodeF16, encodeFp8E4M3, gather, gatherGrad, gelu, geluTanh, indexAdd,
  interpolateBicubic, interpolateBilinear, layerNorm, linear, logSoftmax, logsumexp, matmul, mul,
  oneHot, pad, patchEmbed2d, pixelShuffle, quantFp8Block, relu, repeatKv, reshape, rmsNorm,
  ropeTables, rotateHalf, segmentSum, silu, slice, softmax, topk, transpose, unstack, type AttentionMask,
  type AttentionOptions, type AttentionResult, type BlockSize, type ChunkedAttentionOptions,
  type Conv1dOptions, type Conv2dOptions, type Fp8Block, type Fp8Quantized, type InterpolateOptions,
  type MatmulOptions, type Operand, type TopK,
} from './ops/index.js';
export { VERSION } from './version.js';


// Layers built from weights: Linear, MLP, norms, activations, FoPE.
export {
  activation, applyFope, DEFAULT_FOPE_PADDING, FOPE_PADDING_TRAINED, FOPE_PADDING_VLLM,
  fopeFrequencies, fopeInitCoefficients, fopeTables, FourierPositionEmbedding, LayerNorm, Linear,
  MLP, RMSNorm, type ActivationFn, type BiasMode, type Disposable, type FopeConfig,
  type FopeOptions, type FopePadding, type FopeTables, type MlpConfig,
} from './nn/index.js';

// The Qwen3 / Qwen3-MoE text decoder: model, layers, routing and the MoE auxiliary losses.
export {
  ExpertCache, expertCacheStats, expertLoad, hfLoadBalancingLoss, KVCacheLayer, Qwen3Attention, Qwen3DecoderLayer, Qwen3KVCache,
  Qwen3MLP, Qwen3MoeSparseBlock, Qwen3RotaryEmbedding, Qwen3TextModel, routerZLoss, routeTokens,
  routingConfig, routingWeights, routingWeightsGrad, selectExperts, xtunerBalancingLoss,
  type DecoderForwardOptions, type DecoderLayerOptions, type DecoderLayerOutput, type ExpertCacheStats,
  type ExpertDims, type ExpertLoad, type ExpertsOnDemandOptions, type MoeLoadOptions,
  type LayerLogits, type MoeForwardOptions, type MoeOutput, type MoeRouterKeys,
  type PositionEncoding, type PositionIds, type PositionTables, type Qwen3AttentionConfig,
  type Qwen3AttentionOptions, type Qwen3AttentionOutput, type Qwen3AttentionWeights,
  type Qwen3MlpConfig, type Qwen3MoeConfig, type RouterGradient, type RouterOutput, type Routing,
  type RoutingConfig, type SwiGluWeights, type TextForwardOptions, type TextModelOptions, type TextStreaming,
  type TextModelOutput,
} from './models/qwen3/index.js';

// InternViT, the vision encoder of Intern-S1 / -mini.
export {
  InternVisionAttention, InternVisionEmbeddings, InternVisionEncoderLayer, InternVisionMLP,
  InternVisionModel, type InternS1ProjectorConfig, type InternS1VisionConfig,
  type InternVisionForwardOptions, type InternVisionOutput, type VitAttentionResult, type VitNorm,
} from './models/internvit/index.js';

// The Intern-S1-Pro vision tower (Qwen3-VL style) and its grid helpers.
export {
  ProVisionAttention, ProVisionBlock, ProVisionMLP, ProVisionModel, ProVisionPatchEmbed,
  ProVisionPatchMerger, ProVisionPositionEmbedding, proVisionRopeTables, proVisionSeqLens,
  proVisionTokenCounts, type GridThw, type ProVisionForwardOptions, type ProVisionOutput,
  type ProVisionPositions,
} from './models/pro-vision/index.js';

// The Intern-S1-Pro time-series encoder, its processor and the stride / token plan.
export {
  defaultSamplingRate, PatchTransformerLayer, preprocessTimeSeries, TimeSeriesModel,
  TimeSeriesPatchEncoder, timeSeriesPlan, TimeSeriesProjector, timeSeriesStride,
  timeSeriesTokenCount, TimeSeriesWhisperEncoder, TimeSeriesWhisperLayer, type PatchEncoderOptions,
  type PreprocessedTimeSeries, type PreprocessOptions, type ShortSignalPolicy,
  type TimeSeriesEncodeOutput, type TimeSeriesForwardOptions, type TimeSeriesOutput,
  type TimeSeriesPlan, type TimeSeriesPlanOptions, type WhisperEncoderOptions,
  type WhisperForwardOptions,
} from './models/time-series/index.js';

// The whole model and generation; the Intern-S1 / -mini vision tower (InternViT + pixel shuffle +
// projector).
export {
  generate, generateBatch, InternS1ForConditionalGeneration, InternS1MultiModalProjector, InternS1VisionTower,
  sampleToken, samplingDistribution, type BatchGenerateOptions, type BatchGenerateResult, type BatchRowResult,
  type GenerateOptions, type GenerateResult, type ImageEncoder, type ImageInputs,
  type ModelForwardOptions, type ModelInputs, type ModelLoadOptions, type ModelOutput,
  type SamplingOptions, type SeriesInput, type VisionTowerPrefixes,
} from './models/intern-s1/index.js';

// Generation as Hugging Face does it: the logits processors in transformers' order, the defaults of
// generation_config.json, stop strings on decoded text, stepwise sessions, chat prompts with images,
// and the streaming-safe reasoning and tool-call parsers.
export {
  applyPenalties, GenerationSession, IncrementalDetokenizer,
  nextTokenDistribution, parseGenerationConfig, parseToolCallBody, parseToolCalls, prepareChat,
  processorOptionsFromConfig, ReasoningParser, sampleNext, splitReasoning, StopStringMatcher, ToolCallParser,
  type FinishReason, type GenerationConfig, type LogitsProcessorOptions, type ParsedToolCall,
  type PrepareChatOptions, type PreparedChat, type ReasoningDelta, type SessionOptions, type StepResult,
  type StopMatch, type TokenHistory, type ToolCallEvent,
} from './generation/index.js';

// The dynamic tokenizer, its sub-tokenizers and the chat template.
export {
  applyChatTemplate, ByteLevelBPE, detectFlavour, expandMediaPlaceholders, imagePlaceholder,
  InternS1Tokenizer, proFlavour, s1Flavour, SentencePieceModel, timeSeriesPlaceholder,
  type AddedTokenInfo, type BpeStats, type ByteLevelBPEOptions, type ChatContentItem, type ChatMessage,
  type ChatTemplateOptions, type ChatToolCall, type DetectorKind, type DomainConfig, type Encoding,
  type FlavourConfig, type InternS1TokenizerOptions, type LoadedDomain, type MediaTokenCounts,
  type SentencePieceEncoding, type SentencePieceModelProto, type SpecialTokens, type TokenizerDecodeOptions,
  type TokenizerEncodeOptions, type TokenizerFiles, type VideoGroup,
} from './tokenizer/index.js';
