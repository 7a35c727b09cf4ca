/**
 * Reference whole model (spec section 8), float64: embeddings, media rows scattered in prompt
 * order (images, then time series), the text decoder, and router statistics.
 *
 * @module
 */
import { fromArray, type NDArray } from '../../ndarray.js';
import type { WeightSource } from '../../weights.js';
import type { InternS1VisionConfig } from '../internvit/config.js';
import { InternS1VisionTower } from './tower.js';
import type { ProVisionConfig } from '../pro-vision/config.js';
import { ProVisionModel } from '../pro-vision/model.js';
import type { Qwen3KVCache } from '../qwen3/attention.js';
import { type DecoderConfig, isMoeLayer } from '../qwen3/decoder.js';
import { Qwen3TextModel } from '../qwen3/model.js';
import type { RouterOutput } from '../qwen3/routing.js';
import { TimeSeriesModel } from '../time-series/model.js';
import type { TimeSeriesConfig } from '../time-series/whisper.js';
import { type Placeholder, scatterFeatures } from './assemble.js';

/** The config keys the reference reads (a structural subset of the fast path's parsed configs). */
export interface ModelConfigLike {
  /** `intern_s1` / `interns1` (Intern-S1, -mini), `interns1_pro`, or a bare text model type. */
  readonly model_type: string;
  /** The decoder's config (absent for a bare text config). */
  readonly text_config?: DecoderConfig & {
    /** `qwen3`, `qwen3_moe` or `interns1_pro_text`. */
    readonly model_type: string;
  };
  /** The vision tower's config (InternViT keys for Intern-S1 / mini, Qwen3-VL keys for Pro). */
  readonly vision_config?: unknown;
  /** The time-series tower's config (Pro), or null. */
  readonly ts_config?: TimeSeriesConfig | null;
  /** Id of the image placeholder token. */
  readonly image_token_id?: number;
  /** Id of the time-series placeholder token (Pro). */
  readonly ts_token_id?: number;
  /** Id of the video placeholder token (Pro). */
  readonly video_token_id?: number;
}

/** Images (all items in prompt order): tiles `[N, 3, H, W]` for Intern-S1 / mini; patches `[P, 1536]` and `gridThw` for Pro. */
export interface ImageInputs {
  /** Tiles `[N, 3, H, W]` (Intern-S1 / mini) or patches `[P, 1536]` (Pro). */
  readonly pixelValues: NDArray;
  /** Pro: `[t, gh, gw]` per image, in prompt order. */
  readonly gridThw?: readonly (readonly [number, number, number])[];
}

/** One signal `[T, C]` (raw, or already normalised when `preprocessed`) and its rate in Hz. */
export interface SeriesInput {
  /** Samples `[T, C]`. */
  readonly signal: NDArray;
  /** Sampling rate in Hz. */
  readonly samplingRate: number;
  /** True when `signal` is already z-scored and truncated (skip the processor). */
  readonly preprocessed?: boolean;
}

/** What {@link InternS1ForConditionalGeneration.forward} takes: token ids `[B][T]` and the media they refer to. */
export interface ModelInputs {
  /** Token ids `[B][T]`, with one placeholder id per media feature row. */
  readonly inputIds: readonly (readonly number[])[];
  /** All images of the batch, in prompt order. */
  readonly images?: ImageInputs;
  /** All videos (Pro: patches of the frame groups and one `[t, gh, gw]` grid per video), in prompt order. */
  readonly videos?: ImageInputs;
  /** The signals, in prompt order. */
  readonly series?: readonly SeriesInput[];
}

/** The cache, router and logits options of {@link InternS1ForConditionalGeneration.forward}. */
export interface ModelForwardOptions {
  /** A KV cache from {@link InternS1ForConditionalGeneration.newCache} to read and extend. */
  readonly cache?: Qwen3KVCache;
  /** Return each MoE layer's router logits and choices (and the expert load). */
  readonly returnRouter?: boolean;
  /** Which positions get logits: all (default), the last, or none. */
  readonly logits?: 'all' | 'last' | 'none';
}

/** How often each expert of one MoE layer was selected. */
export interface ExpertCounts {
  /** Selections per expert. */
  readonly perExpert: number[];
}

/** What {@link InternS1ForConditionalGeneration.forward} returns: logits, hidden states, router outputs, media rows. */
export interface ModelOutput {
  /** Logits `[B, T, V]` (or `[B, 1, V]` for `logits: 'last'`), or null for `'none'`. */
  readonly logits: NDArray | null;
  /** Final hidden states `[B, T, D]` (after the last norm). */
  readonly hidden: NDArray;
  /** Per layer: router logits and choices (MoE layers, with `returnRouter`), else null. */
  readonly router: (RouterOutput | null)[] | null;
  /** Per layer: expert selection counts (MoE layers, with `returnRouter`), else null. */
  readonly expertLoad: (ExpertCounts | null)[] | null;
  /** Feature rows scattered per modality (`image`, `time_series`). */
  readonly mediaTokens: Record<string, number>;
}

/** What {@link InternS1ForConditionalGeneration.embed} returns: the embeddings with the media rows scattered in. */
export interface EmbeddedInputs {
  /** Token embeddings `[B, T, D]` with the media rows in place. */
  embeds: NDArray;
  /** Feature rows scattered per modality. */
  mediaTokens: Record<string, number>;
}

/** Which tower families a config has: `pro` has the time-series tower, `s1`/`mini` InternViT. */
function variantOf(cfg: ModelConfigLike): 's1' | 'pro' | 'text' {
  if (cfg.model_type === 'interns1_pro') return 'pro';
  if (cfg.model_type === 'intern_s1' || cfg.model_type === 'interns1') return 's1';
  return 'text';
}

/**
 * The whole Intern-S1 model in float64 (spec 8): token embeddings, the image and time-series rows
 * scattered onto their placeholders in prompt order, then the text decoder,
 * $x_0 = \operatorname{scatter}(E[\mathrm{ids}];\ \mathrm{image\ rows},\ \mathrm{signal\ rows})$,
 * and the text decoder ({@link Qwen3TextModel}) maps $x_0$ to the logits. The twin of the fast
 * path's `InternS1ForConditionalGeneration`.
 */
export class InternS1ForConditionalGeneration {
  /**
   * @param config - the checkpoint's config.
   * @param text - the text decoder.
   * @param vision - the vision tower (InternViT + projector, or the Pro tower), or null.
   * @param timeSeries - the time-series tower (Pro), or null.
   */
  constructor(
    readonly config: ModelConfigLike,
    readonly text: Qwen3TextModel,
    readonly vision: InternS1VisionTower | ProVisionModel | null,
    readonly timeSeries: TimeSeriesModel | null,
  ) {}

  /**
   * Build the model from a config and a weight source (spec 9 names): `opts.vision` /
   * `opts.timeSeries` false skip loading those towers.
   */
  static fromWeights(config: ModelConfigLike, weights: WeightSource, opts: { vision?: boolean; timeSeries?: boolean } = {}): InternS1ForConditionalGeneration {
    const v = variantOf(config);
    const textCfg = (config.text_config ?? config) as DecoderConfig;
    const text = Qwen3TextModel.fromWeights(textCfg, weights, { prefix: v === 'text' ? 'model.' : 'model.language_model.' });
    const wantVision = opts.vision ?? true;
    const vision = !wantVision ? null
      : v === 's1' ? InternS1VisionTower.fromWeights(config as unknown as InternS1VisionConfig, weights)
        : v === 'pro' ? ProVisionModel.fromWeights(config.vision_config as ProVisionConfig, weights, 'model.visual') : null;
    const ts = v === 'pro' && (opts.timeSeries ?? true) && config.ts_config ? TimeSeriesModel.fromWeights(config.ts_config, weights, 'model.time_series') : null;
    return new InternS1ForConditionalGeneration(config, text, vision, ts);
  }

  /** An empty KV cache for {@link forward}. */
  newCache(): Qwen3KVCache {
    return this.text.newCache();
  }

  /** Token embeddings with image rows, then time-series rows, replaced in prompt order. */
  embed(inputs: ModelInputs): EmbeddedInputs {
    const placeholders: Placeholder[] = [];
    if (inputs.images) {
      if (!this.vision) throw new Error('InternS1ForConditionalGeneration: no vision tower for images');
      const img = inputs.images;
      const features = this.vision instanceof ProVisionModel ? this.vision.forward(img.pixelValues, img.gridThw ?? []) : this.vision.forward(img.pixelValues);
      placeholders.push({ name: 'image', tokenId: this.config.image_token_id!, features });
    }
    if (inputs.videos) {
      if (!(this.vision instanceof ProVisionModel)) throw new Error('InternS1ForConditionalGeneration: videos need the Intern-S1-Pro vision tower');
      const features = this.vision.forward(inputs.videos.pixelValues, inputs.videos.gridThw ?? []);
      placeholders.push({ name: 'video', tokenId: this.config.video_token_id!, features });
    }
    if (inputs.series?.length) {
      if (!this.timeSeries) throw new Error('InternS1ForConditionalGeneration: no time-series tower for signals');
      const ts = this.timeSeries;
      const feats = inputs.series.map((s) => (s.preprocessed ? ts.forward(s.signal, s.samplingRate) : ts.encode(s.signal, s.samplingRate)).features);
      placeholders.push({ name: 'time series', tokenId: this.config.ts_token_id!, features: concatRows(feats) });
    }
    const embeds = scatterFeatures(this.text.embed(inputs.inputIds), inputs.inputIds.flat(), placeholders);
    const mediaTokens = Object.fromEntries(placeholders.map((p) => [p.name.replace(' ', '_'), p.features.shape[0]]));
    return { embeds, mediaTokens };
  }

  /** Embed (with media rows), run the decoder, and count expert selections (spec section 8). */
  forward(inputs: ModelInputs, opts: ModelForwardOptions = {}): ModelOutput {
    const { embeds, mediaTokens } = this.embed(inputs);
    const out = this.text.forwardEmbeds(embeds, undefined, opts.cache, { logits: opts.logits, returnRouter: opts.returnRouter });
    const textCfg = (this.config.text_config ?? this.config) as DecoderConfig;
    const load = out.router?.map((r, l) => (r && isMoeLayer(textCfg, l) ? countExperts(r.indices, r.logits.shape[1]) : null)) ?? null;
    return { logits: out.logits, hidden: out.hidden, router: out.router, expertLoad: load, mediaTokens };
  }
}

/** Stack `[N_i, D]` arrays along rows. */
function concatRows(parts: NDArray[]): NDArray {
  if (parts.length === 1) return parts[0];
  const D = parts[0].shape[1];
  const N = parts.reduce((s, p) => s + p.shape[0], 0);
  const data = new Float64Array(N * D);
  let r = 0;
  for (const p of parts) for (let i = 0; i < p.shape[0]; i++, r++) for (let c = 0; c < D; c++) data[r * D + c] = p.get(i, c);
  return fromArray(data, [N, D]);
}

/** Selections per expert from `[N, K]` chosen ids. */
function countExperts(indices: NDArray, E: number): ExpertCounts {
  const perExpert = new Array<number>(E).fill(0);
  for (let t = 0; t < indices.shape[0]; t++) for (let k = 0; k < indices.shape[1]; k++) perExpert[indices.get(t, k)]++;
  return { perExpert };
}
