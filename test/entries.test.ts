/**
 * The three package entries (issue 13, part 4):
 *
 * - `intern-s1-ts` (src/index.ts) is the curated API: what a user calls. Every computing export
 *   has a twin of the same name in `intern-s1-ts/reference`; the exports without one are listed
 *   below, each with the reason it has none (DESIGN.md: I/O, CLI, backend and pure data live once).
 * - `intern-s1-ts/reference` (reference/index.ts) exports those twins.
 * - `intern-s1-ts/internals` (src/internals.ts) has every export of every module, the main ones
 *   included (the same objects), plus the validators and constants the main entry leaves out.
 *
 * Only runtime values are checked here (types have no twins to compare); the typedoc build
 * (`npm run docs`, warnings are errors) checks that every type a main signature names is exported.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as main from '../src/index.js';
import * as internals from '../src/internals.js';
import * as ref from '../reference/index.js';

/**
 * Value exports of the main entry that compute nothing and so have no reference twin. Keep each
 * group's reason true when adding a name; a computing export belongs in neither list but in
 * `reference/` as a twin.
 */
const NO_TWIN: Readonly<Record<string, readonly string[]>> = {
  // Errors and the version: what the library throws and what it is.
  errors: ['InternS1Error', 'ShapeError', 'DTypeError', 'ValueError', 'ConfigError', 'CheckpointError', 'TokenizerError', 'BackendError', 'FileError', 'ImageDecodeError', 'MemoryBudgetError', 'VERSION'],
  // Backend: resolving the tfjs backend ladder (the reference has no backend).
  backend: ['initBackend', 'backendInfo'],
  // Threads: how many threads the fast path uses and its worker pool (the reference is one-threaded by design).
  threads: ['setThreads', 'shutdownThreads', 'threadsInfo'],
  // I/O: checkpoint folders, safetensors readers / writers, weight sources, tiny checkpoint files,
  // the component runner (which itself runs the fast path or the reference) and checkpoint reports.
  io: [
    'openCheckpoint', 'openSafetensors', 'readConfig', 'SafetensorsFile', 'SafetensorsStore', 'BufferReader', 'FileReader',
    'MappedWeights', 'memoryStore', 'memoryWeights', 'writeSafetensors', 'serializeSafetensors', 'initTiny', 'tinyConfigJson',
    'tinyTensors', 'inspectCheckpoint', 'runComponent', 'listComponents', 'findComponent', 'registerComponent',
    'unregisterComponent', 'decodeImage', 'readImage', 'detectImageFormat',
    // Inputs without a file system (issue 14): URLs with HTTP Range, Blobs / Files, canvases.
    'openSafetensorsSource', 'prefetchTensors', 'prefetchHeader', 'asyncReaderOf', 'UrlReader', 'BlobReader',
    'PrefetchedReader', 'folderOf', 'openCheckpointSource', 'tokenizerFilesFromSource', 'imageFromImageData',
    'imageFromBitmap', 'decodeImageWithBrowser',
    // Experts on demand (issue 19): which decoded experts stay resident and the counters of what was
    // read; the numbers are the twinned Qwen3MoeSparseBlock's.
    'ExpertCache', 'expertCacheStats',
  ],
  // Pure data: config parsing and validation, the tensor layout a config implies, image records.
  data: [
    'parseConfig', 'parseTextConfig', 'parseInternVitConfig', 'parseProVisionConfig', 'parseTimeSeriesConfig',
    'parseQuantizationConfig', 'configVariant', 'textConfigOf', 'ACTIVATIONS', 'checkpointLayout', 'proOptionsFromConfig', 'rgbImage',
    // ... and memory budgets (issue 19): parsing a byte count, the default budget, measuring a checkpoint's
    // tensors by role from its headers, and the plan of what stays resident and what streams.
    'parseByteSize', 'defaultMemoryBudget', 'resolveMemoryBudget', 'measureModel', 'planMemory', 'planModelMemory', 'formatBytes',
  ],
  // Training orchestration: variables, optimizer state and the step compose twinned pieces (the
  // loss causalLmLoss, the updates adamwUpdate / sgdUpdate) with tfjs autodiff; their gradients are
  // checked against central differences of the reference loss (test/train/grad.test.ts).
  training: ['TextParams', 'TextTrainer', 'Optimizer', 'optimizerConfig', 'lossAndGrads', 'clipByGlobalNorm', 'trainStep',
    // ... and their files (I/O): the trained checkpoint and the resumable trainer state.
    'saveTrainedModel', 'saveTrainerState', 'loadTrainerState'],
  // Generation plumbing (issue 17): generation_config.json parsing, text-level stop rules and the
  // reasoning / tool-call parsers (string processing), the chat-prompt builder, and the stepwise
  // driver of the fast model, whose tokens are checked against the reference generate().
  generation: [
    'parseGenerationConfig', 'processorOptionsFromConfig', 'StopStringMatcher', 'IncrementalDetokenizer', 'ReasoningParser',
    'splitReasoning', 'ToolCallParser', 'parseToolCalls', 'parseToolCallBody', 'prepareChat', 'GenerationSession',
  ],
  // Pure data shared with the reference: one module both trees import (the list of such modules is
  // test/reference-imports.test.ts), so intern-s1-ts/reference exports the same object.
  shared: [
    'applyChatTemplate', 'expandMediaPlaceholders', 'imagePlaceholder', 'timeSeriesPlaceholder', 'proFlavour', 's1Flavour', 'detectFlavour',
    'smartResize', 'timeSeriesPlan', 'timeSeriesStride', 'timeSeriesTokenCount', 'defaultSamplingRate',
    'DEFAULT_FOPE_PADDING', 'FOPE_PADDING_TRAINED', 'FOPE_PADDING_VLLM', 'mulberry32',
  ],
};
const noTwin = new Set(Object.values(NO_TWIN).flat());

/**
 * Constants and validators the main entry may export: option values a user passes. Everything
 * else named like a constant (`TS_PATCH_DIM`) or a validator (`checkGridThw`) is for internals.
 */
const PUBLIC_CONSTANTS = new Set(['VERSION', 'ACTIVATIONS', 'DEFAULT_FOPE_PADDING', 'FOPE_PADDING_TRAINED', 'FOPE_PADDING_VLLM']);

const mainNames = Object.keys(main).sort();
const refExports = ref as Record<string, unknown>;
const internalExports = internals as Record<string, unknown>;

describe('intern-s1-ts: the curated main entry', () => {
  it('every computing export has a same-named twin in intern-s1-ts/reference', () => {
    const missing = mainNames.filter((n) => !noTwin.has(n) && !(n in refExports));
    expect(missing, 'computing exports without a reference twin (add the twin, or list the name in NO_TWIN with its reason)').toEqual([]);
    const wrongKind = mainNames.filter((n) => !noTwin.has(n) && typeof refExports[n] !== typeof (main as Record<string, unknown>)[n]);
    expect(wrongKind, 'twins of a different kind (function vs value)').toEqual([]);
  });

  it('a twin is a separate implementation: a name the reference exports as the same object is a shared one, in NO_TWIN', () => {
    const shared = mainNames.filter((n) => !noTwin.has(n) && n in refExports && refExports[n] === (main as Record<string, unknown>)[n]);
    expect(shared, 'exports of a shared module listed as twins').toEqual([]);
  });

  it('the no-twin list is exact: each name is a main export, and none has a separate reference copy', () => {
    expect([...noTwin].filter((n) => !(n in main)), 'stale NO_TWIN names').toEqual([]);
    // A name the reference also exports must be the same object (one shared module), not a copy.
    const copies = [...noTwin].filter((n) => n in refExports && refExports[n] !== (main as Record<string, unknown>)[n]);
    expect(copies, 'NO_TWIN names with a reference copy: a copy is a defect, a twin does not belong in NO_TWIN').toEqual([]);
  });

  it('exports no validators or internal constants', () => {
    // A constant: an upper-case name that is not a class (`MLP` is one).
    const isConstant = (n: string) => /^[A-Z][A-Z0-9_]*$/.test(n) && typeof (main as Record<string, unknown>)[n] !== 'function';
    const constants = mainNames.filter((n) => isConstant(n) && !PUBLIC_CONSTANTS.has(n));
    expect(constants).toEqual([]);
    expect(mainNames.filter((n) => /^check[A-Z]/.test(n))).toEqual([]);
    for (const n of ['checkGridThw', 'jsonErrorOffset', 'viewShape', 'TS_PATCH_BATCH_POSITIONS', 'resolveName', 'typedValues']) expect(main).not.toHaveProperty(n);
  });

  it('reaches the whole model and generation, with their twins (and the shared seeded generator)', () => {
    for (const n of ['InternS1ForConditionalGeneration', 'generate', 'sampleToken', 'samplingDistribution', 'mulberry32']) {
      expect(typeof (main as Record<string, unknown>)[n]).toBe('function');
      expect(typeof refExports[n]).toBe('function');
    }
  });
});

describe('intern-s1-ts/internals', () => {
  it('has every main export as the same object, and what the main entry leaves out', () => {
    expect(mainNames.filter((n) => internalExports[n] !== (main as Record<string, unknown>)[n])).toEqual([]);
    for (const n of ['checkGridThw', 'jsonErrorOffset', 'viewShape', 'TS_PATCH_BATCH_POSITIONS', 'IMAGENET_MEAN', 'smilesDetector', 'argmax']) {
      expect(internalExports, n).toHaveProperty(n);
    }
    expect(Object.keys(internals).length).toBeGreaterThan(mainNames.length);
  });
});

describe('package.json', () => {
  it('maps ., ./reference and ./internals to the built entries (browser / node conditions: issue 14)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const entry = (f: string) => ({ types: `./dist/${f}.d.ts`, import: `./dist/${f}.js` });
    expect(pkg.exports['.']).toEqual({ browser: entry('src/browser'), node: entry('src/index'), default: entry('src/browser') });
    expect(Object.keys(pkg.exports['.'])).toEqual(['browser', 'node', 'default']); // first match wins
    expect(pkg.exports['./browser']).toEqual(entry('src/browser'));
    expect(pkg.exports['./node']).toEqual(entry('src/index'));
    expect(pkg.exports['./reference']).toEqual({ browser: entry('reference/index'), node: entry('reference/node'), default: entry('reference/index') });
    expect(pkg.exports['./internals']).toEqual({ types: './dist/src/internals.d.ts', import: './dist/src/internals.js' });
  });
});
