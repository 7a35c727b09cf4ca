/**
 * intern-s1-ts: a TensorFlow.js fast path for the Intern-S1 model family.
 *
 * This entry is the curated public API: what a user calls (models and layers, ops, checkpoints
 * and weights, configs, the tokenizer and chat template, image and time-series preprocessing,
 * generation, backends, errors) and the types those signatures name. Every computing export has a
 * float64 twin of the same name in `intern-s1-ts/reference` (test/entries.test.ts checks it).
 *
 * Validators, constants of the model code, name-resolution helpers and the pieces the tokenizer
 * and preprocessors are built from are not here: they are in `intern-s1-ts/internals`, which has
 * every export of every module (no stability promise; for tests, benches and readers of the code).
 *
 * @packageDocumentation
 */
// The Node host: file access by path and PNG decoding (the browser entry, src/browser.ts, has none).
import './platform/node.js';

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

// Backends: the ladder and what it chose.
export {
  backendInfo, initBackend, type BackendAttempt, type BackendInfo, type BackendName,
} from './backend/index.js';

// Layers built from weights: Linear, MLP, norms, activations, FoPE.
export {
  activation, applyFope, DEFAULT_FOPE_PADDING, FOPE_PADDING_TRAINED, FOPE_PADDING_VLLM,
  fopeFrequencies, fopeInitCoefficients, fopeTables, FourierPositionEmbedding, LayerNorm, Linear,
  MLP, RMSNorm, type ActivationFn, type BiasMode, type Disposable, type FopeConfig,
  type FopeOptions, type FopePadding, type FopeTables, type MlpConfig,
} from './nn/index.js';

// The Qwen3 / Qwen3-MoE text decoder: model, layers, routing and the MoE auxiliary losses.
export {
  expertLoad, hfLoadBalancingLoss, KVCacheLayer, Qwen3Attention, Qwen3DecoderLayer, Qwen3KVCache,
  Qwen3MLP, Qwen3MoeSparseBlock, Qwen3RotaryEmbedding, Qwen3TextModel, routerZLoss, routeTokens,
  routingConfig, routingWeights, routingWeightsGrad, selectExperts, xtunerBalancingLoss,
  type DecoderForwardOptions, type DecoderLayerOptions, type DecoderLayerOutput, type ExpertLoad,
  type LayerLogits, type MoeForwardOptions, type MoeOutput, type MoeRouterKeys,
  type PositionEncoding, type PositionIds, type PositionTables, type Qwen3AttentionConfig,
  type Qwen3AttentionOptions, type Qwen3AttentionOutput, type Qwen3AttentionWeights,
  type Qwen3MlpConfig, type Qwen3MoeConfig, type RouterGradient, type RouterOutput, type Routing,
  type RoutingConfig, type SwiGluWeights, type TextForwardOptions, type TextModelOptions,
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

// I/O: checkpoints (folders, shards, safetensors readers and writers), weight sources, configs,
// tiny checkpoints, the component runner, checkpoint reports.
export {
  ACTIVATIONS, BufferReader, checkpointLayout, configVariant, FileReader, findComponent, initTiny,
  inspectCheckpoint, listComponents, MappedWeights, memoryStore, memoryWeights, openCheckpoint,
  openSafetensors, parseConfig, parseInternVitConfig, parseProVisionConfig, parseQuantizationConfig,
  parseTextConfig, parseTimeSeriesConfig, readConfig, registerComponent, runComponent,
  SafetensorsFile, SafetensorsStore, serializeSafetensors, textConfigOf, tinyConfigJson, tinyTensors,
  unregisterComponent, writeSafetensors, type Activation, type ByteReader, type Checkpoint,
  type CheckpointReport, type ComponentContext, type ComponentInput, type ComponentOutput,
  type ComponentResult, type ComponentSpec, type ComponentTensor, type DType, type FastOutputs,
  type InputDType, type InternS1Config, type InternS1ProConfig, type InternS1ProTextConfig,
  type InternVitConfig, type LayoutEntry, type ModelConfig, type OpenOptions, type OutputDType,
  type ParameterComponent, type ProVisionConfig, type QuantizationConfig, type Qwen3MoeTextConfig,
  type Qwen3TextConfig, type RawTensor, type ReferenceOutputs, type RopeScaling,
  type SafetensorsEntry, type SymbolicShape, type TensorGroup, type TensorInfo, type TensorInput,
  type TensorKind, type TensorOptions, type TensorStore, type TextConfig, type TimeSeriesConfig,
  type TinyConfigOptions, type TinyDType, type TinyOptions, type TinySummary, type TinyVariant,
  type Variant, type WeightOptions, type WeightSource,
} from './io/index.js';

// Images: decoding, resizing, InternVL tiling, Intern-S1-Pro patches.
export {
  decodeImage, detectImageFormat, ImageDecodeError, preprocessProImage, preprocessProVideo,
  proOptionsFromConfig, readImage, resizeImage, rgbImage, smartResize, tileImage, type DecodedImage,
  type DecodeOptions, type ImageFormat, type ProOptions, type ProPixels, type ResizeMethod,
  type ResizeOptions, type RgbImage, type SmartResizeOptions, type TiledImage, type TileGrid,
  type TilingOptions,
} from './image/index.js';

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

// Seeded randomness (sampling).
export {
  mulberry32, type Rng,
} from './util/random.js';

// Inputs that need no file system (issue 14): safetensors and checkpoint folders from URLs (HTTP
// Range) or Blobs / Files, tokenizer folders from URLs or Files, images from ImageData / canvases.
// The browser entry (src/browser.ts) exports the same.
export {
  type AsyncByteReader, asyncReaderOf, BlobReader, type BlobLike, openSafetensorsSource, PrefetchedReader,
  prefetchHeader, prefetchTensors, type ResponseLike, type SafetensorsSource, UrlReader, type UrlOptions,
} from './io/remote.js';
export {
  type Folder, folderOf, type FolderSource, type NamedBlob, openCheckpointSource, type RemoteCheckpoint,
} from './io/remote-checkpoint.js';
export {
  decodeImageWithBrowser, type Drawable, imageFromBitmap, imageFromImageData, type ImageDataLike,
} from './image/browser.js';
export { tokenizerFilesFromSource } from './tokenizer/sources.js';

// Training: the language-model loss, parameters by checkpoint name, optimizers, the train step.
export {
  adamwUpdate, causalLmLoss, clipByGlobalNorm, loadTrainerState, lossAndGrads, saveTrainedModel, saveTrainerState, Optimizer, optimizerConfig,
  sgdUpdate, TextParams, TextTrainer, trainStep, type LossAndGrads, type LossOptions, type LossParts,
  type OptimizerConfig, type OptimizerOptions, type OptimizerSlots, type TextParamsOptions,
  type TrainBatch, type TrainStepOptions, type TrainStepResult,
} from './train/index.js';
