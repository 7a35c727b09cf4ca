/**
 * intern-s1-ts in a browser: the same curated API as the Node entry (`src/index.ts`), minus what
 * needs Node (reading and writing files by path, tiny checkpoints on disk, the CLI), plus the
 * browser inputs (safetensors and checkpoint folders from URLs with HTTP Range requests, from
 * picked `File`s / Blobs and `ArrayBuffer`s; tokenizer folders from URLs or Files; images from
 * `ImageData`, `ImageBitmap` / `HTMLImageElement` and bytes) and the browser backend ladder
 * (webgpu, webgl, wasm, cpu). package.json maps `intern-s1-ts` to this file under the `browser`
 * condition. Nothing reachable from here imports a Node built-in (test/browser/bundle.test.ts).
 *
 * @packageDocumentation
 */
// Everything both entries share (src/api.ts): errors, ops, layers, models, tokenizer, preprocessing, generation.
export * from './api.js';

// Backends: the ladder and what it chose.
export {
  backendInfo, initBackend, probeBrowser, wasmCdnPath, type BackendAttempt, type BackendInfo, type BackendName,
  type BrowserBackendOptions,
} from './backend/browser.js';
// Threads: the count the fast path uses and the worker pool behind it (issue 15).
export {
  setThreads, shutdownThreads, threadsInfo, type ThreadsInfo,
} from './backend/threads.js';
export {
  isSoftwareAdapter, planBrowserLadder, type BrowserBackendName, type BrowserFacts,
  type GpuAdapterFacts, type LadderPlan, type PlannedSkip,
} from './backend/ladder.js';

// I/O: safetensors readers (bytes, URLs with HTTP Range, Blobs), checkpoint folders from URLs or picked
// files, weight sources, configs, the component runner, checkpoint reports. Reading by path and writing
// files are Node only (src/node.ts).
export type { Checkpoint } from './io/checkpoint.js';
export {
  findComponent, listComponents, runComponent, registerComponent, unregisterComponent, type ComponentContext, type ComponentInput, type ComponentOutput, type ComponentResult, type ComponentSpec, type ComponentTensor, type FastOutputs, type InputDType, type OutputDType, type ReferenceOutputs, type SymbolicShape,
} from './io/components.js';
export {
  ACTIVATIONS, type Activation,
} from './io/configs/fields.js';
export {
  configVariant, parseConfig, parseQuantizationConfig, textConfigOf, type InternS1Config, type InternS1ProConfig, type ModelConfig, type QuantizationConfig, type Variant,
} from './io/configs/model.js';
export {
  parseTextConfig, type InternS1ProTextConfig, type Qwen3MoeTextConfig, type Qwen3TextConfig, type RopeScaling, type TextConfig,
} from './io/configs/text.js';
export {
  parseTimeSeriesConfig, type TimeSeriesConfig,
} from './io/configs/time-series.js';
export {
  parseInternVitConfig, parseProVisionConfig, type InternVitConfig, type ProVisionConfig,
} from './io/configs/vision.js';
export {
  type DType,
} from './io/dtype.js';
export {
  inspectCheckpoint, type CheckpointReport, type ParameterComponent, type TensorGroup,
} from './io/inspect.js';
export {
  checkpointLayout, type LayoutEntry, type TensorKind,
} from './io/layout.js';
export {
  MappedWeights,
} from './io/mapped.js';
export {
  BufferReader, SafetensorsFile, type ByteReader, type SafetensorsEntry,
} from './io/safetensors.js';
export {
  tinyConfigJson, type TinyConfigOptions, type TinyVariant,
} from './io/tiny-config.js';
export {
  memoryStore, memoryWeights, type RawTensor, type TensorInfo, type TensorInput, type TensorOptions, type TensorStore, type WeightOptions, type WeightSource,
} from './io/weights.js';
export {
  type AsyncByteReader, asyncReaderOf, BlobReader, type BlobLike, openSafetensorsSource, PrefetchedReader,
  prefetchHeader, prefetchTensors, type ResponseLike, type SafetensorsSource, UrlReader, type UrlOptions,
} from './io/remote.js';
export {
  type Folder, folderOf, type FolderSource, type NamedBlob, openCheckpointSource, type RemoteCheckpoint,
} from './io/remote-checkpoint.js';
export { SafetensorsStore } from './io/store.js';
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
export {
  decodeImageWithBrowser, type Drawable, imageFromBitmap, imageFromImageData, type ImageDataLike,
} from './image/browser.js';

export { tokenizerFilesFromSource } from './tokenizer/sources.js';

// Training: the language-model loss, parameters by checkpoint name, optimizers, the train step.
// Saving and loading trained models and trainer state (train/checkpoint.ts) write files: Node only.
export { causalLmLoss } from './train/loss.js';
export {
  adamwUpdate, Optimizer, optimizerConfig, sgdUpdate, type OptimizerConfig, type OptimizerOptions, type OptimizerSlots,
} from './train/optim.js';
export { TextParams, type TextParamsOptions } from './train/params.js';
export {
  clipByGlobalNorm, lossAndGrads, TextTrainer, trainStep, type LossAndGrads, type LossOptions, type LossParts,
  type TrainBatch, type TrainStepOptions, type TrainStepResult,
} from './train/step.js';

// Seeded randomness (sampling).
export {
  mulberry32, type Rng,
} from './util/random.js';
