/**
 * MoE routing (spec 3.4, 4.1-4.3): the router's expert choice (plain top-k, or Intern-S1-Pro's
 * grouped top-(k/G)), the routing weights with either the plain sparse gradient or the STE
 * ("dense gradient") surrogate, and per-expert / per-group load statistics.
 *
 * ```
 * p      = softmax_fp32(logits)                                  [N, E]
 * S_t    = topk(p_t, k)                                          plain (Intern-S1)
 * S_t    = ∪_g { g·E/G + topk(p_t[g·E/G : (g+1)·E/G], k/G) }      grouped, G = router_n_groups (Pro)
 * w_t,e  = p_t,e / (Σ_{s∈S_t} p_t,s (+1e-20 grouped))   if norm_topk_prob, else p_t,e
 * ```
 *
 * **STE routing** (spec 4.3, 12.2; the public code has none, so this project defines it):
 * - forward: the sparse renormalised weights `w` above, unchanged;
 * - backward: the gradient of each selected gate is passed straight through to the full softmax,
 *   i.e. the Jacobian of `w_{t,e}` is replaced by that of `p_{t,e}` (the surrogate
 *   `g = stopgrad(w) + p_S − stopgrad(p_S)`):
 *   `∂L/∂z_{t,j} = p_{t,j} · ( ḡ_{t,j}·[j ∈ S_t] − Σ_{e∈S_t} ḡ_{t,e} p_{t,e} )`, with `ḡ = ∂L/∂w`.
 *   Every router logit j, selected or not, receives `−p_{t,j} Σ_e ḡ_{t,e} p_{t,e}` through the
 *   softmax Jacobian.
 * - The plain **sparse** gradient is the true gradient of the forward: with `norm_topk_prob` the
 *   softmax denominator cancels (`w_{t,e} = exp z_e / Σ_{s∈S_t} exp z_s`), so
 *   `∂L/∂z_{t,j} = w_{t,j} (ḡ_{t,j} − Σ_e ḡ_{t,e} w_{t,e})` for j ∈ S_t and exactly 0 for every
 *   unselected logit. Without `norm_topk_prob`, `w = p_S` and the two gradients coincide.
 * The expert choice itself is piecewise constant and has no gradient in either mode.
 *
 * Legend: N tokens (B·T), E experts, K experts per token, G groups.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError, ValueError } from '../../errors.js';
import { segmentSum } from '../../ops/gather.js';
import { softmax } from '../../ops/softmax.js';
import { topk } from '../../ops/topk.js';
import { checkFloat, checkInt, checkRank, fmtShape } from '../../util/check.js';

/** Which gradient the routing weights pass to the router logits. */
export type RouterGradient = 'sparse' | 'ste';

/** The router's numbers, validated. */
export interface RoutingConfig {
  /** E, `num_experts`. */
  readonly numExperts: number;
  /** K, `num_experts_per_tok`. */
  readonly topK: number;
  /** G, `router_n_groups` (1 = plain top-k). */
  readonly nGroups: number;
  /** `norm_topk_prob`. */
  readonly normTopkProb: boolean;
}

/** The MoE config keys the router reads (a structural subset of the text configs). */
export interface MoeRouterKeys {
  /** E, the number of routed experts. */
  readonly num_experts: number;
  /** K, experts chosen per token. */
  readonly num_experts_per_tok: number;
  /** Whether the K chosen softmax probabilities are renormalised to sum to 1. */
  readonly norm_topk_prob: boolean;
  /** G, expert groups of grouped routing (Pro); absent or null means 1 (plain top-k). */
  readonly router_n_groups?: number | null;
}

/** The router's outputs for study: all `[N, ·]` with N = B·T tokens. */
export interface RouterOutput {
  /** `[N, E]` float32 router logits. */
  logits: tf.Tensor;
  /** `[N, K]` int32 chosen experts (global ids; grouped routing lists them group by group). */
  indices: tf.Tensor;
  /** `[N, K]` float32 routing weights (renormalised when `norm_topk_prob`). */
  weights: tf.Tensor;
}

/**
 * Validate and normalise a config's router numbers.
 *
 * @throws ConfigError when K < 1, K > E, or G (when > 1) does not divide both E and K.
 * @example
 * ```ts
 * import { routingConfig } from 'intern-s1-ts';
 * const rc = routingConfig({ num_experts: 512, num_experts_per_tok: 8, norm_topk_prob: true, router_n_groups: 8 });
 * console.log(rc.nGroups); // => 8
 * ```
 */
export function routingConfig(cfg: MoeRouterKeys): RoutingConfig {
  const E = cfg.num_experts;
  const K = cfg.num_experts_per_tok;
  const G = cfg.router_n_groups ?? 1;
  if (!Number.isInteger(E) || E < 1) throw new ConfigError(`routing: num_experts must be a positive integer, got ${E}`);
  if (!Number.isInteger(K) || K < 1 || K > E) throw new ConfigError(`routing: num_experts_per_tok (${K}) must be an integer in [1, num_experts = ${E}]`);
  if (!Number.isInteger(G) || G < 1) throw new ConfigError(`routing: router_n_groups must be a positive integer, got ${G}`);
  if (E % G !== 0) throw new ConfigError(`routing: num_experts (${E}) is not divisible by router_n_groups (${G})`);
  if (K % G !== 0) throw new ConfigError(`routing: num_experts_per_tok (${K}) is not divisible by router_n_groups (${G})`);
  return Object.freeze({ numExperts: E, topK: K, nGroups: G, normTopkProb: cfg.norm_topk_prob === true });
}

function checkLogits(op: string, logits: tf.Tensor, rc: RoutingConfig): void {
  checkFloat(op, 'logits', logits);
  checkRank(op, 'logits', logits, 2);
  if (logits.shape[1] !== rc.numExperts) {
    throw new ShapeError(`${op}: 'logits' must be [N, E] with E = ${rc.numExperts}, got ${fmtShape(logits.shape)}`);
  }
}

/**
 * The chosen experts from the router probabilities (spec 4.1 / 4.2): the k largest entries of each
 * row (plain), or the k/G largest inside each group of E/G consecutive experts, shifted to global
 * ids and listed group by group (grouped). Ties go to the lower index.
 *
 * Grouped: $S_t = \bigcup_g \lbrace g\,E/G + i : i \in \operatorname{top}_{K/G}(p_{t,\text{group } g}) \rbrace$.
 * Reference twin: {@link reference!selectExperts | selectExperts}.
 *
 * Shapes: `probs [N, E]` → int32 `[N, K]`.
 * @throws ShapeError for a wrong shape.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { routingConfig, selectExperts } from 'intern-s1-ts';
 * const rc = routingConfig({ num_experts: 4, num_experts_per_tok: 2, norm_topk_prob: true, router_n_groups: 2 });
 * selectExperts(tf.tensor2d([[0.1, 0.2, 0.6, 0.1]]), rc).print(); // => [[1, 2]]  -- one per group
 * ```
 */
export function selectExperts(probs: tf.Tensor, rc: RoutingConfig): tf.Tensor {
  checkLogits('selectExperts', probs, rc);
  const [N, E] = probs.shape;
  const { topK: K, nGroups: G } = rc;
  return tf.tidy(() => {
    if (G === 1) return topk(probs, K).indices; // [N, K]
    const local = topk(tf.reshape(probs, [N, G, E / G]), K / G).indices; // [N, G, K/G]
    const offset = tf.reshape(tf.range(0, E, E / G, 'int32'), [1, G, 1]); // [1, G, 1]
    return tf.reshape(tf.add(local, offset), [N, K]); // [N, K], global ids
  });
}

/** Flat positions `t·E + S[t, k]` of the chosen experts in `[N·E]`, from read-back indices. */
function flatIndex(idx: Int32Array, N: number, E: number, K: number): Int32Array {
  const flat = new Int32Array(N * K);
  for (let t = 0; t < N; t++) for (let k = 0; k < K; k++) flat[t * K + k] = t * E + idx[t * K + k];
  return flat;
}

/** Validate indices `[N, K]` in [0, E) and read them back. */
function readIndices(op: string, indices: tf.Tensor, N: number, rc: RoutingConfig): Int32Array {
  checkInt(op, 'indices', indices);
  if (indices.rank !== 2 || indices.shape[0] !== N || indices.shape[1] !== rc.topK) {
    throw new ShapeError(`${op}: 'indices' must be [N, K] = [${N}, ${rc.topK}], got ${fmtShape(indices.shape)}`);
  }
  const idx = indices.dataSync() as Int32Array;
  for (let i = 0; i < idx.length; i++) {
    if (idx[i] < 0 || idx[i] >= rc.numExperts) throw new ValueError(`${op}: 'indices' holds ${idx[i]} at flat position ${i}, outside [0, ${rc.numExperts})`);
  }
  return idx;
}

/** `w = p_S / (Σ p_S + eps)` or `p_S` (no renormalisation). */
function renormalise(pS: tf.Tensor, rc: RoutingConfig): tf.Tensor {
  if (!rc.normTopkProb) return pS;
  const sum = tf.sum(pS, 1, true); // [N, 1]
  return tf.div(pS, rc.nGroups > 1 ? tf.add(sum, 1e-20) : sum); // [N, K]
}

/**
 * The routing weights with a hand-written backward for either mode. The flat indices are kept as
 * host data, not a tensor: the gradient may run after the caller's tidy has ended.
 *
 * - STE, and both modes without renormalisation (where `w = p_S` and STE is the true gradient):
 *   `dz = p ⊙ (scatter(ḡ) − Σ_k ḡ_k p_{S_k})`.
 * - sparse with renormalisation: `dz_{S_k} = w_k (ḡ_k − Σ_m ḡ_m w_m)`, 0 for unselected logits,
 *   exactly (autodiff through the full softmax leaves ~1e-9 of rounding there). With the grouped
 *   router's +1e-20 this drops terms of relative size 1e-20/Σp_S ≤ 1e-20·E, far below float32.
 */
function routedWeights(logits: tf.Tensor, flat: Int32Array, rc: RoutingConfig, mode: RouterGradient): tf.Tensor {
  const [N, E] = logits.shape as [number, number];
  const K = rc.topK;
  const ids = () => tf.tensor1d(flat, 'int32'); // [N·K]
  const scatter = (v: tf.Tensor) => tf.reshape(segmentSum(tf.reshape(v, [N * K]), ids(), N * E), [N, E]); // [N, E]
  const f = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const p = softmax(z); // [N, E]
    const pS = tf.reshape(tf.gather(tf.reshape(p, [N * E]), ids()), [N, K]); // [N, K]
    const w = renormalise(pS, rc); // [N, K]
    save([p, pS, w]);
    return {
      value: w,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [p0, pS0, w0] = saved;
        if (mode === 'sparse' && rc.normTopkProb) {
          return scatter(tf.mul(w0, tf.sub(dy, tf.sum(tf.mul(dy, w0), 1, true)))); // [N, E], zero off S
        }
        return tf.mul(p0, tf.sub(scatter(dy), tf.sum(tf.mul(dy, pS0), 1, true))); // [N, E]
      },
    };
  }) as never) as unknown as (z: tf.Tensor) => tf.Tensor;
  return f(logits);
}

/**
 * The routing weights of chosen experts, differentiable in `logits` with the chosen gradient.
 *
 * $w_{t,k} = p_{t,S_{t,k}} / \big(\sum_j p_{t,S_{t,j}} + \varepsilon\big)$, $p = \operatorname{softmax}(z)$.
 * Reference twin, with both gradients written out: {@link reference!routingWeights | routingWeights}.
 *
 * Forward (both modes): `w_{t,k} = p_{t,S_tk}` renormalised when `norm_topk_prob` (grouped: +1e-20).
 * Backward: `'sparse'` is the true gradient of that function; `'ste'` passes each gate's gradient
 * to the full softmax (module comment). The indices are constants.
 *
 * Shapes: `logits [N, E]`, `indices [N, K]` int32 → `[N, K]`.
 * @throws ShapeError / DTypeError for bad shapes or dtypes; ValueError for indices outside [0, E)
 *   or an unknown gradient mode.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { routingConfig, routingWeights } from 'intern-s1-ts';
 * const rc = routingConfig({ num_experts: 3, num_experts_per_tok: 2, norm_topk_prob: true });
 * const w = routingWeights(tf.tensor2d([[0, 1, 2]]), tf.tensor2d([[2, 1]], [1, 2], 'int32'), rc);
 * w.print(); // ~> [[0.731, 0.269]]
 * ```
 */
export function routingWeights(logits: tf.Tensor, indices: tf.Tensor, rc: RoutingConfig, gradient: RouterGradient = 'sparse'): tf.Tensor {
  checkLogits('routingWeights', logits, rc);
  if (gradient !== 'sparse' && gradient !== 'ste') throw new ValueError(`routingWeights: 'gradient' must be 'sparse' or 'ste', got '${String(gradient)}'`);
  const [N, E] = logits.shape;
  const idx = readIndices('routingWeights', indices, N, rc);
  return tf.tidy(() => {
    return routedWeights(logits, flatIndex(idx, N, E, rc.topK), rc, gradient); // [N, K]
  });
}

/**
 * `∂L/∂logits` for `L = Σ routingWeights(logits, indices) ⊙ dWeights` (a vector-Jacobian product
 * through the chosen gradient mode; the reference twin writes both formulas out).
 *
 * Sparse: $\partial L/\partial p_{S_m} = (\bar g_m - \sum_k \bar g_k w_k)/\mathrm{den}$; STE:
 * $\partial L/\partial p_{S_k} = \bar g_k$; both then
 * $\partial L/\partial z_j = \sum_m \partial L/\partial p_m\, p_m(\delta_{mj} - p_j)$.
 * Reference twin: {@link reference!routingWeightsGrad | routingWeightsGrad}.
 *
 * Shapes: `logits [N, E]`, `indices [N, K]`, `dWeights [N, K]` → `[N, E]`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { routingConfig, routingWeightsGrad } from 'intern-s1-ts';
 * const rc = routingConfig({ num_experts: 3, num_experts_per_tok: 1, norm_topk_prob: true });
 * const z = tf.tensor2d([[0, 1, 2]]);
 * const i = tf.tensor2d([[2]], [1, 1], 'int32');
 * routingWeightsGrad(z, i, tf.ones([1, 1]), rc, 'sparse').print(); // => [[0, 0, 0]]  -- w ≡ 1
 * routingWeightsGrad(z, i, tf.ones([1, 1]), rc, 'ste').print();    // every logit gets gradient
 * ```
 */
export function routingWeightsGrad(
  logits: tf.Tensor, indices: tf.Tensor, dWeights: tf.Tensor, rc: RoutingConfig, gradient: RouterGradient = 'sparse',
): tf.Tensor {
  checkLogits('routingWeightsGrad', logits, rc);
  checkFloat('routingWeightsGrad', 'dWeights', dWeights);
  if (dWeights.rank !== 2 || dWeights.shape[0] !== logits.shape[0] || dWeights.shape[1] !== rc.topK) {
    throw new ShapeError(`routingWeightsGrad: 'dWeights' must be [N, K] = [${logits.shape[0]}, ${rc.topK}], got ${fmtShape(dWeights.shape)}`);
  }
  return tf.tidy(() => tf.grad((z: tf.Tensor) => routingWeights(z, indices, rc, gradient))(logits, dWeights));
}

/** Routing of N tokens: probabilities, choices and weights (and the choices read back). */
export interface Routing {
  /** `[N, E]` float32 softmax of the logits. */
  probs: tf.Tensor;
  /** `[N, K]` int32. */
  indices: tf.Tensor;
  /** `[N, K]` float32, differentiable in the logits per `gradient`. */
  weights: tf.Tensor;
}

/**
 * The whole router after the gate projection (spec 3.4, 4.1, 4.2): softmax in float32 over all E
 * experts, the expert choice ({@link selectExperts}), and the weights ({@link routingWeights}).
 *
 * Reference twin: {@link reference!routeTokens | routeTokens}.
 *
 * Shapes: `logits [N, E]` → `probs [N, E]`, `indices [N, K]` int32, `weights [N, K]`.
 * Reads the chosen indices back once (the experts are grouped on the host).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { routeTokens, routingConfig } from 'intern-s1-ts';
 * const rc = routingConfig({ num_experts: 4, num_experts_per_tok: 2, norm_topk_prob: true });
 * const r = routeTokens(tf.tensor2d([[1, 3, 2, 0]]), rc);
 * r.indices.print(); // => [[1, 2]]
 * ```
 */
export function routeTokens(logits: tf.Tensor, rc: RoutingConfig, opts: { gradient?: RouterGradient } = {}): Routing {
  checkLogits('routeTokens', logits, rc);
  const [probs, indices] = tf.tidy(() => {
    const p = softmax(logits); // [N, E]
    return [p, selectExperts(p, rc)];
  });
  try {
    return { probs, indices, weights: routingWeights(logits, indices, rc, opts.gradient ?? 'sparse') };
  } catch (e) {
    tf.dispose([probs, indices]);
    throw e;
  }
}

/** Per-expert and per-group load of a batch. */
export interface ExpertLoad {
  /** Selections per expert `[E]` (a token counts once per expert it chose). */
  perExpert: number[];
  /** Selections per group `[G]` (group g = experts [g·E/G, (g+1)·E/G), an expert-parallel rank). */
  perGroup: number[];
  /** Tokens counted (mask applied). */
  tokens: number;
  /** max / mean of perExpert (1 = perfectly balanced). */
  expertImbalance: number;
  /** max / mean of perGroup (exactly 1 for the grouped router, by construction). */
  groupImbalance: number;
}

/**
 * Count how often each expert and each group of E/G experts was chosen (spec 4.2: the grouped
 * router sends exactly k/G selections of every token to every group).
 *
 * @param indices - int32 `[N, K]` chosen experts.
 * @param numExperts - E.
 * @param nGroups - G (default 1); must divide E.
 * @param mask - optional `[N]` (nonzero = count the token), for padding.
 * @throws ShapeError / ValueError for bad shapes, ids outside [0, E) or a G not dividing E.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { expertLoad } from 'intern-s1-ts';
 * const load = expertLoad(tf.tensor2d([[0, 2], [1, 3]], [2, 2], 'int32'), 4, 2);
 * console.log(load.perGroup, load.groupImbalance); // => [2, 2], 1
 * ```
 */
export function expertLoad(indices: tf.Tensor, numExperts: number, nGroups = 1, mask?: ArrayLike<number>): ExpertLoad {
  checkInt('expertLoad', 'indices', indices);
  checkRank('expertLoad', 'indices', indices, 2);
  if (!Number.isInteger(numExperts) || numExperts < 1 || !Number.isInteger(nGroups) || nGroups < 1 || numExperts % nGroups !== 0) {
    throw new ValueError(`expertLoad: 'nGroups' (${nGroups}) must divide 'numExperts' (${numExperts})`);
  }
  const [N, K] = indices.shape;
  if (mask && mask.length !== N) throw new ShapeError(`expertLoad: 'mask' has length ${mask.length} but 'indices' has ${N} rows`);
  const idx = indices.dataSync();
  const perExpert = new Array<number>(numExperts).fill(0);
  let tokens = 0;
  for (let t = 0; t < N; t++) {
    if (mask && !mask[t]) continue;
    tokens++;
    for (let k = 0; k < K; k++) {
      const e = idx[t * K + k];
      if (!(e >= 0 && e < numExperts)) throw new ValueError(`expertLoad: 'indices' holds ${e} at [${t}, ${k}], outside [0, ${numExperts})`);
      perExpert[e]++;
    }
  }
  return summarise(perExpert, nGroups, tokens);
}

function summarise(perExpert: number[], G: number, tokens: number): ExpertLoad {
  const size = perExpert.length / G;
  const perGroup = Array.from({ length: G }, (_, g) => perExpert.slice(g * size, (g + 1) * size).reduce((a, b) => a + b, 0));
  const imb = (v: number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return mean === 0 ? 0 : Math.max(...v) / mean;
  };
  return { perExpert, perGroup, tokens, expertImbalance: imb(perExpert), groupImbalance: imb(perGroup) };
}
