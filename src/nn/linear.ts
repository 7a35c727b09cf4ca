/**
 * `Linear`: the affine layer every model part is built from (spec section 2, `linear`).
 *
 * Weights are stored in checkpoints `[out, in]` (PyTorch). The fast path transposes once at load
 * and keeps `Wᵀ [in, out]`, so each call is one untransposed 2-D `matMul` (DESIGN.md, Backends:
 * the only product tfjs-wasm runs fast).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import { expectShape } from '../io/load.js';
import type { WeightSource } from '../io/weights.js';
import { dense } from '../ops/matmul.js';
import { fmtShape } from '../util/check.js';

/** Whether a layer has a bias: `true` requires `<prefix>.bias`, `'optional'` uses it when present. */
export type BiasMode = boolean | 'optional';

/** Something that owns tensors and must be disposed. */
export interface Disposable {
  /** Release the tensors this object owns; it must not be used afterwards. */
  dispose(): void;
}

/**
 * `y = x·Wᵀ + b` with `W [out, in]` from the checkpoint (`<prefix>.weight`, `<prefix>.bias`).
 *
 * Shapes: `x [..., in]` → `[..., out]`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { Linear, memoryWeights } from 'intern-s1-ts';
 * const w = memoryWeights({ 'fc.weight': { dtype: 'F32', shape: [2, 3], data: [1, 0, 0, 0, 1, 0] } });
 * const fc = Linear.fromWeights(w, 'fc', { bias: false });
 * fc.forward(tf.tensor2d([[1, 2, 3]])).print(); // => [[1, 2]]
 * fc.dispose();
 * ```
 */
export class Linear implements Disposable {
  /** `Wᵀ [in, out]`, transposed once at load. */
  readonly weightT: tf.Tensor2D;
  /** `b [out]` or null. */
  readonly bias: tf.Tensor1D | null;

  constructor(weightT: tf.Tensor2D, bias: tf.Tensor1D | null) {
    if (weightT.rank !== 2) throw new ShapeError(`Linear: weightT must be 2-D, got ${fmtShape(weightT.shape)}`);
    if (bias && (bias.rank !== 1 || bias.shape[0] !== weightT.shape[1])) {
      throw new ShapeError(`Linear: bias has shape ${fmtShape(bias.shape)} but the layer has ${weightT.shape[1]} outputs`);
    }
    this.weightT = weightT;
    this.bias = bias;
  }

  /** Input width. */
  get inFeatures(): number {
    return this.weightT.shape[0];
  }

  /** Output width. */
  get outFeatures(): number {
    return this.weightT.shape[1];
  }

  /**
   * Load `<prefix>.weight [out, in]` (and `<prefix>.bias [out]`) from a checkpoint.
   * @param opts - `bias`: whether the layer has one (default `'optional'`: used when present);
   *   `expect`: an `[out, in]` shape to check (a mismatch is a ShapeError naming the tensor).
   */
  static fromWeights(weights: WeightSource, prefix: string, opts: { bias?: BiasMode; expect?: [number, number] } = {}): Linear {
    const wName = `${prefix}.weight`;
    const info = weights.info(wName);
    if (info.shape.length !== 2) throw new ShapeError(`Linear: '${wName}' must be 2-D [out, in], got ${fmtShape(info.shape)}`);
    if (opts.expect) expectShape('Linear', weights, wName, opts.expect);
    const mode = opts.bias ?? 'optional';
    const bName = `${prefix}.bias`;
    const useBias = mode === true || (mode === 'optional' && weights.has(bName));
    const weightT = weights.tensor(wName, { transpose: true }) as tf.Tensor2D;
    try {
      return new Linear(weightT, useBias ? (weights.tensor(bName) as tf.Tensor1D) : null);
    } catch (e) {
      weightT.dispose();
      throw e;
    }
  }

  /** `y = x·Wᵀ + b`; `x [..., in]` → `[..., out]`. */
  forward(x: tf.Tensor): tf.Tensor {
    return dense(x, this.weightT, this.bias ?? undefined);
  }

  /** Release the weight tensors. */
  dispose(): void {
    this.weightT.dispose();
    this.bias?.dispose();
  }
}
