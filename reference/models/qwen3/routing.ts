/**
 * Reference MoE routing (spec 3.4, 4.1-4.3), float64, one token at a time, with both gradients
 * written out analytically.
 *
 * For token t with logits z (length E): `p = softmax(z)`; `S` = the chosen experts (plain top-k, or
 * the top-(k/G) of each group of E/G experts, group by group); `w_k = p_{S_k} / (Σ_j p_{S_j} (+1e-20
 * grouped))` when `norm_topk_prob`, else `p_{S_k}`.
 *
 * Gradients of `L = Σ_k ḡ_k w_k` with respect to z:
 * - sparse (the true gradient): with renormalisation, `w_k = exp z_{S_k} / Σ_j exp z_{S_j}`
 *   (times `Σp_S/(Σp_S + eps)` in the grouped case, a constant factor up to 1e-20), so
 *   `∂L/∂z_j = Σ_k ḡ_k ∂w_k/∂z_j`, computed below from `∂w_k/∂p_m` and the softmax Jacobian
 *   `∂p_m/∂z_j = p_m(δ_mj − p_j)`. Only chosen logits get gradient.
 * - STE: `∂L/∂z_j = Σ_k ḡ_k ∂p_{S_k}/∂z_j = p_j (ḡ_j [j ∈ S] − Σ_k ḡ_k p_{S_k})` (ḡ_j: the
 *   upstream gradient of the slot holding expert j).
 *
 * Legend: N tokens, E experts, K chosen per token, G groups.
 *
 * @module
 */
import { type NDArray, zeros } from '../../ndarray.js';
import { softmax } from '../../ops/softmax.js';
import { topk } from '../../ops/topk.js';

/** Which gradient the routing weights pass to the logits. */
export type RouterGradient = 'sparse' | 'ste';

/** The numbers of the MoE router: experts E, top-K, groups G and the renormalisation flag. */
export interface RoutingConfig {
  /** E, `num_experts`. */
  readonly numExperts: number;
  /** K, `num_experts_per_tok`. */
  readonly topK: number;
  /** G, `router_n_groups` (1 = plain top-k). */
  readonly nGroups: number;
  /** `norm_topk_prob`: renormalise the K chosen probabilities. */
  readonly normTopkProb: boolean;
}

/** The config keys the router reads. */
export interface MoeRouterKeys {
  /** E, the number of routed experts. */
  readonly num_experts: number;
  /** K, experts chosen per token. */
  readonly num_experts_per_tok: number;
  /** Whether the K chosen softmax probabilities are renormalised to sum to 1. */
  readonly norm_topk_prob: boolean;
  /** G, expert groups of grouped routing (Pro); absent or null means 1. */
  readonly router_n_groups?: number | null;
}

/** The router's outputs: `logits [N, E]`, `indices [N, K]`, `weights [N, K]`. */
export interface RouterOutput {
  /** `[N, E]` router logits. */
  logits: NDArray;
  /** `[N, K]` chosen expert ids (integers in float64). */
  indices: NDArray;
  /** `[N, K]` routing weights. */
  weights: NDArray;
}

/** Read the router numbers from a config (E, K, G = router_n_groups or 1, norm_topk_prob). */
export function routingConfig(cfg: MoeRouterKeys): RoutingConfig {
  const rc = { numExperts: cfg.num_experts, topK: cfg.num_experts_per_tok, nGroups: cfg.router_n_groups ?? 1, normTopkProb: cfg.norm_topk_prob === true };
  if (rc.topK > rc.numExperts || rc.numExperts % rc.nGroups !== 0 || rc.topK % rc.nGroups !== 0) {
    throw new Error(`routing: bad E = ${rc.numExperts}, K = ${rc.topK}, G = ${rc.nGroups}`);
  }
  return rc;
}

/** The chosen experts of one token from its probabilities p (length E). */
function chooseRow(p: Float64Array, rc: RoutingConfig): number[] {
  const { numExperts: E, topK: K, nGroups: G } = rc;
  const size = E / G;
  const chosen: number[] = [];
  for (let g = 0; g < G; g++) {
    const group = p.subarray(g * size, (g + 1) * size);
    const local = topk(fromRow(group), K / G).indices;
    for (let j = 0; j < K / G; j++) chosen.push(g * size + local.get(j));
  }
  return chosen;
}

function fromRow(values: Float64Array): NDArray {
  const a = zeros([values.length]);
  a.data.set(values);
  return a;
}

function row(a: NDArray, t: number): Float64Array {
  const n = a.shape[1];
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = a.get(t, j);
  return out;
}

/**
 * The chosen experts $S_t$ of every token, `probs [N, E]` → `[N, K]` (global ids, group by group).
 * Plain top-K when G = 1 (spec 4.1); grouped when G > 1 (spec 4.2, Intern-S1-Pro): the softmax is
 * taken over all E experts and the top-$K/G$ are chosen inside each group of $E/G$ consecutive
 * experts,
 *
 * $$
 * S_t = \bigcup_{g=0}^{G-1} \Big\lbrace\, g\tfrac{E}{G} + i \;:\; i \in \operatorname{top}_{K/G}\big(p_{t,\,[gE/G,\,(g+1)E/G)}\big) \Big\rbrace,
 * $$
 *
 * so every token sends exactly $K/G$ experts to each group. Ties go to the lower index.
 */
export function selectExperts(probs: NDArray, rc: RoutingConfig): NDArray {
  const N = probs.shape[0];
  const out = zeros([N, rc.topK]);
  for (let t = 0; t < N; t++) chooseRow(row(probs, t), rc).forEach((e, k) => out.set(t, k, e));
  return out;
}

/** The denominator of the renormalisation: `Σ_k p_{S_k}` (+1e-20 when grouped), or 1. */
function denominator(pS: number[], rc: RoutingConfig): number {
  if (!rc.normTopkProb) return 1;
  return pS.reduce((a, b) => a + b, 0) + (rc.nGroups > 1 ? 1e-20 : 0);
}

/**
 * The routing weights (the forward is the same in both gradient modes), `logits [N, E]`,
 * `indices [N, K]` → `[N, K]`:
 *
 * $$
 * w_{t,k} = \frac{p_{t,S_{t,k}}}{\sum_{j=1}^{K} p_{t,S_{t,j}} + \varepsilon}, \qquad p_t = \operatorname{softmax}(z_t),
 * $$
 *
 * with $\varepsilon = 10^{-20}$ for the grouped router and 0 otherwise, when `norm_topk_prob`;
 * without it $w_{t,k} = p_{t,S_{t,k}}$. ASCII: `w_{t,k} = p_{t,S_tk} / (Σ_j p_{t,S_tj} + eps)`.
 */
export function routingWeights(logits: NDArray, indices: NDArray, rc: RoutingConfig, _gradient: RouterGradient = 'sparse'): NDArray {
  const p = softmax(logits, -1);
  const [N, K] = indices.shape;
  const w = zeros([N, K]);
  for (let t = 0; t < N; t++) {
    const pS = Array.from({ length: K }, (_, k) => p.get(t, indices.get(t, k)));
    const den = denominator(pS, rc);
    for (let k = 0; k < K; k++) w.set(t, k, pS[k] / den);
  }
  return w;
}

/**
 * The gradient of the routing weights with respect to the router logits, written out analytically:
 * `∂L/∂logits [N, E]` for $L = \sum_{t,k} \bar g_{t,k}\, w_{t,k}$ with $\bar g$ = `dWeights [N, K]`.
 * Both modes share the softmax Jacobian $\partial p_m / \partial z_j = p_m(\delta_{mj} - p_j)$:
 *
 * $$
 * \frac{\partial L}{\partial z_j} = \sum_{m} \frac{\partial L}{\partial p_m}\, p_m (\delta_{mj} - p_j).
 * $$
 *
 * - `'sparse'` (the true gradient): with renormalisation
 *   $\partial w_k / \partial p_{S_m} = (\delta_{km} - w_k) / \mathrm{den}$, so
 *   $\partial L / \partial p_{S_m} = \big(\bar g_m - \sum_k \bar g_k w_k\big) / \mathrm{den}$; only the
 *   chosen probabilities get gradient.
 * - `'ste'`, the straight-through estimator of spec 4.3 (defined by this project, the public code
 *   has none): the backward treats $w$ as if it were $p_S$ itself,
 *   $\partial L / \partial p_{S_k} = \bar g_k$, which gives
 *   $\partial L / \partial z_j = p_j\big(\bar g_j [j \in S] - \sum_k \bar g_k\, p_{S_k}\big)$:
 *   every logit, chosen or not, receives gradient through the softmax.
 *
 * ASCII: sparse `∂L/∂p_{S_m} = Σ_k ḡ_k (δ_km − w_k·[norm]) / den`; STE `∂L/∂p_{S_k} = ḡ_k`; then
 * `∂L/∂z_j = Σ_m ∂L/∂p_m · p_m(δ_mj − p_j)`.
 */
export function routingWeightsGrad(
  logits: NDArray, indices: NDArray, dWeights: NDArray, rc: RoutingConfig, gradient: RouterGradient = 'sparse',
): NDArray {
  const p = softmax(logits, -1);
  const [N, E] = logits.shape;
  const K = indices.shape[1];
  const dz = zeros([N, E]);
  for (let t = 0; t < N; t++) {
    const S = Array.from({ length: K }, (_, k) => indices.get(t, k));
    const pS = S.map((e) => p.get(t, e));
    const den = denominator(pS, rc);
    const dp = new Float64Array(E); // ∂L/∂p_m
    for (let m = 0; m < K; m++) {
      let acc = 0;
      for (let k = 0; k < K; k++) {
        const g = dWeights.get(t, k);
        if (gradient === 'ste') acc += k === m ? g : 0;
        else acc += g * ((k === m ? 1 : 0) - (rc.normTopkProb ? pS[k] / den : 0)) / den;
      }
      dp[S[m]] += acc;
    }
    for (let j = 0; j < E; j++) {
      let acc = 0;
      for (let m = 0; m < E; m++) acc += dp[m] * p.get(t, m) * ((m === j ? 1 : 0) - p.get(t, j));
      dz.set(t, j, acc);
    }
  }
  return dz;
}

/** Routing of N tokens. */
export interface Routing {
  /** `[N, E]` softmax of the logits. */
  probs: NDArray;
  /** `[N, K]` chosen expert ids. */
  indices: NDArray;
  /** `[N, K]` routing weights (renormalised when `norm_topk_prob`). */
  weights: NDArray;
}

/**
 * The whole router for N tokens, `logits [N, E]` → probabilities `[N, E]`, indices and weights
 * `[N, K]`: $p = \operatorname{softmax}(z)$, $S$ = {@link selectExperts}, $w$ = {@link routingWeights}
 * (spec 4.1, 4.2). The gradient mode only matters to {@link routingWeightsGrad}.
 */
export function routeTokens(logits: NDArray, rc: RoutingConfig, opts: { gradient?: RouterGradient } = {}): Routing {
  const probs = softmax(logits, -1);
  const indices = selectExperts(probs, rc);
  return { probs, indices, weights: routingWeights(logits, indices, rc, opts.gradient) };
}

/** Per-expert and per-group load. */
export interface ExpertLoad {
  /** Selections per expert `[E]` (a token counts once per expert it chose). */
  perExpert: number[];
  /** Selections per group `[G]` (group g = experts [g·E/G, (g+1)·E/G)). */
  perGroup: number[];
  /** Tokens counted (mask applied). */
  tokens: number;
  /** max / mean of perExpert (1 = perfectly balanced; 0 when nothing was counted). */
  expertImbalance: number;
  /** max / mean of perGroup (0 when nothing was counted). */
  groupImbalance: number;
}

/** Count selections per expert and per group of E/G experts (tokens with mask 0 skipped). */
export function expertLoad(indices: NDArray, numExperts: number, nGroups = 1, mask?: ArrayLike<number>): ExpertLoad {
  const [N, K] = indices.shape;
  const perExpert = new Array<number>(numExperts).fill(0);
  let tokens = 0;
  for (let t = 0; t < N; t++) {
    if (mask && !mask[t]) continue;
    tokens++;
    for (let k = 0; k < K; k++) perExpert[indices.get(t, k)]++;
  }
  const size = numExperts / nGroups;
  const perGroup = new Array<number>(nGroups).fill(0);
  perExpert.forEach((c, e) => (perGroup[Math.floor(e / size)] += c));
  const imbalance = (v: number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return mean === 0 ? 0 : Math.max(...v) / mean;
  };
  return { perExpert, perGroup, tokens, expertImbalance: imbalance(perExpert), groupImbalance: imbalance(perGroup) };
}
