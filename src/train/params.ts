/**
 * Trainable parameters of the text model (issue 16): every text weight as a `tf.Variable` under
 * its checkpoint name, and a {@link WeightSource} over them whose `tensor()` is a differentiable
 * view, so the text model built from it (`Qwen3TextModel.fromWeights`, unchanged) carries the
 * gradient back to the checkpoint-named variables: `[out, in]` layout, unfused, exactly the names
 * a Hugging Face checkpoint has.
 *
 * Decision: the model is rebuilt from the parameters at every step, inside the recorded
 * function. The fast path stores weights pre-transposed and fused (`x · Wᵀ` as `x · W'`, gate|up
 * concatenated); building it from views makes those transposes and concatenations part of the
 * graph, so gradients arrive in checkpoint layout without a second, hand-written mapping. The
 * cost is one transpose (copy) of each weight per step, small next to the step's products.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { NDArray } from '../../reference/ndarray.js';
import { CheckpointError, ValueError } from '../errors.js';
import type { TextConfig } from '../io/configs/text.js';
import type { DType } from '../io/dtype.js';
import type { RawTensor, TensorInfo, TensorOptions, WeightSource } from '../io/weights.js';
import { toBytes } from '../io/dtype.js';
import ndarray from 'ndarray';

/** Variable names are engine-global: a counter keeps two parameter sets in one process apart. */
let nextVar = 0;

/** Options of {@link TextParams.fromWeights}. */
export interface TextParamsOptions {
  /** Prefix of the text weights, with its trailing dot (default `model.language_model.`). */
  prefix?: string;
  /**
   * Which text weights train (default: all of them). Weights outside the text model (vision and
   * time-series towers, projectors) are never loaded here: they stay frozen and are copied
   * unchanged when the model is saved.
   */
  trainable?: (name: string) => boolean;
  /**
   * Which text weights become variables at all (default: all). The others are read from the
   * checkpoint as constants when the model is built (a layer's gradient loads only that layer).
   */
  load?: (name: string) => boolean;
}

/** The text weights of a checkpoint as variables, and a differentiable weight source over them. */
export class TextParams {
  private constructor(
    /** The text config. */
    readonly cfg: TextConfig,
    /** The text-weight prefix (with its dot). */
    readonly prefix: string,
    /** Checkpoint name → variable (float32, `[out, in]` as stored). */
    readonly vars: ReadonlyMap<string, tf.Variable>,
    /** Checkpoint name → storage dtype of the original (BF16 stays BF16 when saved). */
    readonly dtypes: ReadonlyMap<string, DType>,
    /** Names that train, sorted. */
    readonly trainable: readonly string[],
    /** The original checkpoint (every name that is not a text weight resolves there). */
    readonly base: WeightSource,
  ) {}

  /**
   * Load every text weight of `weights` (`<prefix>*` and `lm_head.weight`) as a variable.
   * @throws ValueError when the selection trains nothing.
   */
  static fromWeights(cfg: TextConfig, weights: WeightSource, opts: TextParamsOptions = {}): TextParams {
    const prefix = opts.prefix ?? 'model.language_model.';
    const load = opts.load ?? (() => true);
    const names = weights.names().filter((n) => isTextWeight(n, prefix, cfg) && load(n) && !weights.info(n).dtype.startsWith('I') && !n.endsWith('_scale_inv')).sort();
    if (names.length === 0) throw new CheckpointError(`TextParams: ${weights.location} has no text weights under '${prefix}'`);
    const pick = opts.trainable ?? (() => true);
    const trainable = names.filter(pick);
    if (trainable.length === 0) throw new ValueError(`TextParams: the 'trainable' selection keeps none of the ${names.length} text weights`);
    const vars = new Map<string, tf.Variable>();
    const dtypes = new Map<string, DType>();
    for (const n of names) {
      const t = weights.tensor(n);
      vars.set(n, tf.variable(t, trainable.includes(n), `intern-s1-train/${nextVar++}`));
      t.dispose();
      dtypes.set(n, weights.info(n).dtype);
    }
    return new TextParams(cfg, prefix, vars, dtypes, trainable, weights);
  }

  /** The variables that train, in name order. */
  trainableVars(): tf.Variable[] {
    return this.trainable.map((n) => this.vars.get(n)!);
  }

  /** A weight source that resolves text weights to differentiable views of the variables. */
  source(): WeightSource {
    return paramSource(this);
  }

  /** Dispose every variable. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
  }
}

/** Whether `name` belongs to the text model. */
function isTextWeight(name: string, prefix: string, cfg: TextConfig): boolean {
  if (name.startsWith(prefix)) return !name.includes('rotary_emb.') || /\.(cos|sin)_coef$/.test(name);
  return !cfg.tie_word_embeddings && name === 'lm_head.weight';
}

function paramSource(p: TextParams): WeightSource {
  const base = p.base;
  const own = (n: string) => p.vars.get(n);
  const host = (n: string, opts: TensorOptions = {}): Float32Array => {
    const v = own(n)!;
    return tf.tidy(() => (opts.transpose ? tf.transpose(v) : v).dataSync() as Float32Array).slice();
  };
  return {
    location: `${base.location} (trainable parameters)`,
    has: (n) => p.vars.has(n) || base.has(n),
    names: () => base.names(),
    info: (n): TensorInfo => (own(n) ? { shape: own(n)!.shape, dtype: p.dtypes.get(n)! } : base.info(n)),
    // A view, never the variable itself: the model may dispose what it loads.
    tensor: (n, opts = {}) => (own(n) ? (opts.transpose ? tf.transpose(own(n)!) : tf.clone(own(n)!)) : base.tensor(n, opts)),
    float32: (n, opts) => (own(n) ? host(n, opts) : base.float32(n, opts)),
    array: (n): NDArray => (own(n) ? ndarray(Float64Array.from(host(n)), own(n)!.shape.slice()) : base.array(n)),
    raw: (n): RawTensor => {
      const v = own(n);
      if (!v) return base.raw(n);
      const dtype = p.dtypes.get(n)!;
      return { name: n, dtype: dtype.startsWith('F8') ? 'F32' : dtype, shape: v.shape.slice(), bytes: toBytes(dtype.startsWith('F8') ? 'F32' : dtype, host(n)) };
    },
    rows: (n, idx) => {
      if (!own(n)) return base.rows(n, idx);
      const all = host(n);
      const w = all.length / own(n)!.shape[0];
      const out = new Float32Array(idx.length * w);
      for (let i = 0; i < idx.length; i++) out.set(all.subarray(idx[i] * w, (idx[i] + 1) * w), i * w);
      return out;
    },
    close: () => base.close(),
  };
}
