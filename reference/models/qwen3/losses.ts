/**
 * Reference MoE auxiliary losses (spec 4.4), float64, token by token.
 *
 * Legend: L layers, N tokens per layer, E experts, K chosen per token.
 *
 * @module
 */
import type { NDArray } from '../../ndarray.js';
import { logsumexp } from '../../ops/logsumexp.js';
import { softmax } from '../../ops/softmax.js';
import { topk } from '../../ops/topk.js';
import { concat } from '../../ops/shape.js';

/** Router logits of every layer: a list of `[N, E]`, or one `[L·N, E]`. */
export type LayerLogits = NDArray | readonly NDArray[];

function asList(logits: LayerLogits): NDArray[] {
  return Array.isArray(logits) ? [...logits] : [logits as NDArray];
}

/**
 * The transformers load-balancing loss `load_balancing_loss_func` (spec 4.4), without the factor
 * `router_aux_loss_coef`. Over the $R = L \cdot N$ rows of all layers, with $p_r = \operatorname{softmax}(z_r)$,
 * $S_r$ its plain top-K (never grouped, even for Pro) and $m_r$ the attention mask of row $r$'s
 * token (all 1 without a mask):
 *
 * $$
 * f_{k,e} = \frac{\sum_r m_r\, [S_{r,k} = e]}{\sum_r m_r}, \qquad
 * P_e = \frac{\sum_r m_r\, p_{r,e}}{\sum_r m_r}, \qquad
 * \mathrm{aux} = E \sum_{k=1}^{K} \sum_{e=1}^{E} f_{k,e}\, P_e .
 * $$
 *
 * ASCII: `aux = E · Σ_k Σ_e f[k,e] · P[e]`.
 */
export function hfLoadBalancingLoss(logits: LayerLogits, topK: number, attentionMask?: ArrayLike<number> | NDArray): number {
  const list = asList(logits);
  const z = list.length === 1 ? list[0] : concat(list, 0);
  const [R, E] = z.shape;
  const p = softmax(z, -1);
  const chosen = topk(p, topK).indices;
  const maskFlat = attentionMask === undefined ? undefined : 'shape' in attentionMask ? Array.from(attentionMask.data) : Array.from(attentionMask);
  const m = (r: number) => (maskFlat ? (maskFlat[r % maskFlat.length] ? 1 : 0) : 1);
  let count = 0;
  for (let r = 0; r < R; r++) count += m(r);
  const f = Array.from({ length: topK }, () => new Float64Array(E));
  const P = new Float64Array(E);
  for (let r = 0; r < R; r++) {
    for (let k = 0; k < topK; k++) f[k][chosen.get(r, k)] += m(r) / count;
    for (let e = 0; e < E; e++) P[e] += (m(r) * p.get(r, e)) / count;
  }
  let aux = 0;
  for (let k = 0; k < topK; k++) for (let e = 0; e < E; e++) aux += f[k][e] * P[e];
  return E * aux;
}

/**
 * XTuner's balancing loss (spec 4.4), the one the models were trained with. Per layer $l$, with
 * $c_{l,e}$ the number of selections of expert $e$ by the router's own `indices` (grouped when the
 * router is), $n$ the unmasked tokens (at least 1) and $\bar P_{l,e} = \frac{1}{n}\sum_{t} p_{l,t,e}$
 * over them:
 *
 * $$
 * \mathcal{L}_{\mathrm{bal}} = \frac{\alpha}{n_{\mathrm{micro}}} \sum_{l} \frac{E}{n K} \sum_{e=1}^{E} c_{l,e}\, \bar P_{l,e},
 * \qquad \alpha = 0.001 \text{ by default.}
 * $$
 *
 * ASCII: `α / nMicroBatches · Σ_l (E / (n·K)) Σ_e count_{l,e} · P̄_{l,e}`.
 */
export function xtunerBalancingLoss(
  logits: readonly NDArray[], indices: readonly NDArray[],
  opts: { alpha?: number; mask?: ArrayLike<number>; nMicroBatches?: number } = {},
): number {
  const alpha = opts.alpha ?? 0.001;
  let total = 0;
  logits.forEach((z, l) => {
    const [N, E] = z.shape;
    const K = indices[l].shape[1];
    const p = softmax(z, -1);
    const count = new Float64Array(E);
    const sumP = new Float64Array(E);
    let n = 0;
    for (let t = 0; t < N; t++) {
      if (opts.mask && !opts.mask[t]) continue;
      n++;
      for (let k = 0; k < K; k++) count[indices[l].get(t, k)]++;
      for (let e = 0; e < E; e++) sumP[e] += p.get(t, e);
    }
    n = Math.max(n, 1);
    let layer = 0;
    for (let e = 0; e < E; e++) layer += count[e] * (sumP[e] / n);
    total += (E / (n * K)) * layer;
  });
  return (alpha * total) / (opts.nMicroBatches ?? 1);
}

/**
 * The router z-loss (spec 4.4; optional in XTuner, off for the released configs), which keeps the
 * router logits small:
 *
 * $$
 * \mathcal{L}_z = \alpha \sum_{l} \frac{1}{\max(n, 1)} \sum_{t\ \mathrm{unmasked}} \Big(\log \sum_{e} e^{z_{l,t,e}}\Big)^2 .
 * $$
 *
 * ASCII: `α · Σ_l (Σ_{t unmasked} logsumexp(z_{l,t})²) / max(n, 1)`.
 */
export function routerZLoss(logits: LayerLogits, alpha = 0.001, mask?: ArrayLike<number>): number {
  let total = 0;
  for (const z of asList(logits)) {
    const lse = logsumexp(z, -1);
    let sum = 0;
    let n = 0;
    for (let t = 0; t < z.shape[0]; t++) {
      if (mask && !mask[t]) continue;
      sum += lse.get(t) ** 2;
      n++;
    }
    total += sum / Math.max(n, 1);
  }
  return alpha * total;
}
