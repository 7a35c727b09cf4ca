/**
 * Reference scaled-dot-product attention (spec sections 2, 3.2, 6.1.2, 6.2.2, 7.3), float64, one
 * head and one query at a time, and its analytic gradient.
 *
 * Legend: B batch, T queries, S keys, H query heads, Hkv kv heads, R = H/Hkv, d head dim,
 * dv value dim.
 *
 * @module
 */
import { type NDArray, zeros } from '../ndarray.js';

/**
 * `'causal'`, `'none'`, or an explicit additive mask `[T, S]` (0 = visible, -Infinity = hidden).
 * (The fast path also takes a bool mask; its reference is the same mask written as 0 / -Infinity.)
 */
export type AttentionMask = 'causal' | 'none' | NDArray;

/** Options, as in the fast path: see `attention` there for the meaning of each. */
export interface AttentionOptions {
  /** `'none'` (default), `'causal'` (query i sees keys `j ≤ queryOffset + i`), or an additive `[T, S]` mask. */
  mask?: AttentionMask;
  /** Multiplies `q·kᵀ`; default `d^-0.5`. */
  scale?: number;
  /** Lengths of sequences packed along T: a token attends only within its block (causal positions from the block start). */
  seqLens?: readonly number[];
  /** Causal attention: position of the first query among the S keys (default `S − T`). */
  queryOffset?: number;
  /** Also return the probabilities `[H, T, S]` (`[B, H, T, S]` when batched). */
  returnProbs?: boolean;
}

/** {@link AttentionOptions} plus `chunkSize` (which does not change the result). */
export interface ChunkedAttentionOptions extends AttentionOptions {
  /** Accepted for parity with the fast path's query block size; the result does not depend on it. */
  chunkSize?: number;
}

/** Output `[T, H, dv]` and probabilities `[H, T, S]` (with a leading B when batched). */
export interface AttentionResult {
  /** `[T, H, dv]` (or `[B, T, H, dv]`). */
  output: NDArray;
  /** `[H, T, S]` (or `[B, H, T, S]`); rows of queries that see no key are all zero. */
  probs: NDArray;
}

/** The block `[start, end)` of packed sequences that holds token i. */
function blockOf(seqLens: readonly number[], i: number): [number, number] {
  let start = 0;
  for (const L of seqLens) {
    if (i < start + L) return [start, start + L];
    start += L;
  }
  return [start, start];
}

/**
 * The mask value M[i][j] added to the scaled score of query i and key j: 0 if visible, −Inf if
 * hidden. Causal: key j is visible to query i iff `j ≤ queryOffset + i` (default offset S − T).
 * seqLens: i and j must lie in the same block, and causal positions count from the block start.
 * An explicit mask adds its value.
 */
function maskValue(o: AttentionOptions, T: number, S: number, i: number, j: number): number {
  let m = 0;
  if (o.mask !== undefined && typeof o.mask !== 'string') m += o.mask.get(i, j);
  if (o.seqLens) {
    const [start, end] = blockOf(o.seqLens, i);
    if (j < start || j >= end) return -Infinity;
    if (o.mask === 'causal' && j > i) return -Infinity;
    return m;
  }
  const offset = o.queryOffset ?? S - T;
  if (o.mask === 'causal' && j > offset + i) return -Infinity;
  return m;
}

/**
 * The probabilities of one query head against its kv head (textbook formula):
 * `s_j = scale · Σ_c q[i,n,c] k[j,g,c] + M[i][j]`, `p_j = exp(s_j − max s) / Σ_l exp(s_l − max s)`.
 * If every s_j is −Inf (no visible key) the row is all zero (the project's decision).
 */
function probsRow(q: NDArray, k: NDArray, o: AttentionOptions, i: number, n: number, g: number, scale: number): Float64Array {
  const [T, , d] = q.shape;
  const S = k.shape[0];
  const s = new Float64Array(S);
  for (let j = 0; j < S; j++) {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += q.get(i, n, c) * k.get(j, g, c);
    s[j] = scale * dot + maskValue(o, T, S, i, j);
  }
  let max = -Infinity;
  for (const x of s) max = Number.isNaN(x) || Number.isNaN(max) ? NaN : Math.max(max, x);
  const p = new Float64Array(S);
  if (max === -Infinity) return p;
  let sum = 0;
  for (let j = 0; j < S; j++) sum += (p[j] = Math.exp(s[j] - max));
  for (let j = 0; j < S; j++) p[j] /= sum;
  return p;
}

/** Unbatched attention: `o[i, n, :] = Σ_j p_j v[j, g, :]` with `g = ⌊n / R⌋`. */
function attendOne(q: NDArray, k: NDArray, v: NDArray, o: AttentionOptions): AttentionResult {
  const [T, H, d] = q.shape;
  const [S, Hkv] = k.shape;
  const dv = v.shape[2];
  const R = H / Hkv;
  const scale = o.scale ?? 1 / Math.sqrt(d);
  const output = zeros([T, H, dv]);
  const probs = zeros([H, T, S]);
  for (let n = 0; n < H; n++) {
    const g = Math.floor(n / R);
    for (let i = 0; i < T; i++) {
      const p = probsRow(q, k, o, i, n, g, scale);
      for (let j = 0; j < S; j++) probs.set(n, i, j, p[j]);
      for (let c = 0; c < dv; c++) {
        let acc = 0;
        for (let j = 0; j < S; j++) acc += p[j] * v.get(j, g, c);
        output.set(i, n, c, acc);
      }
    }
  }
  return { output, probs };
}

/** Stack equally shaped arrays along a new axis 0. */
function stack(items: NDArray[]): NDArray {
  const out = zeros([items.length, ...items[0].shape]);
  items.forEach((a, b) => out.data.set(a.data.subarray(0, a.size), b * a.size));
  return out;
}

/** Run unbatched attention on each batch item of rank-4 inputs and stack the results. */
function perBatch(q: NDArray, k: NDArray, v: NDArray, o: AttentionOptions): AttentionResult {
  const results: AttentionResult[] = [];
  for (let b = 0; b < q.shape[0]; b++) {
    const pick = (a: NDArray) => a.pick(b, null, null, null);
    results.push(attendOne(pick(q), pick(k), pick(v), o));
  }
  return { output: stack(results.map((r) => r.output)), probs: stack(results.map((r) => r.probs)) };
}

/**
 * Scaled-dot-product attention with grouped-query heads (spec 2, 3.2), per head and per query.
 * Query head $n$ reads key/value head $g = \lfloor n / (H/H_{kv}) \rfloor$:
 *
 * $$
 * o_{n,i} = \sum_{j=1}^{S} \operatorname{softmax}_j\big( s \cdot q_{n,i} \cdot k_{g,j} + M_{ij} \big)\, v_{g,j},
 * \qquad s = d^{-1/2} \text{ by default},
 * $$
 *
 * where $M_{ij} \in \lbrace 0, -\infty \rbrace$ is the causal mask ($j \le \mathrm{offset} + i$), the
 * block-diagonal mask of packed sequences, an explicit additive mask, or nothing. A row with no
 * visible key is all zero (the project's decision). ASCII:
 * `o_n[i] = Σ_j softmax_j(scale · q_n[i]·k_g[j] + M[i][j]) v_g[j]`.
 * Shapes `q [T, H, d]`, `k [S, Hkv, d]`, `v [S, Hkv, dv]` → `[T, H, dv]` (or all with a leading B).
 */
export function attention(q: NDArray, k: NDArray, v: NDArray, opts: AttentionOptions & { returnProbs: true }): AttentionResult;
export function attention(q: NDArray, k: NDArray, v: NDArray, opts?: AttentionOptions & { returnProbs?: false }): NDArray;
export function attention(q: NDArray, k: NDArray, v: NDArray, opts?: AttentionOptions): NDArray | AttentionResult;
export function attention(q: NDArray, k: NDArray, v: NDArray, opts: AttentionOptions = {}): NDArray | AttentionResult {
  const H = q.shape[q.shape.length - 2];
  const Hkv = k.shape[k.shape.length - 2];
  if (H % Hkv !== 0) throw new Error(`attention: H = ${H} is not a multiple of Hkv = ${Hkv}`);
  const r = q.shape.length === 4
    ? perBatch(q, k, v, opts)
    : attendOne(q, k, v, opts);
  return opts.returnProbs ? r : r.output;
}

/**
 * The twin of the fast path's query-blocked attention: the same function as {@link attention}
 * (the reference has nothing to chunk, so `chunkSize` is accepted and ignored).
 */
export function attentionChunked(q: NDArray, k: NDArray, v: NDArray, opts: ChunkedAttentionOptions & { returnProbs: true }): AttentionResult;
export function attentionChunked(q: NDArray, k: NDArray, v: NDArray, opts?: ChunkedAttentionOptions & { returnProbs?: false }): NDArray;
export function attentionChunked(q: NDArray, k: NDArray, v: NDArray, opts?: ChunkedAttentionOptions): NDArray | AttentionResult;
export function attentionChunked(q: NDArray, k: NDArray, v: NDArray, opts: ChunkedAttentionOptions = {}): NDArray | AttentionResult {
  return attention(q, k, v, opts);
}

/**
 * Analytic gradient of attention, of `L = Σ o ⊙ dOut` (optionally `+ Σ P ⊙ dProbs`), per head n
 * with kv head g, $P$ the probabilities and $s$ the scale:
 *
 * $$
 * dV_g = \sum_{n \in g} P_n^\top dO_n, \quad dP_n = dO_n V_g^\top, \quad
 * dS_n = P_n \odot \big(dP_n - \operatorname{rowsum}(dP_n \odot P_n)\big), \quad
 * dQ_n = s\, dS_n K_g, \quad dK_g = s \sum_{n \in g} dS_n^\top Q_n .
 * $$
 *
 * In ASCII:
 * - `dV_g = Σ_{n in g} P_nᵀ dO_n`
 * - `dP_n = dO_n V_gᵀ (+ dProbs_n)`
 * - `dS_n = P_n ⊙ (dP_n − rowsum(dP_n ⊙ P_n))`   (softmax backward; S = scaled scores)
 * - `dQ_n = dS_n K_g · scale`,  `dK_g = Σ_{n in g} dS_nᵀ Q_n · scale`
 * Masked entries have P = 0, so they contribute nothing. Unbatched shapes only.
 */
export function attentionGrad(
  q: NDArray, k: NDArray, v: NDArray, dOut: NDArray, opts: AttentionOptions = {}, dProbs?: NDArray,
): {
  /** Gradient with respect to `q`, `[T, H, d]`. */
  dq: NDArray;
  /** Gradient with respect to `k`, `[S, Hkv, d]`. */
  dk: NDArray;
  /** Gradient with respect to `v`, `[S, Hkv, dv]`. */
  dv: NDArray;
} {
  const [T, H, d] = q.shape;
  const [S, Hkv] = k.shape;
  const dvDim = v.shape[2];
  const R = H / Hkv;
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  const { probs } = attendOne(q, k, v, opts);
  const dq = zeros(q.shape);
  const dk = zeros(k.shape);
  const dv = zeros(v.shape);
  for (let n = 0; n < H; n++) {
    const g = Math.floor(n / R);
    for (let i = 0; i < T; i++) {
      const dP = new Float64Array(S);
      for (let j = 0; j < S; j++) {
        let acc = dProbs ? dProbs.get(n, i, j) : 0;
        for (let c = 0; c < dvDim; c++) acc += dOut.get(i, n, c) * v.get(j, g, c);
        dP[j] = acc;
      }
      let rowsum = 0;
      for (let j = 0; j < S; j++) rowsum += dP[j] * probs.get(n, i, j);
      for (let j = 0; j < S; j++) {
        const p = probs.get(n, i, j);
        const dS = p * (dP[j] - rowsum);
        for (let c = 0; c < dvDim; c++) dv.set(j, g, c, dv.get(j, g, c) + p * dOut.get(i, n, c));
        for (let c = 0; c < d; c++) {
          dq.set(i, n, c, dq.get(i, n, c) + dS * k.get(j, g, c) * scale);
          dk.set(j, g, c, dk.get(j, g, c) + dS * q.get(i, n, c) * scale);
        }
      }
    }
  }
  return { dq, dk, dv };
}
