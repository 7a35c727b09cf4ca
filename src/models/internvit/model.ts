/**
 * The InternViT encoder (spec 6.1.2; HF `InternVLVisionModel`): embeddings, then
 * `num_hidden_layers` encoder layers, then a final LayerNorm only when `use_mean_pooling` is false
 * (both releases set it true, so there is none).
 *
 * Legend: N images (tiles), T = 1 + P tokens (CLS first), C width, H heads, L layers.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors.js';
import type { InternVitConfig } from '../../io/configs/vision.js';
import { join, loadAll, loadTensor } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import type { Disposable } from '../../nn/linear.js';
import { LayerNorm } from '../../nn/norm.js';
import { outputAndProbs, scope } from '../../nn/scope.js';
import { checkVitConfig } from './config.js';
import { InternVisionEmbeddings } from './embeddings.js';
import { InternVisionEncoderLayer } from './layer.js';

/** The per-call options of {@link InternVisionModel.forward}. */
export interface InternVisionForwardOptions {
  /** Also return every hidden state: the embeddings output, then each layer's output (L + 1 tensors). */
  outputHiddenStates?: boolean;
  /** Also return each layer's attention probabilities `[N, H, T, T]`. */
  outputAttentions?: boolean;
}

/** What {@link InternVisionModel.forward} returns; the caller disposes every tensor in it. */
export interface InternVisionOutput {
  /** `[N, 1 + P, C]`: the last layer's output (after the final LayerNorm when the model has one). */
  lastHiddenState: tf.Tensor;
  /** With `outputHiddenStates`: L + 1 tensors `[N, 1 + P, C]` (index 0 = embeddings, i = after layer i), as HF `hidden_states`. */
  hiddenStates?: tf.Tensor[];
  /** With `outputAttentions`: L tensors `[N, H, T, T]`. */
  attentions?: tf.Tensor[];
}

/**
 * The InternViT encoder: `pixel_values [N, Cin, H, W]` → `last_hidden_state [N, 1 + P, C]` with
 * `P = (H / p)·(W / p)` (1025 tokens for a 448 tile).
 *
 * Weights under `prefix` (default `model.vision_tower`): `embeddings.*`
 * ({@link InternVisionEmbeddings}), `encoder.layer.{i}.*` ({@link InternVisionEncoderLayer}), and
 * `layernorm.{weight, bias}` only when `use_mean_pooling` is false. InternVL-chat checkpoints
 * (`vision_model.*`, fused `attn.qkv`) load through the same HF names: the weight source maps
 * them (spec 9.1 table).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { InternVisionModel, initTiny, openCheckpoint, type InternS1Config } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-mini-vit', { variant: 'mini', vocabSize: 64, force: true }); // or a real folder: '/models/Intern-S1-mini'
 * const ckpt = openCheckpoint('/tmp/tiny-mini-vit');
 * const cfg = ckpt.config as InternS1Config;
 * const vit = InternVisionModel.fromWeights(cfg.vision_config, ckpt.weights);
 * const { lastHiddenState } = vit.forward(tf.zeros([1, 3, 448, 448]));
 * console.log(lastHiddenState.shape); // => [1, 1025, 16]  -- (tiny width; [1, 1025, 1024] for Intern-S1-mini)
 * vit.dispose();
 * ```
 */
export class InternVisionModel implements Disposable {
  constructor(
    /** The vision config. */
    readonly config: InternVitConfig,
    /** Patch embedding, CLS token and position embeddings. */
    readonly embeddings: InternVisionEmbeddings,
    /** The `num_hidden_layers` encoder layers, in order. */
    readonly layers: readonly InternVisionEncoderLayer[],
    /** The final LayerNorm, present only when `use_mean_pooling` is false. */
    readonly layernorm: LayerNorm | null,
  ) {}

  /** Load every part from HF names under `prefix`; on any error nothing stays allocated. */
  static fromWeights(config: InternVitConfig, weights: WeightSource, prefix = 'model.vision_tower'): InternVisionModel {
    const op = 'InternVisionModel';
    checkVitConfig(op, config);
    return loadAll((own) => {
      const emb = own(InternVisionEmbeddings.fromWeights(config, weights, join(prefix, 'embeddings')));
      const layers: InternVisionEncoderLayer[] = [];
      for (let i = 0; i < config.num_hidden_layers; i++) {
        layers.push(own(InternVisionEncoderLayer.fromWeights(config, weights, join(prefix, `encoder.layer.${i}`))));
      }
      let norm: LayerNorm | null = null;
      if (!config.use_mean_pooling) {
        const C = config.hidden_size;
        const w = own(loadTensor(op, weights, join(prefix, 'layernorm.weight'), [C]));
        const b = own(loadTensor(op, weights, join(prefix, 'layernorm.bias'), [C]));
        norm = new LayerNorm(w as tf.Tensor1D, b as tf.Tensor1D, config.layer_norm_eps);
      }
      return new InternVisionModel(config, emb, layers, norm);
    });
  }

  /**
   * `pixel_values [N, Cin, H, W]` → {@link InternVisionOutput}. Without `outputHiddenStates` each
   * layer's input is freed as soon as its output exists, so peak memory is a few `[N, T, C]`
   * activations, not L of them.
   */
  forward(pixelValues: tf.Tensor, opts: InternVisionForwardOptions = {}): InternVisionOutput {
    const keep = opts.outputHiddenStates === true;
    return scope(() => {
      let h = this.embeddings.forward(pixelValues); // [N, T, C]
      const hidden = [h];
      const probs: tf.Tensor[] = [];
      for (const layer of this.layers) {
        const r = outputAndProbs(layer.forward(h, { returnProbs: opts.outputAttentions === true }));
        if (!keep) h.dispose(); // without hidden states, a layer's input is freed as soon as its output exists
        h = r.output; // [N, T, C]
        hidden.push(h);
        if (r.probs) probs.push(r.probs); // [N, H, T, T]
      }
      // With hidden states, hiddenStates[L] and lastHiddenState are separate tensors (each disposed once).
      const out: InternVisionOutput = { lastHiddenState: this.layernorm ? this.layernorm.forward(h) : keep ? tf.clone(h) : h };
      if (keep) out.hiddenStates = hidden;
      if (opts.outputAttentions) out.attentions = probs;
      return out;
    });
  }


  /**
   * The features HF's `get_image_features` takes for `vision_feature_layer = layer`: `-1` gives
   * `lastHiddenState`; any other value indexes the L + 1 hidden states Python-style (0 = the
   * embeddings, -2 = the input of the last layer). Only the layers needed are run.
   *
   * @returns `[N, 1 + P, C]`.
   * @throws ValueError when `layer` is not an integer in `[-(L + 1), L]`.
   */
  featureLayer(pixelValues: tf.Tensor, layer = -1): tf.Tensor {
    const L = this.layers.length;
    if (!Number.isInteger(layer) || layer < -(L + 1) || layer > L) {
      throw new ValueError(`InternVisionModel: 'layer' must be an integer in [${-(L + 1)}, ${L}], got ${layer}`);
    }
    if (layer === -1) return this.forward(pixelValues).lastHiddenState;
    const stop = layer < 0 ? L + 1 + layer : layer; // run layers 0 .. stop-1
    let h = this.embeddings.forward(pixelValues); // [N, T, C]
    try {
      for (let i = 0; i < stop; i++) {
        const next = this.layers[i].forward(h); // [N, T, C]
        h.dispose();
        h = next;
      }
      return h;
    } catch (e) {
      h.dispose();
      throw e;
    }
  }

  /** Release every weight. */
  dispose(): void {
    this.embeddings.dispose();
    for (const l of this.layers) l.dispose();
    this.layernorm?.dispose();
  }
}
