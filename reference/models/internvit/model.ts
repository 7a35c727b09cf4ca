/**
 * Reference InternViT encoder (spec 6.1.2), float64: embeddings, `num_hidden_layers` layers, and a
 * final LayerNorm only when `use_mean_pooling` is false.
 *
 * Legend: N images, T = 1 + P tokens, C width, H heads, L layers.
 *
 * @module
 */
import type { NDArray } from '../../ndarray.js';
import { LayerNorm } from '../../nn/norm.js';
import type { WeightSource } from '../../weights.js';
import { type InternVitConfig, checkShape, checkVitConfig, join } from './config.js';
import { InternVisionEmbeddings } from './embeddings.js';
import { InternVisionEncoderLayer } from './layer.js';
import type { InternVisionForwardOptions } from '../../../src/models/internvit/options.js';

export type { InternVisionForwardOptions } from '../../../src/models/internvit/options.js';

/** As in the fast path: `lastHiddenState [N, T, C]`, `hiddenStates` (L + 1), `attentions` (L × `[N, H, T, T]`). */
export interface InternVisionOutput {
  /** `[N, T, C]`: the last layer's output (after the final LayerNorm when there is one). */
  lastHiddenState: NDArray;
  /** L + 1 arrays `[N, T, C]`: the embeddings, then each layer's output; with `outputHiddenStates`. */
  hiddenStates?: NDArray[];
  /** L arrays `[N, H, T, T]` of attention probabilities; with `outputAttentions`. */
  attentions?: NDArray[];
}

/** `pixel_values [N, Cin, H, W]` → `last_hidden_state [N, 1 + P, C]`. */
export class InternVisionModel {
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

  /** Load every part from HF names under `prefix`. */
  static fromWeights(config: InternVitConfig, weights: WeightSource, prefix = 'model.vision_tower'): InternVisionModel {
    checkVitConfig('InternVisionModel', config);
    const layers: InternVisionEncoderLayer[] = [];
    for (let i = 0; i < config.num_hidden_layers; i++) {
      layers.push(InternVisionEncoderLayer.fromWeights(config, weights, join(prefix, `encoder.layer.${i}`)));
    }
    let norm: LayerNorm | null = null;
    if (!config.use_mean_pooling) {
      const [w, b] = [weights.array(join(prefix, 'layernorm.weight')), weights.array(join(prefix, 'layernorm.bias'))];
      checkShape('InternVisionModel', join(prefix, 'layernorm.weight'), w.shape, [config.hidden_size]);
      checkShape('InternVisionModel', join(prefix, 'layernorm.bias'), b.shape, [config.hidden_size]);
      norm = new LayerNorm(w, b, config.layer_norm_eps);
    }
    return new InternVisionModel(config, InternVisionEmbeddings.fromWeights(config, weights, join(prefix, 'embeddings')), layers, norm);
  }

  /** hidden_states[0] = embeddings; hidden_states[i] = output of layer i; last = final norm (if any) of hidden_states[L]. */
  forward(pixelValues: NDArray, opts: InternVisionForwardOptions = {}): InternVisionOutput {
    let h = this.embeddings.forward(pixelValues);
    const hidden = [h];
    const probs: NDArray[] = [];
    for (const layer of this.layers) {
      const r = layer.forward(h, { returnProbs: true });
      h = r.output;
      hidden.push(h);
      probs.push(r.probs);
    }
    const out: InternVisionOutput = { lastHiddenState: this.layernorm ? this.layernorm.forward(h) : h };
    if (opts.outputHiddenStates) out.hiddenStates = hidden;
    if (opts.outputAttentions) out.attentions = probs;
    return out;
  }

  /** HF `vision_feature_layer`: -1 → lastHiddenState; else hidden_states[layer], negative from the end. */
  featureLayer(pixelValues: NDArray, layer = -1): NDArray {
    const L = this.layers.length;
    if (!Number.isInteger(layer) || layer < -(L + 1) || layer > L) {
      throw new Error(`InternVisionModel: 'layer' must be an integer in [${-(L + 1)}, ${L}], got ${layer}`);
    }
    if (layer === -1) return this.forward(pixelValues).lastHiddenState;
    const hidden = this.forward(pixelValues, { outputHiddenStates: true }).hiddenStates as NDArray[];
    return hidden[layer < 0 ? L + 1 + layer : layer];
  }
}
