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

// Everything both entries share (src/api.ts): errors, ops, layers, models, tokenizer, preprocessing, generation.
export * from './api.js';

// Backends: the ladder and what it chose.
export {
  backendInfo, initBackend, type BackendAttempt, type BackendInfo, type BackendName,
} from './backend/index.js';
// Threads: the count the fast path uses and the worker pool behind it (issue 15).
export {
  setThreads, shutdownThreads, threadsInfo, type ThreadsInfo,
} from './backend/threads.js';

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

// Memory budgets of whole-model runs: the budget, the streaming plan (issue 19).
export {
  defaultMemoryBudget, formatBytes, measureModel, parseByteSize, planMemory, planModelMemory, resolveMemoryBudget,
  type BudgetEnvironment, type LayerSizes, type LmHeadPlan, type MeasureParts, type MemoryPlan, type ModelPlanOptions, type ModelSizes, type PlanOptions, type TensorSize,
} from './io/budget.js';

// Images: decoding, resizing, InternVL tiling, Intern-S1-Pro patches.
export {
  decodeImage, detectImageFormat, ImageDecodeError, preprocessProImage, preprocessProVideo,
  proOptionsFromConfig, readImage, resizeImage, rgbImage, smartResize, tileImage, type DecodedImage,
  type DecodeOptions, type ImageFormat, type ProOptions, type ProPixels, type ResizeMethod,
  type ResizeOptions, type RgbImage, type SmartResizeOptions, type TiledImage, type TileGrid,
  type TilingOptions,
} from './image/index.js';

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
