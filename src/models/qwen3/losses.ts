/**
 * MoE auxiliary losses (spec 4.4; training only): the load-balancing loss in both published
 * forms, and the router z-loss. All are differentiable in the router logits (through the mean
 * probabilities; the counts and one-hot choices are constants).
 *
 * - HF `load_balancing_loss_func` (transformers Qwen3-MoE, Intern-S1-Pro remote code): the logits
 *   of all layers are concatenated to `[L·N, E]`, `p = softmax`, a **plain** top-k (not grouped,
 *   even for Pro) gives one-hot `M [L·N, K, E]`, `f[k, e] = mean_t M`, `P[e] = mean_t p`,
 *   `aux = E · Σ_{k,e} f[k,e] · P[e]` (masked means with an attention mask).
 * - XTuner `BalancingLossContext`: per layer `loss_l = (E / n_sel) · Σ_e count_{l,e} · P̄_{l,e}`
 *   with the router's **own** selections (grouped when the router is), `n_sel = tokens · K`,
 *   `P̄` the mean probability; total `α · Σ_l loss_l / n_microbatches`.
 * - z-loss (XTuner, off by default for Qwen3): `α_z · Σ_l mean_t logsumexp(z_t)²`.
 *
 * Legend: L layers, N tokens per layer (B·T), E experts, K chosen per token.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../../errors.js';
import { logsumexp } from '../../ops/logsumexp.js';
import { oneHot } from '../../ops/gather.js';
import { softmax } from '../../ops/softmax.js';
import { topk } from '../../ops/topk.js';
import { checkFloat, checkInt, fmtShape } from '../../util/check.js';

/** Router logits of every layer: a list of `[N, E]`, or one `[L·N, E]` (HF's concatenation). */
export type LayerLogits = tf.Tensor | readonly tf.Tensor[];

function checkList(op: string, logits: LayerLogits): tf.Tensor[] {
  const list = Array.isArray(logits) ? [...logits] : [logits as tf.Tensor];
  if (list.length === 0) throw new ValueError(`${op}: no router logits given`);
  list.forEach((z, l) => {
    checkFloat(op, `logits[${l}]`, z);
    if (z.rank !== 2 || z.shape[1] !== list[0].shape[1]) {
      throw new ShapeError(`${op}: 'logits[${l}]' must be [N, E] with E = ${list[0].shape[1]}, got ${fmtShape(z.shape)}`);
    }
  });
  return list;
}

/** A `[rows]` float32 mask (0/1) from a `[B, T]` tensor or a flat array, repeated for each layer. */
function layerMask(op: string, mask: tf.Tensor | ArrayLike<number>, rows: number): tf.Tensor {
  const m = mask instanceof tf.Tensor ? mask.dataSync() : mask;
  if (m.length === 0 || rows % m.length !== 0) {
    throw new ShapeError(`${op}: 'mask' has ${m.length} entries, which does not divide the ${rows} router rows (L·B·T)`);
  }
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) out[i] = m[i % m.length] ? 1 : 0;
  return tf.tensor1d(out);
}

/**
 * The HF load-balancing loss (spec 4.4, `load_balancing_loss_func`), **without** the
 * `router_aux_loss_coef` factor: `aux = E · Σ_{k,e} f[k,e]·P[e]`.
 *
 * $\mathrm{aux} = E \sum_{k,e} f_{k,e} P_e$. Reference twin: {@link reference!hfLoadBalancingLoss | hfLoadBalancingLoss}.
 *
 * @param logits - router logits per layer `[N, E]` (or concatenated `[L·N, E]`).
 * @param topK - K for the plain top-k (HF ignores grouping).
 * @param attentionMask - optional `[B, T]` (1 = real token); rows are ordered layer, batch, token
 *   as HF concatenates them, so N must equal B·T.
 * @returns a scalar.
 * @throws ShapeError / ValueError for mismatched shapes or K out of range.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { hfLoadBalancingLoss } from 'intern-s1-ts';
 * hfLoadBalancingLoss([tf.zeros([4, 8])], 2).print(); // ~> 2.0000  -- uniform router: E·Σ f·P
 * ```
 */
export function hfLoadBalancingLoss(logits: LayerLogits, topK: number, attentionMask?: tf.Tensor | ArrayLike<number>): tf.Tensor {
  const list = checkList('hfLoadBalancingLoss', logits);
  const E = list[0].shape[1] as number;
  if (!Number.isInteger(topK) || topK < 1 || topK > E) throw new ValueError(`hfLoadBalancingLoss: 'topK' must be an integer in [1, ${E}], got ${topK}`);
  return tf.tidy(() => {
    const z = list.length === 1 ? list[0] : tf.concat(list, 0); // [L·N, E]
    const rows = z.shape[0];
    const p = softmax(z); // [L·N, E]
    // The choice is a constant of the loss: rank a copy that the gradient tape does not see
    // (tfjs has no TopK gradient, and none is wanted).
    const M = oneHot(topk(tf.tensor(p.dataSync(), p.shape), topK).indices, E); // [L·N, K, E]
    const w = attentionMask === undefined ? tf.ones([rows]) : layerMask('hfLoadBalancingLoss', attentionMask, rows); // [L·N]
    const count = tf.sum(w); // []
    const f = tf.div(tf.sum(tf.mul(M, tf.reshape(w, [rows, 1, 1])), 0), count); // [K, E]
    const P = tf.div(tf.sum(tf.mul(p, tf.reshape(w, [rows, 1])), 0), count); // [E]
    return tf.mul(tf.sum(tf.mul(f, P)), E); // []
  });
}

/**
 * XTuner's balancing loss (spec 4.4): `α · Σ_l (E / (n·K)) · Σ_e count_{l,e} · P̄_{l,e} / nMicroBatches`,
 * where `count` counts the router's own choices (`indices`, grouped when the router is grouped),
 * n the (unmasked) tokens and `P̄` the mean softmax probability over them.
 *
 * $\mathcal{L} = \frac{\alpha}{n_{\mathrm{micro}}} \sum_l \frac{E}{nK} \sum_e c_{l,e} \bar P_{l,e}$.
 * Reference twin: {@link reference!xtunerBalancingLoss | xtunerBalancingLoss}.
 *
 * @param logits - router logits per layer, each `[N, E]`.
 * @param indices - the chosen experts per layer, each int32 `[N, K]`.
 * @param opts - `alpha` (default 0.001, `balancing_loss_alpha`), `mask` `[N]` (1 = real token),
 *   `nMicroBatches` (default 1).
 * @returns a scalar.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { xtunerBalancingLoss } from 'intern-s1-ts';
 * const idx = tf.tensor2d([[0], [1]], [2, 1], 'int32');
 * xtunerBalancingLoss([tf.zeros([2, 2])], [idx], { alpha: 1 }).print(); // => 1  -- balanced
 * ```
 */
export function xtunerBalancingLoss(
  logits: readonly tf.Tensor[], indices: readonly tf.Tensor[],
  opts: { alpha?: number; mask?: ArrayLike<number>; nMicroBatches?: number } = {},
): tf.Tensor {
  const op = 'xtunerBalancingLoss';
  const list = checkList(op, logits);
  if (indices.length !== list.length) throw new ShapeError(`${op}: ${indices.length} index tensors for ${list.length} layers of logits`);
  const E = list[0].shape[1] as number;
  const alpha = opts.alpha ?? 0.001;
  const nMicro = opts.nMicroBatches ?? 1;
  const counts = list.map((z, l) => {
    const ix = indices[l];
    checkInt(op, `indices[${l}]`, ix);
    if (ix.rank !== 2 || ix.shape[0] !== z.shape[0]) throw new ShapeError(`${op}: 'indices[${l}]' must be [N, K] with N = ${z.shape[0]}, got ${fmtShape(ix.shape)}`);
    if (opts.mask && opts.mask.length !== z.shape[0]) throw new ShapeError(`${op}: 'mask' has length ${opts.mask.length} but layer ${l} has ${z.shape[0]} tokens`);
    const K = ix.shape[1] as number;
    const c = new Float32Array(E);
    const v = ix.dataSync();
    let n = 0;
    for (let t = 0; t < z.shape[0]; t++) {
      if (opts.mask && !opts.mask[t]) continue;
      n++;
      for (let k = 0; k < K; k++) {
        if (!(v[t * K + k] >= 0 && v[t * K + k] < E)) throw new ValueError(`${op}: 'indices[${l}]' holds ${v[t * K + k]}, outside [0, ${E})`);
        c[v[t * K + k]]++;
      }
    }
    return { c, n: Math.max(n, 1), K };
  });
  return tf.tidy(() => {
    const terms = list.map((z, l) => {
      const { c, n, K } = counts[l];
      const w = opts.mask ? tf.tensor2d(Float32Array.from(opts.mask, (m) => (m ? 1 : 0)), [z.shape[0], 1]) : tf.ones([z.shape[0], 1]); // [N, 1]
      const meanP = tf.div(tf.sum(tf.mul(softmax(z), w), 0), n); // [E]
      return tf.mul(tf.sum(tf.mul(tf.tensor1d(c), meanP)), E / (n * K)); // []
    });
    return tf.mul(tf.addN(terms), alpha / nMicro); // []
  });
}

/**
 * Router z-loss (spec 4.4): `α_z · Σ_l mean_t logsumexp(z_{l,t})²`.
 *
 * $\mathcal{L}_z = \alpha \sum_l \operatorname{mean}_t \big(\log\sum_e e^{z_{l,t,e}}\big)^2$.
 * Reference twin: {@link reference!routerZLoss | routerZLoss}.
 *
 * @param logits - router logits per layer `[N, E]` (or one tensor for one layer).
 * @param alpha - α_z (default 0.001).
 * @param mask - optional `[N]` (1 = real token); the mean runs over real tokens.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { routerZLoss } from 'intern-s1-ts';
 * routerZLoss(tf.zeros([3, 4]), 1).print(); // ~> 1.9218  -- log(4)²
 * ```
 */
export function routerZLoss(logits: LayerLogits, alpha = 0.001, mask?: ArrayLike<number>): tf.Tensor {
  const list = checkList('routerZLoss', logits);
  for (const z of list) {
    if (mask && mask.length !== z.shape[0]) throw new ShapeError(`routerZLoss: 'mask' has length ${mask.length} but a layer has ${z.shape[0]} tokens`);
  }
  return tf.tidy(() => {
    const terms = list.map((z) => {
      const w = mask ? tf.tensor1d(Float32Array.from(mask, (m) => (m ? 1 : 0))) : tf.ones([z.shape[0]]); // [N]
      const lse = logsumexp(z, -1); // [N]
      return tf.div(tf.sum(tf.mul(tf.square(lse), w)), tf.maximum(tf.sum(w), 1)); // []
    });
    return tf.mul(tf.addN(terms), alpha); // []
  });
}
