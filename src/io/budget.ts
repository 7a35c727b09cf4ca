/**
 * Memory budgets and streaming plans (issue 19): how much of a checkpoint a whole-model run keeps
 * resident as float32 on the active backend, and what it decodes and uploads layer by layer, just
 * before use, and releases after.
 *
 * ```
 * budget B          INTERN_S1_MEMORY_BUDGET / the `memoryBudget` load option / the backend's default
 * fixed             norms, position encoding, loaded towers (always resident)
 * all fits?         fixed + embed_tokens + layers + lm_head <= B          -> everything resident
 * else              embeddings read by rows (only the rows a batch needs)
 * still all fits?   fixed + layers + lm_head <= B                         -> layers and lm_head resident
 * else streaming    slot = largest streamed layer (decoded, uploaded, used, released)
 *                   layers 0..k-1 resident while fixed + slot + layers <= B, the rest streamed;
 *                   lm_head resident if it still fits, else read in vocabulary slices of S rows
 *                   (S·D floats fit the slot); what is left is the expert cache's share
 * ```
 *
 * Every byte of a dense layer and of lm_head is read once per generated token, so keeping any of
 * them resident saves the same bytes per token per byte of budget; the plan keeps whole layers
 * from the first on (a contiguous prefix, so `Qwen3TextModel.layers[l]` still indexes them), then
 * lm_head. The embedding table is the exception: a token reads one row of it, so it is the first
 * thing to leave the backend.
 *
 * Sizes are float32 bytes on the backend (elements x 4); bytes read are the stored bytes (BF16: 2 per
 * element, FP8: 1 plus the block scales). Activations, the KV cache and the logits are not in the
 * plan: the default budgets leave headroom for them (see {@link defaultMemoryBudget}).
 *
 * Plain data (no tfjs): the models call {@link planMemory}; `intern-s1 inspect` prints the plan.
 *
 * @module
 */
import { CheckpointError, MemoryBudgetError, ValueError } from '../errors.js';
import { type ModelConfig, configVariant, textConfigOf } from './configs/model.js';
import { isMoeLayer } from './configs/text.js';
import { DTYPE_BYTES } from './dtype.js';
import { checkpointLayout, textPrefix } from './layout.js';
import { hasNodeHost, nodeHost } from '../platform/host.js';
import type { WeightSource } from './weights.js';
import { checkShape } from './weight-names.js';

/** The environment variable that sets the budget of whole-model runs (bytes, with K/M/G/T suffixes). */
export const MEMORY_BUDGET_ENV = 'INTERN_S1_MEMORY_BUDGET';

/** The wasm backend's address space: wasm32 memory is at most 65536 pages of 64 KiB = 4 GiB. */
export const WASM_HEAP_LIMIT = 4 * 2 ** 30;
/** Headroom the wasm default leaves below the heap limit for activations, the KV cache and the allocator. */
export const WASM_HEADROOM = 2 ** 30;
/** Share of the host's RAM the cpu / tensorflow defaults use (the rest: activations, page cache, other processes). */
export const RAM_SHARE = 0.5;

const SUFFIX: Record<string, number> = { '': 1, B: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * Parse a byte count: a non-negative number with an optional binary suffix `K`, `M`, `G`, `T`
 * (optionally followed by `B` or `iB`, any case): `8G` = 8·2^30, `512MiB`, `1.5g`, `1000000`.
 *
 * @param what - names the value in the error (`INTERN_S1_MEMORY_BUDGET`, `memoryBudget`).
 * @throws ValueError for anything else (empty, negative, NaN, an unknown suffix), naming `what`.
 * @example
 * ```ts
 * import { parseByteSize } from 'intern-s1-ts';
 * console.log(parseByteSize('1.5K'), parseByteSize('8G')); // => 1536, 8589934592
 * ```
 */
export function parseByteSize(text: string | number, what = 'memory budget'): number {
  if (typeof text === 'number') {
    if (!(Number.isFinite(text) && text > 0)) throw new ValueError(`${what}: must be a positive number of bytes, got ${text}`);
    return Math.floor(text);
  }
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(i?b)?\s*$/i.exec(String(text));
  const mult = m ? SUFFIX[m[2].toUpperCase()] : undefined;
  const n = m && mult !== undefined ? Math.floor(Number(m[1]) * mult) : NaN;
  if (!(n > 0)) throw new ValueError(`${what}: expected a positive byte count like 8G, 512M, 1.5G or 1000000, got '${text}'`);
  return n;
}

/** What the default budget depends on. */
export interface BudgetEnvironment {
  /** The active tfjs backend (`wasm`, `cpu`, `tensorflow`, `webgpu`, ...). */
  readonly backend: string;
  /** Total RAM of the host in bytes, when known (Node: `os.totalmem()`). */
  readonly totalMemory?: number;
}

/**
 * The budget of a whole-model run when none is set: wasm, its 4 GiB heap limit less 1 GiB of
 * headroom (3 GiB); cpu and tensorflow (and any other backend), half the host's RAM; with the RAM
 * unknown (a browser), no limit (everything resident, as before budgets existed).
 *
 * @example
 * ```ts
 * import { defaultMemoryBudget } from 'intern-s1-ts';
 * console.log(defaultMemoryBudget({ backend: 'wasm' }) / 2 ** 30); // => 3
 * console.log(defaultMemoryBudget({ backend: 'cpu', totalMemory: 24 * 2 ** 30 }) / 2 ** 30); // => 12
 * ```
 */
export function defaultMemoryBudget(env: BudgetEnvironment): number {
  if (env.backend === 'wasm') return WASM_HEAP_LIMIT - WASM_HEADROOM;
  if (env.totalMemory && env.totalMemory > 0) return Math.floor(env.totalMemory * RAM_SHARE);
  return Infinity;
}

/**
 * Total RAM of the host when known: Node's `os.totalmem()` (installed by the Node entry), a
 * browser's `navigator.deviceMemory` (GiB, rounded by the browser), else undefined.
 */
export function hostTotalMemory(): number | undefined {
  if (hasNodeHost()) {
    try {
      return nodeHost('hostTotalMemory', 'navigator.deviceMemory', 'totalMemory')();
    } catch {
      // the file-only part of the host is installed (reference entry): RAM unknown
    }
  }
  const gib = (globalThis as { navigator?: { deviceMemory?: number } }).navigator?.deviceMemory;
  return typeof gib === 'number' && gib > 0 ? gib * 2 ** 30 : undefined;
}

/**
 * The budget in force: the explicit option, else `INTERN_S1_MEMORY_BUDGET`, else
 * {@link defaultMemoryBudget}. Returns the bytes and where they came from (for messages).
 *
 * @throws ValueError for an unparsable option or environment value.
 */
export function resolveMemoryBudget(option: number | string | undefined, env: BudgetEnvironment): {
  /** The budget in bytes (Infinity: no limit). */
  bytes: number;
  /** Where it came from, for messages (`INTERN_S1_MEMORY_BUDGET`, `50% of RAM`, ...). */
  source: string;
} {
  if (option !== undefined) return { bytes: parseByteSize(option, 'memoryBudget'), source: 'the memoryBudget option' };
  const e = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[MEMORY_BUDGET_ENV];
  if (e !== undefined && e.trim() !== '') return { bytes: parseByteSize(e, MEMORY_BUDGET_ENV), source: MEMORY_BUDGET_ENV };
  const bytes = defaultMemoryBudget(env);
  return { bytes, source: env.backend === 'wasm' ? 'the wasm heap limit less headroom' : Number.isFinite(bytes) ? `${RAM_SHARE * 100}% of RAM` : 'no limit (RAM unknown)' };
}

/** One tensor's size: elements (float32 bytes = 4 per element) and the bytes stored in the file. */
export interface TensorSize {
  /** Canonical checkpoint name. */
  readonly name: string;
  /** Number of elements. */
  readonly elements: number;
  /** Bytes in the checkpoint (FP8: codes plus block scales). */
  readonly storedBytes: number;
  /** Shape the config implies, when known (checked before a streamed layer is first read). */
  readonly shape?: readonly number[];
}

/** The tensors of one decoder layer. */
export interface LayerSizes {
  /** Layer index l. */
  readonly index: number;
  /** Norms, attention, router, and the dense FFN of a dense layer. */
  readonly dense: readonly TensorSize[];
  /** The routed experts of a MoE layer (empty for dense layers). */
  readonly experts: readonly TensorSize[];
  /** E, experts of the layer (0 for dense layers). */
  readonly numExperts: number;
  /** K, experts chosen per token (0 for dense layers). */
  readonly topK: number;
}

/** What {@link planMemory} plans over: the sizes of a model's tensors by role. */
export interface ModelSizes {
  /** Vocabulary V. */
  readonly vocab: number;
  /** Width D. */
  readonly hidden: number;
  /** `embed_tokens [V, D]`. */
  readonly embed: TensorSize;
  /** `lm_head [V, D]` (the embedding table itself when tied). */
  readonly lmHead: TensorSize;
  /** Whether lm_head is the embedding table (`tie_word_embeddings`). */
  readonly tied: boolean;
  /** Always-resident small tensors: the final norm, FoPE coefficients. */
  readonly fixed: readonly TensorSize[];
  /** Towers that are loaded (vision, time series): resident while the model lives. */
  readonly towers: readonly TensorSize[];
  /** The decoder layers in order. */
  readonly layers: readonly LayerSizes[];
}

/** Options of {@link planMemory}: the budget and the plan's choices. */
export interface PlanOptions {
  /** The budget in bytes (Infinity: no limit). */
  readonly budget: number;
  /** Where the budget came from, for messages (default `the budget`). */
  readonly source?: string;
  /** Keep embeddings in the file even when everything fits (the `lazyEmbeddings` option). */
  readonly lazyEmbeddings?: boolean;
  /**
   * Whether a streamed MoE layer decodes only the experts its tokens chose (experts on demand):
   * then its streaming unit is the dense part plus K experts; otherwise every expert. Default false.
   */
  readonly expertsOnDemand?: boolean;
  /** Rows of an lm_head slice (default: as many as fit the streaming slot); forces slicing when lm_head streams. */
  readonly lmHeadSliceRows?: number;
}

/** Where lm_head lives in a plan. */
export type LmHeadPlan =
  | {
    /** Resident `[D, V]`. */
    readonly mode: 'resident';
  }
  | {
    /** Read from the checkpoint in vocabulary slices at every call. */
    readonly mode: 'sliced';
    /** Rows (vocabulary entries) per slice. */
    readonly sliceRows: number;
    /** Number of slices, ceil(V / sliceRows). */
    readonly slices: number;
  };

/** A memory plan: which layers stay resident, what streams, and what it costs per token. */
export interface MemoryPlan {
  /** The budget in bytes (Infinity: no limit). */
  readonly budget: number;
  /** Where the budget came from. */
  readonly source: string;
  /** Layers kept resident (a prefix 0..k-1). */
  readonly residentLayers: number;
  /** Layers decoded and uploaded at each forward call, then released. */
  readonly streamedLayers: readonly number[];
  /** `resident` (the `[V, D]` table) or `rows` (read per batch from the checkpoint). */
  readonly embeddings: 'resident' | 'rows';
  /** Where lm_head lives. */
  readonly lmHead: LmHeadPlan;
  /** Float32 bytes held while the model lives. */
  readonly residentBytes: number;
  /** Float32 bytes of the largest streamed unit (one layer, or one lm_head slice), 0 without streaming. */
  readonly streamingBytes: number;
  /** Budget left after the resident set and the streaming slot: the share an expert cache may use. */
  readonly expertCacheBytes: number;
  /** Per generated token (one decode step, batch 1): bytes read from the checkpoint. */
  readonly readBytesPerToken: number;
  /** Per generated token: float32 bytes decoded and uploaded. */
  readonly decodedBytesPerToken: number;
}

const f32 = (t: TensorSize): number => t.elements * 4;
const sum = (ts: readonly TensorSize[], f: (t: TensorSize) => number): number => ts.reduce((a, t) => a + f(t), 0);
const stored = (t: TensorSize): number => t.storedBytes;

/** Float32 bytes of a layer when it streams: dense part plus every expert, or K experts on demand. */
function unitBytes(l: LayerSizes, onDemand: boolean): number {
  const experts = onDemand && l.numExperts ? (sum(l.experts, f32) / l.numExperts) * l.topK : sum(l.experts, f32);
  return sum(l.dense, f32) + experts;
}

/** Stored bytes a streamed layer reads per decoded token. */
function unitRead(l: LayerSizes, onDemand: boolean, f: (t: TensorSize) => number): number {
  const experts = onDemand && l.numExperts ? (sum(l.experts, f) / l.numExperts) * l.topK : sum(l.experts, f);
  return sum(l.dense, f) + experts;
}

/** `1.50 GiB` style, for messages. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'unlimited';
  for (const [s, u] of [[2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']] as const) if (n >= s) return `${(n / s).toFixed(2)} ${u}`;
  return `${n} B`;
}

/** Throw a MemoryBudgetError when one tensor (or one streaming unit) cannot fit, before any work. */
function checkFits(sizes: ModelSizes, o: PlanOptions, fixed: number): void {
  const B = o.budget;
  const src = o.source ?? 'the budget';
  const all = [...sizes.fixed, ...sizes.towers, ...sizes.layers.flatMap((l) => [...l.dense, ...l.experts])];
  const big = all.reduce<TensorSize | null>((m, t) => (!m || f32(t) > f32(m) ? t : m), null);
  if (big && f32(big) > B) {
    throw new MemoryBudgetError(`tensor '${big.name}' needs ${formatBytes(f32(big))} as float32 but the memory budget is ${formatBytes(B)} (${src}); it cannot fit even streamed layer by layer`, big.name, f32(big), B);
  }
  const row = sizes.hidden * 4;
  if (fixed + row > B) {
    const what = sizes.towers.length ? 'the final norm, position encoding and loaded towers' : 'the final norm and position encoding';
    throw new MemoryBudgetError(`${what} need ${formatBytes(fixed)} resident but the memory budget is ${formatBytes(B)} (${src})`, sizes.towers[0]?.name ?? sizes.fixed[0]?.name ?? '', fixed, B);
  }
  for (const l of sizes.layers) {
    const u = unitBytes(l, o.expertsOnDemand ?? false);
    if (fixed + u > B) {
      const lbig = [...l.dense, ...l.experts].reduce((m, t) => (f32(t) > f32(m) ? t : m));
      throw new MemoryBudgetError(`decoder layer ${l.index} needs ${formatBytes(u)} as float32 to stream (largest tensor '${lbig.name}', ${formatBytes(f32(lbig))}) plus ${formatBytes(fixed)} resident, but the memory budget is ${formatBytes(B)} (${src})`, lbig.name, u, B);
    }
  }
}

/**
 * Plan a whole-model run under a budget (see the module comment for the rules).
 *
 * @throws MemoryBudgetError, before any weight is read, when a single tensor, the always-resident
 *   part, or one streamed layer does not fit: the message names the tensor, its size and the budget.
 * @example
 * ```ts
 * import { planMemory } from 'intern-s1-ts';
 * const t = (name: string, elements: number) => ({ name, elements, storedBytes: elements * 2 });
 * const layers = [0, 1, 2].map((index) => ({ index, dense: [t(`layers.${index}.w`, 1000)], experts: [], numExperts: 0, topK: 0 }));
 * const plan = planMemory({ vocab: 10, hidden: 100, embed: t('embed', 1000), lmHead: t('lm_head', 1000), tied: false,
 *   fixed: [t('norm', 100)], towers: [], layers }, { budget: 10_000 });
 * console.log(plan.residentLayers, plan.streamedLayers, plan.lmHead.mode); // => 1, [1, 2], 'sliced'
 * ```
 */
export function planMemory(sizes: ModelSizes, o: PlanOptions): MemoryPlan {
  const B = o.budget;
  const source = o.source ?? 'the budget';
  const onDemand = o.expertsOnDemand ?? false;
  const fixed = sum(sizes.fixed, f32) + sum(sizes.towers, f32);
  const layersAll = sizes.layers.reduce((a, l) => a + sum(l.dense, f32) + sum(l.experts, f32), 0);
  const head = f32(sizes.lmHead); // the transposed [D, V] copy (a second one when tied)
  const embed = f32(sizes.embed);
  const rowRead = sizes.embed.storedBytes / sizes.vocab;
  const none = { streamedLayers: [] as number[], streamingBytes: 0, readBytesPerToken: rowRead, decodedBytesPerToken: sizes.hidden * 4 };
  const lazyFits = fixed + layersAll + head <= B;
  if (!o.lazyEmbeddings && fixed + embed + layersAll + head <= B) {
    const resident = fixed + embed + layersAll + head;
    return { budget: B, source, residentLayers: sizes.layers.length, embeddings: 'resident', lmHead: { mode: 'resident' }, residentBytes: resident, expertCacheBytes: B - resident, ...none, readBytesPerToken: 0, decodedBytesPerToken: 0 };
  }
  if (lazyFits) {
    const resident = fixed + layersAll + head;
    return { budget: B, source, residentLayers: sizes.layers.length, embeddings: 'rows', lmHead: { mode: 'resident' }, residentBytes: resident, expertCacheBytes: B - resident, ...none };
  }
  checkFits(sizes, o, fixed);
  // Streaming: reserve one slot for the largest streamed unit, keep a prefix of layers resident.
  const slot = Math.max(...sizes.layers.map((l) => unitBytes(l, onDemand)), sizes.hidden * 4);
  let resident = fixed;
  let k = 0;
  for (const l of sizes.layers) {
    const b = sum(l.dense, f32) + sum(l.experts, f32);
    if (resident + slot + b > B) break;
    resident += b;
    k++;
  }
  const headBytes = f32(sizes.lmHead);
  const headResident = o.lmHeadSliceRows === undefined && resident + slot + headBytes <= B;
  if (headResident) resident += headBytes;
  const rows = Math.max(1, Math.min(sizes.vocab, o.lmHeadSliceRows ?? Math.floor(slot / (sizes.hidden * 4))));
  const lmHead: LmHeadPlan = headResident ? { mode: 'resident' } : { mode: 'sliced', sliceRows: rows, slices: Math.ceil(sizes.vocab / rows) };
  const streamed = sizes.layers.slice(k);
  const readBytes = streamed.reduce((a, l) => a + unitRead(l, onDemand, stored), 0) + (headResident ? 0 : sizes.lmHead.storedBytes) + rowRead;
  const decoded = streamed.reduce((a, l) => a + unitRead(l, onDemand, f32), 0) + (headResident ? 0 : headBytes) + sizes.hidden * 4;
  return {
    budget: B, source, residentLayers: k, streamedLayers: streamed.map((l) => l.index), embeddings: 'rows', lmHead,
    residentBytes: resident, streamingBytes: streamed.length || !headResident ? slot : 0, expertCacheBytes: Math.max(0, B - resident - slot),
    readBytesPerToken: readBytes, decodedBytesPerToken: decoded,
  };
}

/** Stored bytes of a tensor of `elements` in `dtype`, with FP8 block scales (float32, blocks of 128x128) added. */
function storedBytesOf(elements: number, shape: readonly number[], dtype: string): number {
  const w = DTYPE_BYTES[dtype as keyof typeof DTYPE_BYTES] ?? 4;
  if (dtype !== 'F8_E4M3' || shape.length !== 2) return elements * w;
  return elements + Math.ceil(shape[0] / 128) * Math.ceil(shape[1] / 128) * 4;
}

/** Which parts of a model are loaded (for {@link measureModel}). */
export interface MeasureParts {
  /** Count the vision tower (and projector) as resident. */
  readonly vision?: boolean;
  /** Count the time-series tower as resident. */
  readonly timeSeries?: boolean;
}

/**
 * The sizes of a model's tensors by role, from the layout its config implies (spec 9) and the
 * stored dtypes in `weights` (headers only; a tensor the checkpoint lacks is counted as BF16, and
 * the load that follows names it).
 */
export function measureModel(cfg: ModelConfig, weights: Pick<WeightSource, 'has' | 'info'>, parts: MeasureParts = {}): ModelSizes {
  const text = textConfigOf(cfg);
  const p = textPrefix(cfg);
  const size = (name: string, shape: readonly number[]): TensorSize => {
    const elements = shape.reduce((a, b) => a * b, 1);
    const dtype = weights.has(name) ? weights.info(name).dtype : 'BF16';
    return { name, elements, storedBytes: storedBytesOf(elements, shape, dtype), shape };
  };
  const layers = Array.from({ length: text.num_hidden_layers }, (_, index) => ({ index, dense: [] as TensorSize[], experts: [] as TensorSize[] }));
  const fixed: TensorSize[] = [];
  const towers: TensorSize[] = [];
  let embed: TensorSize | undefined;
  let head: TensorSize | undefined;
  const variant = configVariant(cfg);
  for (const e of checkpointLayout(cfg)) {
    if (e.optional && !weights.has(e.name)) continue;
    const m = e.name.startsWith(`${p}layers.`) ? /^layers\.(\d+)\.(.*)$/.exec(e.name.slice(p.length)) : null;
    if (m) {
      const l = layers[Number(m[1])];
      (/^mlp\.experts\./.test(m[2]) ? l.experts : l.dense).push(size(e.name, e.shape));
    } else if (e.name === `${p}embed_tokens.weight`) embed = size(e.name, e.shape);
    else if (e.name === 'lm_head.weight') head = size(e.name, e.shape);
    else if (e.name.startsWith(p)) fixed.push(size(e.name, e.shape));
    else if (variant !== 'text' && isTower(e.name, parts)) towers.push(size(e.name, e.shape));
  }
  const moe = text.model_type !== 'qwen3';
  return {
    vocab: text.vocab_size, hidden: text.hidden_size, embed: embed!, lmHead: head ?? embed!, tied: text.tie_word_embeddings, fixed, towers,
    layers: layers.map((l) => ({
      ...l, numExperts: moe && isMoeLayer(text, l.index) ? text.num_experts : 0, topK: moe && isMoeLayer(text, l.index) ? text.num_experts_per_tok : 0,
    })),
  };
}

function isTower(name: string, parts: MeasureParts): boolean {
  if (name.startsWith('model.time_series.')) return parts.timeSeries ?? false;
  return parts.vision ?? false;
}

/** Options of {@link planModelMemory}: the backend, the budget, and the plan's choices. */
export interface ModelPlanOptions extends MeasureParts {
  /** The active tfjs backend (sets the default budget). */
  readonly backend: string;
  /** Bytes or `8G` (default: `INTERN_S1_MEMORY_BUDGET`, else {@link defaultMemoryBudget}). */
  readonly memoryBudget?: number | string;
  /** Keep embeddings in the file even when everything fits. */
  readonly lazyEmbeddings?: boolean;
  /** Rows of an lm_head slice when lm_head streams. */
  readonly lmHeadSliceRows?: number;
  /** Streamed MoE layers decode only the chosen experts (see {@link PlanOptions.expertsOnDemand}). */
  readonly expertsOnDemand?: boolean;
}

/**
 * The plan of a whole-model load: resolve the budget, measure the checkpoint (headers only), plan,
 * and check that every tensor of a streamed layer is present with the shape the config implies,
 * so that a streamed run fails at load, not half way through a forward call.
 *
 * @throws MemoryBudgetError when even streaming cannot fit; CheckpointError / ShapeError naming a
 *   streamed layer's missing or misshapen tensor; ValueError for an unparsable budget.
 */
export function planModelMemory(cfg: ModelConfig, weights: Pick<WeightSource, 'has' | 'info' | 'location'>, o: ModelPlanOptions): MemoryPlan {
  const { bytes, source } = resolveMemoryBudget(o.memoryBudget, { backend: o.backend, totalMemory: hostTotalMemory() });
  const sizes = measureModel(cfg, weights, o);
  const plan = planMemory(sizes, { budget: bytes, source, lazyEmbeddings: o.lazyEmbeddings, lmHeadSliceRows: o.lmHeadSliceRows, expertsOnDemand: o.expertsOnDemand });
  for (const l of plan.streamedLayers) {
    for (const t of [...sizes.layers[l].dense, ...sizes.layers[l].experts]) {
      if (!weights.has(t.name)) throw new CheckpointError(`${weights.location}: no tensor '${t.name}' (decoder layer ${l}, streamed under the memory budget)`);
      if (t.shape) checkShape('InternS1ForConditionalGeneration', t.name, weights.info(t.name).shape, t.shape);
    }
  }
  return plan;
}
