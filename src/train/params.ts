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
 * Storage layout: a linear weight (`*_proj.weight`, the router `mlp.gate.weight`, `lm_head`) is
 * held as the fast path asks for it, `Wᵀ [in, out]`, so a step makes no weight transposes (on
 * wasm a transpose of a 1024 x 6144 weight costs about as much as its product); the gradients and
 * saved tensors are turned back to the checkpoint's `[out, in]` where they leave
 * ({@link TextParams.toCheckpoint}). A request in the other layout (tied embeddings) transposes.
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
    /** Checkpoint name → variable (float32; `[in, out]` for the names in {@link transposed}). */
    readonly vars: ReadonlyMap<string, tf.Variable>,
    /** Names whose variable holds the transpose of the checkpoint tensor. */
    readonly transposed: ReadonlySet<string>,
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
    const transposed = new Set(names.filter((n) => storedTransposed(n, weights.info(n).shape.length)));
    for (const n of names) {
      const t = weights.tensor(n, { transpose: transposed.has(n) });
      vars.set(n, tf.variable(t, trainable.includes(n), `intern-s1-train/${nextVar++}`));
      t.dispose();
      dtypes.set(n, weights.info(n).dtype);
    }
    return new TextParams(cfg, prefix, vars, transposed, dtypes, trainable, weights);
  }

  /** The variables that train, in name order. */
  trainableVars(): tf.Variable[] {
    return this.trainable.map((n) => this.vars.get(n)!);
  }

  /** `t` (shaped like the variable of `name`) in the checkpoint's layout; takes ownership of `t`. */
  toCheckpoint(name: string, t: tf.Tensor): tf.Tensor {
    if (!this.transposed.has(name)) return t;
    const out = tf.transpose(t);
    t.dispose();
    return out;
  }

  /** The current value of `name` in the checkpoint's layout, row-major. */
  checkpointData(name: string): Float32Array {
    const v = this.vars.get(name)!;
    return tf.tidy(() => (this.transposed.has(name) ? tf.transpose(v) : v).dataSync() as Float32Array).slice();
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

/** Whether a weight is kept as `Wᵀ` (the linear weights the fast path reads transposed). */
function storedTransposed(name: string, rank: number): boolean {
  return rank === 2 && (/_proj\.weight$/.test(name) || /\.mlp\.gate\.weight$/.test(name) || name === 'lm_head.weight');
}

/** Whether `name` belongs to the text model. */
function isTextWeight(name: string, prefix: string, cfg: TextConfig): boolean {
  if (name.startsWith(prefix)) return !name.includes('rotary_emb.') || /\.(cos|sin)_coef$/.test(name);
  return !cfg.tie_word_embeddings && name === 'lm_head.weight';
}

function paramSource(p: TextParams): WeightSource {
  const base = p.base;
  const own = (n: string) => p.vars.get(n);
  const shapeOf = (n: string) => (p.transposed.has(n) ? own(n)!.shape.slice().reverse() : own(n)!.shape.slice());
  const host = (n: string, opts: TensorOptions = {}): Float32Array => {
    const v = own(n)!;
    const flip = (opts.transpose === true) !== p.transposed.has(n);
    return tf.tidy(() => (flip ? tf.transpose(v) : v).dataSync() as Float32Array).slice();
  };
  // A view, never the variable itself (the model may dispose what it loads): a clone when the
  // requested layout is the stored one (no copy), else a transpose.
  const view = (n: string, opts: TensorOptions = {}) => ((opts.transpose === true) === p.transposed.has(n) ? tf.clone(own(n)!) : tf.transpose(own(n)!));
  return {
    location: `${base.location} (trainable parameters)`,
    has: (n) => p.vars.has(n) || base.has(n),
    names: () => base.names(),
    info: (n): TensorInfo => (own(n) ? { shape: shapeOf(n), dtype: p.dtypes.get(n)! } : base.info(n)),
    tensor: (n, opts = {}) => (own(n) ? view(n, opts) : base.tensor(n, opts)),
    float32: (n, opts) => (own(n) ? host(n, opts) : base.float32(n, opts)),
    array: (n): NDArray => (own(n) ? ndarray(Float64Array.from(host(n)), shapeOf(n)) : base.array(n)),
    raw: (n): RawTensor => {
      if (!own(n)) return base.raw(n);
      const dtype = p.dtypes.get(n)!;
      const d: DType = dtype.startsWith('F8') ? 'F32' : dtype;
      return { name: n, dtype: d, shape: shapeOf(n), bytes: toBytes(d, host(n)) };
    },
    rows: (n, idx) => {
      if (!own(n)) return base.rows(n, idx);
      const all = host(n);
      const w = all.length / shapeOf(n)[0];
      const out = new Float32Array(idx.length * w);
      for (let i = 0; i < idx.length; i++) out.set(all.subarray(idx[i] * w, (idx[i] + 1) * w), i * w);
      return out;
    },
    close: () => base.close(),
  };
}
