/**
 * The whole model: `InternS1ForConditionalGeneration`-equivalent for Intern-S1 (InternViT +
 * Qwen3-MoE), Intern-S1-mini (InternViT-300M + dense Qwen3) and Intern-S1-Pro (grouped MoE + FoPE,
 * the native-resolution vision tower and the time-series tower). Spec section 8.
 *
 * ```
 * E   = embed_tokens[ids]                               [B, T, D]
 * E'  = scatter image rows, then time-series rows        (placeholder ids, prompt order)
 * out = decoder(E', positions 0..T-1, causal)            logits [B, T, V], hidden [B, T, D]
 * ```
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ValueError } from '../../errors.js';
import type { Checkpoint } from '../../io/checkpoint.js';
import { nodeHost } from '../../platform/host.js';
import { configVariant, type InternS1Config, type InternS1ProConfig, type ModelConfig, textConfigOf, type Variant } from '../../io/configs/model.js';
import { isMoeLayer } from '../../io/configs/text.js';
import { loadAll } from '../../io/load.js';
import { type MemoryPlan, planModelMemory } from '../../io/budget.js';
import type { WeightSource } from '../../io/weights.js';
import type { Disposable } from '../../nn/linear.js';
import { scope } from '../../nn/scope.js';
import { InternS1VisionTower } from './tower.js';
import { ProVisionModel } from '../pro-vision/model.js';
import { Qwen3TextModel, type TextForwardOptions } from '../qwen3/model.js';
import type { Qwen3KVCache } from '../qwen3/attention.js';
import type { PositionIds } from '../qwen3/rotary.js';
import type { ExpertsOnDemandOptions } from '../qwen3/options.js';
import { type ExpertLoad, expertLoad, type RouterOutput } from '../qwen3/routing.js';
import { TimeSeriesModel } from '../time-series/model.js';
import { type Placeholder, scatterFeatures } from './assemble.js';
import type { ImageInputsOf, ModelInputsOf, SeriesInputOf } from './options.js';

/** Images of a batch (fields in the shared `src/models/intern-s1/options.ts`). */
export type ImageInputs = ImageInputsOf<tf.Tensor>;
/** One signal for the time-series tower. */
export type SeriesInput = SeriesInputOf<tf.Tensor>;
/** What one forward call reads: token ids `[B][T]` and the media they refer to. */
export type ModelInputs = ModelInputsOf<tf.Tensor>;

/** The per-call options of {@link InternS1ForConditionalGeneration.forward}. */
export interface ModelForwardOptions extends Pick<TextForwardOptions, 'logits' | 'chunkSize' | 'leftPadding'> {
  /** Position ids per row (default: after the cache); a left-padded batch gives each row its own. */
  readonly positions?: PositionIds;
  /** Continue from (and extend) this cache; positions continue after it. */
  readonly cache?: Qwen3KVCache;
  /** Return router outputs and per-layer expert load (MoE layers). */
  readonly returnRouter?: boolean;
}

/** What a forward call returns; the caller disposes the tensors. */
export interface ModelOutput {
  /** `[B, T, V]` (`[B, 1, V]` with `logits: 'last'`), or null with `'none'`. */
  readonly logits: tf.Tensor | null;
  /** Final hidden states after `model.norm`, `[B, T, D]`. */
  readonly hidden: tf.Tensor;
  /** Per layer (null for dense layers), when `returnRouter`. */
  readonly router: (RouterOutput | null)[] | null;
  /** Per layer expert load (null for dense layers), when `returnRouter`. */
  readonly expertLoad: (ExpertLoad | null)[] | null;
  /** Feature rows scattered per modality, e.g. `{ image: 512, time_series: 100 }`. */
  readonly mediaTokens: Record<string, number>;
}

/** Which parts to load. Defaults: every tower the config declares. */
export interface ModelLoadOptions {
  /** Load the vision tower (default true when the config has one). */
  readonly vision?: boolean;
  /** Load the time-series tower (default true when the config has one; Pro only). */
  readonly timeSeries?: boolean;
  /** Read embedding rows from the checkpoint on demand instead of holding `[V, D]` (see Qwen3TextModel). */
  readonly lazyEmbeddings?: boolean;
  /** Hold the MoE experts on demand; `capacityBytes` is the total over all MoE layers (see Qwen3TextModel). */
  readonly expertsOnDemand?: ExpertsOnDemandOptions;
  /**
   * The memory budget of the weights, in bytes or as `8G` / `512M` (default:
   * `INTERN_S1_MEMORY_BUDGET`, else what the active backend can hold: wasm 3 GiB, cpu and
   * tensorflow half the RAM). Weights that do not fit stay in the checkpoint and are decoded and
   * uploaded layer by layer at each forward call, then released; the outputs are the same
   * (src/io/budget.ts has the plan; docs/guides/checkpoints.md the design).
   * @throws MemoryBudgetError at load, before any weight is read, when even streaming cannot fit.
   */
  readonly memoryBudget?: number | string;
  /** Rows of an lm_head slice when lm_head streams (default: as many as the streaming slot holds). */
  readonly lmHeadSliceRows?: number;
}

/** The image encoder of a variant: tiles or patches → feature rows `[N, D]`. */
export interface ImageEncoder extends Disposable {
  /** Feature rows `[N, D]` for the images, in order. */
  encode(images: ImageInputs): tf.Tensor;
  /** How many rows {@link ImageEncoder.encode} will return (= placeholder tokens the prompt needs). */
  featureRows(images: ImageInputs): number;
}

class InternVitEncoder implements ImageEncoder {
  constructor(readonly tower: InternS1VisionTower) {}
  encode(images: ImageInputs): tf.Tensor {
    if (images.gridThw) throw new ValueError('InternS1ForConditionalGeneration: gridThw is for Intern-S1-Pro images; Intern-S1 takes tiles [N, 3, H, W]');
    return this.tower.forward(images.pixelValues);
  }
  featureRows(images: ImageInputs): number {
    const [N, , H, W] = images.pixelValues.shape;
    return N * this.tower.tokensPerTile(H, W);
  }
  dispose(): void {
    this.tower.dispose();
  }
}

/** Placeholder token ids of a config. */
function tokenIds(cfg: ModelConfig): { image: number | null; series: number | null; video: number | null } {
  if (cfg.model_type === 'interns1_pro') return { image: cfg.image_token_id, series: cfg.ts_token_id, video: cfg.video_token_id };
  if (cfg.model_type === 'intern_s1' || cfg.model_type === 'interns1') return { image: cfg.image_token_id, series: null, video: null };
  return { image: null, series: null, video: null };
}

/**
 * Intern-S1, Intern-S1-mini and Intern-S1-Pro for generation.
 *
 * @example
 * ```ts
 * import { InternS1ForConditionalGeneration, initTiny } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-s1-example', { variant: 's1', vocabSize: 64, force: true });
 * const model = InternS1ForConditionalGeneration.fromCheckpoint('/tmp/tiny-s1-example');
 * const out = model.forward({ inputIds: [[1, 2, 3]] }, { returnRouter: true });
 * console.log(out.logits!.shape, out.expertLoad![0]!.perExpert); // [1, 3, 64] [...]
 * model.disposeOutput(out);
 * model.dispose();
 * ```
 */
export class InternS1ForConditionalGeneration implements Disposable {
  /** Which model family the config describes (`s1`, `mini`, `pro`, or `text` for a bare text decoder config). */
  readonly variant: Variant;

  /**
   * Assemble from loaded parts (usually via {@link fromCheckpoint} or {@link fromWeights}).
   *
   * @param config - the parsed config.json.
   * @param text - the language model (decoder, embeddings, lm_head).
   * @param vision - the image encoder (InternViT tower or Pro vision tower), or null when not loaded.
   * @param timeSeries - the time-series tower (Pro), or null when not loaded.
   * @param memoryPlan - the plan the text model was loaded under, or null.
   */
  constructor(
    readonly config: ModelConfig,
    readonly text: Qwen3TextModel,
    readonly vision: ImageEncoder | null,
    readonly timeSeries: TimeSeriesModel | null,
    /** The memory plan the model was loaded under (null when assembled by hand: everything resident). */
    readonly memoryPlan: MemoryPlan | null = null,
  ) {
    this.variant = configVariant(config);
  }

  /**
   * Load from a checkpoint folder (config.json + safetensors). Node only (a path); in a browser use
   * `openCheckpointSource(url | files)`, `prefetch`, then {@link fromWeights}.
   */
  static fromCheckpoint(dir: string, opts: ModelLoadOptions = {}): InternS1ForConditionalGeneration {
    const ckpt = nodeHost('InternS1ForConditionalGeneration.fromCheckpoint(dir)', 'openCheckpointSource(url | files) then fromWeights', 'openCheckpoint')(dir) as Checkpoint;
    if (!ckpt.config) throw new ConfigError(`${dir}: a model folder needs a config.json`);
    return InternS1ForConditionalGeneration.fromWeights(ckpt.config, ckpt.weights, opts);
  }

  /** Build from a parsed config and a weight source, loading only the towers asked for. */
  static fromWeights(config: ModelConfig, weights: WeightSource, opts: ModelLoadOptions = {}): InternS1ForConditionalGeneration {
    const variant = configVariant(config);
    const prefix = variant === 'text' ? 'model.' : 'model.language_model.';
    const loadVision = (opts.vision ?? true) && variant !== 'text' && ('vision_config' in config);
    const loadTs = (opts.timeSeries ?? true) && variant === 'pro' && 'ts_config' in config && config.ts_config !== null;
    const memoryPlan = planModelMemory(config, weights, { ...opts, expertsOnDemand: opts.expertsOnDemand !== undefined, backend: tf.getBackend(), vision: loadVision, timeSeries: loadTs });
    return loadAll((own) => {
      const text = own(Qwen3TextModel.fromWeights(textConfigOf(config), weights, { prefix, lazyEmbeddings: opts.lazyEmbeddings, memoryPlan, expertsOnDemand: opts.expertsOnDemand }));
      let vision: ImageEncoder | null = null;
      if (loadVision && (variant === 's1' || variant === 'mini') && config.model_type !== 'interns1_pro') {
        vision = own(new InternVitEncoder(InternS1VisionTower.fromWeights(config as InternS1Config, weights)));
      } else if (loadVision && config.model_type === 'interns1_pro') {
        vision = own(loadProVision(config, weights));
      }
      let ts: TimeSeriesModel | null = null;
      if (loadTs && 'ts_config' in config && config.ts_config) {
        ts = own(TimeSeriesModel.fromWeights(config.ts_config, weights, 'model.time_series'));
      }
      return new InternS1ForConditionalGeneration(config, text, vision, ts, memoryPlan);
    });
  }

  /** Placeholder id replaced by image features, or null for a text-only config. */
  get imageTokenId(): number | null {
    return tokenIds(this.config).image;
  }

  /** Placeholder id replaced by time-series features (Pro), or null. */
  get seriesTokenId(): number | null {
    return tokenIds(this.config).series;
  }

  /** A fresh KV cache for incremental decoding. */
  newCache(): Qwen3KVCache {
    return this.text.newCache();
  }

  /** Encode the media of `inputs` into placeholders, in the order the spec scatters them (images, then series). */
  private encodeMedia(inputs: ModelInputs): Placeholder[] {
    const out: Placeholder[] = [];
    try {
      if (inputs.images) {
        if (!this.vision || this.imageTokenId === null) throw new ConfigError(`InternS1ForConditionalGeneration: images were given but this ${this.variant} model has no vision tower loaded`);
        out.push({ name: 'image', tokenId: this.imageTokenId, features: this.vision.encode(inputs.images) });
      }
      if (inputs.videos) {
        const video = tokenIds(this.config).video;
        if (!this.vision || video === null) throw new ConfigError(`InternS1ForConditionalGeneration: videos were given but this ${this.variant} model has no Intern-S1-Pro vision tower loaded (Intern-S1 / mini take video frames as images)`);
        out.push({ name: 'video', tokenId: video, features: this.vision.encode(inputs.videos) });
      }
      if (inputs.series?.length) {
        if (!this.timeSeries || this.seriesTokenId === null) throw new ConfigError(`InternS1ForConditionalGeneration: signals were given but this ${this.variant} model has no time-series tower loaded`);
        const ts = this.timeSeries;
        const feats = inputs.series.map((s) => (s.preprocessed ? ts.forward(s.signal, s.samplingRate) : ts.encode(s.signal, s.samplingRate)).features);
        out.push({ name: 'time series', tokenId: this.seriesTokenId, features: feats.length === 1 ? feats[0] : tf.tidy(() => tf.concat(feats, 0)) });
        if (feats.length > 1) tf.dispose(feats);
      }
      return out;
    } catch (e) {
      tf.dispose(out.map((p) => p.features));
      throw e;
    }
  }

  /**
   * Input embeddings `[B, T, D]` with placeholder rows replaced by media features (spec 8).
   * @throws ShapeError when a placeholder count differs from the feature rows (both numbers named).
   */
  embed(inputs: ModelInputs): {
    /** Input embeddings `[B, T, D]`, media rows scattered in; the caller disposes it. */
    embeds: tf.Tensor;
    /** Feature rows scattered per modality, e.g. `{ image: 512, time_series: 100 }`. */
    mediaTokens: Record<string, number>;
  } {
    const placeholders = this.encodeMedia(inputs);
    try {
      const ids = inputs.inputIds.flat();
      const tokens = this.text.embed(inputs.inputIds); // [B, T, D]
      const mediaTokens = Object.fromEntries(placeholders.map((p) => [p.name.replace(' ', '_'), p.features.shape[0]]));
      if (!placeholders.length) return { embeds: tokens, mediaTokens };
      try {
        return { embeds: scatterFeatures(tokens, ids, placeholders), mediaTokens };
      } finally {
        tokens.dispose();
      }
    } finally {
      tf.dispose(placeholders.map((p) => p.features));
    }
  }

  /** Embed (with media), run the decoder, and return logits, hidden states and router statistics. */
  forward(inputs: ModelInputs, opts: ModelForwardOptions = {}): ModelOutput {
    return scope(() => {
      const { embeds, mediaTokens } = this.embed(inputs);
      const out = this.text.forwardEmbeds(embeds, opts.positions, opts.cache, { logits: opts.logits, chunkSize: opts.chunkSize, returnRouter: opts.returnRouter, leftPadding: opts.leftPadding });
      const text = textConfigOf(this.config);
      const groups = 'router_n_groups' in text && text.router_n_groups ? text.router_n_groups : 1;
      const load = out.router?.map((r, l) => (r && isMoeLayer(text, l) ? expertLoad(r.indices, r.logits.shape[1] as number, groups) : null)) ?? null;
      return { logits: out.logits, hidden: out.hidden, router: out.router, expertLoad: load, mediaTokens };
    });
  }

  /** Dispose every tensor of a {@link ModelOutput}. */
  disposeOutput(out: ModelOutput): void {
    tf.dispose([out.logits, out.hidden].filter((t): t is tf.Tensor => t !== null));
    for (const r of out.router ?? []) if (r) tf.dispose([r.logits, r.indices, r.weights]);
  }

  /** Dispose the weights of every loaded part. */
  dispose(): void {
    this.text.dispose();
    this.vision?.dispose();
    this.timeSeries?.dispose();
  }
}

class ProVisionEncoder implements ImageEncoder {
  constructor(readonly tower: ProVisionModel) {}
  encode(images: ImageInputs): tf.Tensor {
    if (!images.gridThw) throw new ValueError('InternS1ForConditionalGeneration: Intern-S1-Pro images need gridThw next to pixelValues [P, 1536]');
    return this.tower.forward(images.pixelValues, images.gridThw);
  }
  featureRows(images: ImageInputs): number {
    if (!images.gridThw) throw new ValueError('InternS1ForConditionalGeneration: Intern-S1-Pro images need gridThw');
    return this.tower.tokenCounts(images.gridThw).reduce((a, b) => a + b, 0);
  }
  dispose(): void {
    this.tower.dispose();
  }
}

/** The Pro native-resolution vision tower (spec 6.2) under `model.visual`. */
function loadProVision(config: InternS1ProConfig, weights: WeightSource): ImageEncoder {
  return new ProVisionEncoder(ProVisionModel.fromWeights(config.vision_config, weights, 'model.visual'));
}
