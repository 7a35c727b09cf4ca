/**
 * Scaled-dot-product attention (spec sections 2, 3.2, 6.1.2, 6.2.2, 7.3): causal, bidirectional,
 * explicit mask, GQA, block-diagonal by sequence lengths, KV-cache offset, and a chunked variant
 * whose peak extra memory grows linearly in the sequence length.
 *
 * Layout is token-major, as the layers produce it: `q [T, H, d]`, `k [S, Hkv, d]`,
 * `v [S, Hkv, dv]` (or with a leading batch dim B on all three, handled by a loop over B).
 *
 * Written for wasm: every product is a 2-D untransposed `tf.matMul` (the only product XNNPACK
 * serves fast in tfjs-wasm 4.22; measured 7x faster than `batchMatMul`). The `R = H/Hkv` query
 * heads of one kv group are stacked into one `[R·T, d]` matrix, so each group costs two products,
 * `(q·scale) · kᵀ` against the pre-transposed `kT [d, S]` and `P · v`. The backward pass
 * (`tf.customGrad`) also uses only 2-D untransposed products and transposes only the small
 * `[·, d]` operands, never the `[R·T, S]` probabilities.
 *
 * Packed sequences of one length (bidirectional, no mask or probabilities, e.g. the time-series
 * patch encoder's rows) take a third schedule at inference, chosen per backend by the
 * `equalBlockAttention` row of backend/dispatch.ts: one batched product over all (block, head)
 * pairs, or each (block, head) as two 2-D products on tensors built in JS.
 *
 * Legend: B batch, T queries, S keys, H query heads, Hkv kv heads, R = H/Hkv, d head dim,
 * dv value dim, n rows of a query chunk.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { HOST_ROWS_MIN_LENGTH, kernelFor } from '../backend/dispatch.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { checkFinite, checkFloat, checkNonEmpty, checkRank, checkTensor, fmtShape } from '../util/check.js';
import { unstack } from './shape.js';

/** `'causal'`, `'none'` (bidirectional), or an explicit `[T, S]` mask: bool (true = visible) or additive float32. */
export type AttentionMask = 'causal' | 'none' | tf.Tensor;

/** The mask, scale, packed lengths, query offset and probabilities options of {@link attention}. */
export interface AttentionOptions {
  /**
   * `'none'` (default): every query sees every key. `'causal'`: query i sees keys
   * `j ≤ queryOffset + i`. A tensor `[T, S]`: bool (true = visible) or float32 added to the
   * scaled scores (use -Infinity to hide a key). With `seqLens` the mask also applies, within blocks.
   * No gradient flows into a mask tensor.
   */
  mask?: AttentionMask;
  /** Multiplies `q·kᵀ`; default `d^-0.5`. */
  scale?: number;
  /**
   * Lengths of sequences packed along T (block-diagonal "varlen" attention, spec 6.2.2 and
   * gotcha 10.14): a token attends only within its own block, bidirectionally or causally
   * (`mask: 'causal'`, positions counted from the block start). Requires S = T and Σ seqLens = T.
   */
  seqLens?: readonly number[];
  /**
   * Position of the first query among the S keys, for causal attention with a KV cache: query i
   * sees keys `j ≤ queryOffset + i`. Default `S − T` (the queries are the newest tokens, bottom-right
   * alignment as in FlashAttention ≥ 2.1 and HF's cache masks); pass 0 for PyTorch's top-left
   * `is_causal`. Only valid with `mask: 'causal'` and without `seqLens`. Queries that see no key
   * (negative offsets) get a zero output.
   */
  queryOffset?: number;
  /** Also return the attention probabilities `[H, T, S]` (`[B, H, T, S]` when batched). */
  returnProbs?: boolean;
}

/** Options of {@link attentionChunked}: {@link AttentionOptions} plus the query block size. */
export interface ChunkedAttentionOptions extends AttentionOptions {
  /** Queries per block (default 256). Peak extra memory is about `R·chunkSize·S` floats per step. */
  chunkSize?: number;
}

/** Output and probabilities, returned when `returnProbs` is true. */
export interface AttentionResult {
  /** `[T, H, dv]` (or `[B, T, H, dv]`). */
  output: tf.Tensor;
  /** `[H, T, S]` (or `[B, H, T, S]`); rows of queries that see no key are all zero. */
  probs: tf.Tensor;
}

/** A tensor's shape as a plain number array (tfjs types it as a union of tuples). */
function shp(t: tf.Tensor): number[] {
  return t.shape as number[];
}

/** Validated, normalised arguments. */
interface Plan {
  op: string;
  batched: boolean;
  T: number; S: number; H: number; Hkv: number; d: number; dv: number;
  scale: number;
  causal: boolean;
  offset: number;
  mask: tf.Tensor | null;
  seqLens: number[] | null;
  returnProbs: boolean;
  chunk: number;
}

function checkMask(op: string, m: unknown, T: number, S: number): tf.Tensor | null {
  if (m === undefined || m === 'none') return null;
  if (m === 'causal') return null;
  if (typeof m === 'string') throw new ValueError(`${op}: 'mask' must be 'causal', 'none' or a tensor, got '${m}'`);
  checkTensor(op, 'mask', m);
  if (m.dtype !== 'bool' && m.dtype !== 'float32') {
    throw new DTypeError(`${op}: 'mask' must be bool or float32, got ${m.dtype}`);
  }
  if (m.rank !== 2 || m.shape[0] !== T || m.shape[1] !== S) {
    throw new ShapeError(`${op}: 'mask' must have shape [T, S] = [${T}, ${S}], got ${fmtShape(m.shape)}`);
  }
  return m;
}

function checkSeqLens(op: string, s: readonly number[] | undefined, T: number, S: number): number[] | null {
  if (s === undefined) return null;
  if (!Array.isArray(s) || s.length === 0 || s.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new ValueError(`${op}: 'seqLens' must be a non-empty array of positive integers, got [${String(s)}]`);
  }
  const sum = s.reduce((a, b) => a + b, 0);
  if (sum !== T) throw new ShapeError(`${op}: 'seqLens' sum to ${sum} but q has T = ${T} tokens`);
  if (S !== T) throw new ShapeError(`${op}: 'seqLens' needs S = T, but k has S = ${S} and q has T = ${T}`);
  return s.slice();
}

function makePlan(op: string, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, o: ChunkedAttentionOptions, chunked: boolean): Plan {
  checkFloat(op, 'q', q);
  checkFloat(op, 'k', k);
  checkFloat(op, 'v', v);
  checkRank(op, 'q', q, 3, 4);
  checkRank(op, 'k', k, q.rank);
  checkRank(op, 'v', v, q.rank);
  for (const [n, t] of [['q', q], ['k', k], ['v', v]] as const) checkNonEmpty(op, n, t);
  const b = q.rank - 3;
  if (b === 1 && (k.shape[0] !== q.shape[0] || v.shape[0] !== q.shape[0])) {
    throw new ShapeError(`${op}: batch sizes differ: q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)}`);
  }
  const [T, H, d] = shp(q).slice(b);
  const [S, Hkv, dk] = shp(k).slice(b);
  const [Sv, Hv, dv] = shp(v).slice(b);
  if (dk !== d) throw new ShapeError(`${op}: 'k' has head dim ${dk} but 'q' has ${d}`);
  if (Sv !== S || Hv !== Hkv) throw new ShapeError(`${op}: 'v' ${fmtShape(v.shape)} does not match 'k' ${fmtShape(k.shape)} in S or Hkv`);
  if (H % Hkv !== 0) throw new ShapeError(`${op}: 'q' has ${H} heads, not a multiple of the ${Hkv} kv heads of 'k'`);
  const scale = o.scale ?? 1 / Math.sqrt(d);
  checkFinite(op, 'scale', scale);
  const causal = o.mask === 'causal';
  if (o.queryOffset !== undefined) {
    if (!causal) throw new ValueError(`${op}: 'queryOffset' only applies to mask 'causal'`);
    if (!Number.isInteger(o.queryOffset)) throw new ValueError(`${op}: 'queryOffset' must be an integer, got ${o.queryOffset}`);
    if (o.seqLens !== undefined) throw new ValueError(`${op}: 'queryOffset' cannot be combined with 'seqLens'`);
  }
  const chunk = chunked ? (o.chunkSize ?? 256) : Infinity;
  if (chunked && (!Number.isInteger(chunk) || chunk < 1)) {
    throw new ValueError(`${op}: 'chunkSize' must be a positive integer, got ${o.chunkSize}`);
  }
  return {
    op, batched: b === 1, T, S, H, Hkv, d, dv, scale, causal,
    offset: o.queryOffset ?? S - T,
    mask: checkMask(op, o.mask, T, S),
    seqLens: checkSeqLens(op, o.seqLens, T, S),
    returnProbs: o.returnProbs === true,
    chunk,
  };
}

/**
 * The additive bias `[n, S]` for query rows `r0 .. r0+n−1` against keys `0 .. S−1` (0 = visible,
 * −Inf = hidden), or null when nothing is hidden; `mask` holds the explicit mask's rows of this
 * block (`[n, S]`). Only the block's rows are built, so chunking never makes `[T, S]`. The causal part is written in JS: tfjs-wasm's broadcasting `greater` and
 * `where` take ~240 ms for a 1024² mask, a Float32Array fill takes ~6 ms.
 */
function biasRows(causal: boolean, offset: number, mask: tf.Tensor | null, r0: number, n: number, S: number): tf.Tensor | null {
  let bias: tf.Tensor | null = null;
  if (causal) {
    const b = new Float32Array(n * S);
    for (let i = 0; i < n; i++) {
      const first = Math.max(0, Math.min(S, r0 + offset + i + 1)); // first hidden key of row i
      b.fill(-Infinity, i * S + first, (i + 1) * S);
    }
    bias = tf.tensor2d(b, [n, S]); // [n, S]
  }
  if (mask) {
    const add = mask.dtype === 'bool' ? tf.where(mask, tf.zeros([n, S]), tf.fill([n, S], -Infinity)) : mask; // [n, S]
    bias = bias ? tf.add(bias, add) : add;
  }
  return bias;
}

/**
 * Row softmax in float32 with max subtraction. A row whose scores are all −Inf (a query that sees
 * no key) gives probabilities 0, not NaN: its max is replaced by 0 so every exp is 0, and the sum
 * is clamped to ≥ 1 (exact for any other row, whose max term alone contributes exp(0) = 1).
 * NaN scores still propagate.
 */
function safeSoftmaxRows(s: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.max(s, 1, true); // [n, 1]
    const mSafe = tf.where(tf.equal(m, -Infinity), 0, m); // [n, 1]
    const x = tf.sub(s, mSafe); // [n, S]
    const e = tf.exp(x); // [n, S]
    x.dispose();
    return tf.div(e, tf.maximum(tf.sum(e, 1, true), 1)); // [n, S]
  });
}

/** `[n, H, d] → Hkv matrices [R·n, d]` (head h = g·R + r goes to group g, rows r·n .. r·n+n−1). */
function groupRows(x: tf.Tensor, Hkv: number): tf.Tensor[] {
  const [n, H, d] = shp(x);
  const R = H / Hkv;
  const g = tf.transpose(tf.reshape(x, [n, Hkv, R, d]), [1, 2, 0, 3]); // [Hkv, R, n, d]
  return tf.unstack(tf.reshape(g, [Hkv, R * n, d])); // Hkv × [R·n, d]
}

/** Inverse of {@link groupRows}: `Hkv × [R·n, d] → [n, H, d]`. */
function ungroupRows(parts: tf.Tensor[], n: number, H: number): tf.Tensor {
  const Hkv = parts.length;
  const d = shp(parts[0])[1];
  const g = tf.reshape(tf.stack(parts), [Hkv, H / Hkv, n, d]); // [Hkv, R, n, d]
  return tf.reshape(tf.transpose(g, [2, 0, 1, 3]), [n, H, d]); // [n, H, d]
}

/**
 * Dense attention of one query block against all keys, with its own gradient. Inputs are
 * `q [n, H, d]`, `kT [Hkv, d, S]`, `vG [Hkv, S, dv]`; the value is `[n, H, dv]`, or, with
 * `withProbs`, the flat concatenation of that output and the probabilities `[H, n, S]` (a
 * customGrad has one output; the caller splits it, and the probabilities' gradient flows back).
 */
function denseBlock(bias: tf.Tensor | null, scale: number, withProbs: boolean, safe: boolean) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [q, kT, vG] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const [n, H] = shp(q);
    const Hkv = shp(kT)[0];
    const S = shp(kT)[2];
    const qs = groupRows(tf.mul(q, scale), Hkv); // Hkv × [R·n, d]
    const kTs = tf.unstack(kT); // Hkv × [d, S]
    const vs = tf.unstack(vG); // Hkv × [S, dv]
    // The probabilities outlive their group only when the backward pass or the caller needs them
    // (tf.grad is recording, which save() also checks, or returnProbs).
    const keepProbs = withProbs || tf.engine().state.gradientDepth > 0;
    const probs: tf.Tensor[] = [];
    const outs = qs.map((qg, g) => {
      // One tidy per group, so only one group's raw scores are alive at a time.
      const [o, p] = tf.tidy(() => {
        let s = tf.matMul(qg, kTs[g]); // [R·n, S]
        if (bias) {
          const sb = tf.reshape(tf.add(tf.reshape(s, [-1, n, S]), bias), [-1, S]); // [R·n, S]
          s.dispose();
          s = sb;
        }
        const pg = safe ? safeSoftmaxRows(s) : tf.softmax(s); // [R·n, S]
        s.dispose();
        return [tf.matMul(pg, vs[g]), pg]; // [R·n, dv], [R·n, S]
      });
      if (keepProbs) probs.push(p);
      else p.dispose();
      return o;
    });
    const out = ungroupRows(outs, n, H); // [n, H, dv]
    save([q, kT, vG, ...probs]);
    const value = withProbs
      ? tf.concat([tf.reshape(out, [-1]), tf.reshape(tf.stack(probs), [-1])]) // [n·H·dv + H·n·S]
      : out;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [q0, kT0, vG0, ...P] = saved;
      let dOut = dy; // [n, H, dv]
      let dProbs: tf.Tensor[] | null = null;
      if (withProbs) {
        const nOut = n * H * shp(vG0)[2];
        dOut = tf.reshape(tf.slice(dy, [0], [nOut]), [n, H, -1]); // [n, H, dv]
        dProbs = tf.unstack(tf.reshape(tf.slice(dy, [nOut], [-1]), [Hkv, -1, S])); // Hkv × [R·n, S]
      }
      return attentionBackward(q0, kT0, vG0, P, dOut, dProbs, scale);
    };
    return { value, gradFunc };
  });
}

/**
 * Backward of one dense block, per kv group g (2-D untransposed products only):
 * `dV = Pᵀ dO` (as `(dOᵀ P)ᵀ`), `dP = dO Vᵀ (+ dProbs)`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`,
 * `dQ = dS K · scale`, `dKᵀ = (Q·scale)ᵀ dS`; the R query heads of a group are stacked in rows, so
 * the products sum over them.
 */
function attentionBackward(
  q: tf.Tensor, kT: tf.Tensor, vG: tf.Tensor, P: tf.Tensor[], dOut: tf.Tensor, dProbs: tf.Tensor[] | null, scale: number,
): tf.Tensor[] {
  const [n, H] = shp(q);
  const Hkv = shp(kT)[0];
  const qs = groupRows(tf.mul(q, scale), Hkv); // Hkv × [R·n, d]
  const dOs = groupRows(dOut, Hkv); // Hkv × [R·n, dv]
  const kTs = tf.unstack(kT); // Hkv × [d, S]
  const vs = tf.unstack(vG); // Hkv × [S, dv]
  const dQ: tf.Tensor[] = [];
  const dKT: tf.Tensor[] = [];
  const dV: tf.Tensor[] = [];
  for (let g = 0; g < Hkv; g++) {
    const dO = dOs[g]; // [R·n, dv]
    dV.push(tf.transpose(tf.matMul(tf.transpose(dO), P[g]))); // [S, dv]
    let dP = tf.matMul(dO, tf.transpose(vs[g])); // [R·n, S]
    if (dProbs) dP = tf.add(dP, dProbs[g]);
    const dS = tf.mul(P[g], tf.sub(dP, tf.sum(tf.mul(dP, P[g]), 1, true))); // [R·n, S]
    dQ.push(tf.mul(tf.matMul(dS, tf.transpose(kTs[g])), scale)); // [R·n, d]
    dKT.push(tf.matMul(tf.transpose(qs[g]), dS)); // [d, S]
  }
  return [ungroupRows(dQ, n, H), tf.stack(dKT), tf.stack(dV)];
}

/**
 * Attention of `q [T, H, d]` against `kT [Hkv, d, S]`, `vG [Hkv, S, dv]`, in blocks of
 * `p.chunk` query rows. A causal block whose last row sees keys `≤ offset + r0 + n − 1` uses only
 * those keys (so chunked causal attention skips about half the work).
 */
function denseChunked(
  p: Plan, q: tf.Tensor, kT: tf.Tensor, vG: tf.Tensor, causal: boolean, offset: number, mask: tf.Tensor | null,
): { out: tf.Tensor; probs: tf.Tensor | null } {
  const [T, H] = shp(q);
  const S = shp(kT)[2];
  const dv = shp(vG)[2];
  const outs: tf.Tensor[] = [];
  const probs: tf.Tensor[] = [];
  for (let r0 = 0; r0 < T; r0 += p.chunk) {
    const n = Math.min(p.chunk, T - r0);
    const Se = causal ? Math.max(1, Math.min(S, offset + r0 + n)) : S; // keys any row of the block sees
    // A row can see no key only with an explicit mask or a negative causal offset; only then is
    // the slower zero-safe softmax needed (tf.softmax is one fused wasm kernel, ~3x faster).
    const safe = mask !== null || (causal && offset + r0 < 0);
    // One tidy per block: its scores are freed before the next block is computed.
    const res = tf.tidy(() => {
      const qc = n === T ? q : tf.slice(q, [r0, 0, 0], [n, H, -1]); // [n, H, d]
      const kc = Se === S ? kT : tf.slice(kT, [0, 0, 0], [-1, -1, Se]); // [Hkv, d, Se]
      const vc = Se === S ? vG : tf.slice(vG, [0, 0, 0], [-1, Se, -1]); // [Hkv, Se, dv]
      const mc = mask && tf.slice(mask, [r0, 0], [n, Se]); // [n, Se]
      const bias = biasRows(causal, offset, mc, r0, n, Se); // [n, Se] | null
      const val = denseBlock(bias, p.scale, p.returnProbs, safe)(qc, kc, vc);
      if (!p.returnProbs) return [val];
      const o = tf.reshape(tf.slice(val, [0], [n * H * dv]), [n, H, dv]); // [n, H, dv]
      const pr = tf.reshape(tf.slice(val, [n * H * dv], [-1]), [H, n, Se]); // [H, n, Se]
      return [o, Se === S ? pr : tf.pad(pr, [[0, 0], [0, 0], [0, S - Se]])]; // [H, n, S]
    });
    outs.push(res[0]);
    if (res[1]) probs.push(res[1]);
  }
  const out = outs.length === 1 ? outs[0] : tf.concat(outs, 0); // [T, H, dv]
  const pr = probs.length === 0 ? null : probs.length === 1 ? probs[0] : tf.concat(probs, 1); // [H, T, S]
  return { out, probs: pr };
}

/**
 * The block length L when the equal-block schedule applies, else null: packed sequences that all
 * have one length, bidirectional, no explicit mask, no probabilities asked for, one kv head per
 * query head, and no gradient being recorded (the `host-rows` form reads tensors back).
 */
function equalBlockLength(p: Plan): number | null {
  const s = p.seqLens;
  if (!s || p.causal || p.mask || p.returnProbs || p.H !== p.Hkv || tf.engine().state.gradientDepth > 0) return null;
  return s.every((n) => n === s[0]) ? s[0] : null;
}

/**
 * Block-diagonal attention over R blocks of equal length L (the time-series patch encoder's rows):
 * `q [R·L, H, d]`, `k [R·L, H, d]`, `v [R·L, H, dv]` → `[R·L, H, dv]`, `o = softmax(q·kᵀ·scale)·v`
 * per (block, head). Two equivalent forms, chosen by the `equalBlockAttention` row of
 * backend/dispatch.ts: `host-rows` ({@link hostRows}) or `batched`, one batched product over all
 * R·H (block, head) pairs.
 */
function equalBlocks(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, L: number, scale: number): tf.Tensor {
  if (L >= HOST_ROWS_MIN_LENGTH && kernelFor('equalBlockAttention') === 'host-rows') return hostRows(q, k, v, L, scale);
  const [T, H, d] = shp(q);
  const dv = shp(v)[2];
  const R = T / L;
  const heads = (t: tf.Tensor, w: number) => tf.reshape(tf.transpose(tf.reshape(t, [R, L, H, w]), [0, 2, 1, 3]), [R * H, L, w]); // [R·H, L, w]
  const scores = tf.matMul(heads(tf.mul(q, scale), d), heads(k, d), false, true); // [R·H, L, L]
  const o = tf.matMul(tf.softmax(scores), heads(v, dv)); // [R·H, L, dv]
  return tf.reshape(tf.transpose(tf.reshape(o, [R, H, L, dv]), [0, 2, 1, 3]), [T, H, dv]); // [R·L, H, dv]
}

/**
 * {@link equalBlocks} read back once: each (block, head) runs as two 2-D products on small tensors
 * built in JS (`(q·scale) kᵀ` against a `kᵀ [d, L]` copied transposed, then `P v`).
 */
function hostRows(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, L: number, scale: number): tf.Tensor {
  const [T, H, d] = shp(q);
  const dv = shp(v)[2];
  const [Q, K, V] = [q.dataSync(), k.dataSync(), v.dataSync()]; // [T, H, d], [T, H, d], [T, H, dv]
  const out = new Float32Array(T * H * dv); // [T, H, dv]
  const qb = new Float32Array(L * d); // [L, d]
  const kTb = new Float32Array(d * L); // [d, L]
  const vb = new Float32Array(L * dv); // [L, dv]
  for (let r = 0; r < T / L; r++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < L; i++) {
        const row = (r * L + i) * H + h; // (token, head) of block row i
        for (let c = 0; c < d; c++) {
          qb[i * d + c] = Q[row * d + c] * scale;
          kTb[c * L + i] = K[row * d + c];
        }
        for (let c = 0; c < dv; c++) vb[i * dv + c] = V[row * dv + c]; // plain loops: a subarray per row costs more here
      }
      const o = tf.tidy(() => tf.matMul(tf.softmax(tf.matMul(tf.tensor2d(qb, [L, d]), tf.tensor2d(kTb, [d, L]))), tf.tensor2d(vb, [L, dv]))); // [L, dv]
      const od = o.dataSync();
      o.dispose();
      for (let i = 0; i < L; i++) for (let c = 0; c < dv; c++) out[((r * L + i) * H + h) * dv + c] = od[i * dv + c];
    }
  }
  return tf.tensor3d(out, [T, H, dv]);
}

/** One (unbatched) attention call: plain, block-diagonal over `seqLens`, or equal blocks. */
function attendOne(p: Plan, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): { out: tf.Tensor; probs: tf.Tensor | null } {
  const L = equalBlockLength(p);
  if (L !== null) return { out: equalBlocks(q, k, v, L, p.scale), probs: null };
  const kT = tf.transpose(k, [1, 2, 0]); // [Hkv, d, S], transposed once per call
  const vG = tf.transpose(v, [1, 0, 2]); // [Hkv, S, dv]
  if (!p.seqLens) return denseChunked(p, q, kT, vG, p.causal, p.offset, p.mask);
  const outs: tf.Tensor[] = [];
  const probs: tf.Tensor[] = [];
  let t0 = 0;
  for (const L of p.seqLens) {
    const kb = tf.slice(kT, [0, 0, t0], [-1, -1, L]); // [Hkv, d, L]
    const vb = tf.slice(vG, [0, t0, 0], [-1, L, -1]); // [Hkv, L, dv]
    const mb = p.mask ? tf.slice(p.mask, [t0, t0], [L, L]) : null; // [L, L]
    const r = denseChunked(p, tf.slice(q, [t0, 0, 0], [L, -1, -1]), kb, vb, p.causal, 0, mb);
    outs.push(r.out);
    // Probabilities outside the block are 0: pad each block's [H, L, L] to [H, L, S].
    if (r.probs) probs.push(tf.pad(r.probs, [[0, 0], [0, 0], [t0, p.S - t0 - L]]));
    t0 += L;
  }
  return { out: tf.concat(outs, 0), probs: probs.length ? tf.concat(probs, 1) : null };
}

function run(p: Plan, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor | AttentionResult {
  const [out, probs] = tf.tidy(() => {
    if (!p.batched) {
      const r = attendOne(p, q, k, v);
      return r.probs ? [r.out, r.probs] : [r.out];
    }
    const [qs, ks, vs] = [unstack(q), unstack(k), unstack(v)]; // differentiable also for B = 1
    const rs = qs.map((qb, b) => attendOne(p, qb, ks[b], vs[b]));
    const o = tf.stack(rs.map((r) => r.out)); // [B, T, H, dv]
    return p.returnProbs ? [o, tf.stack(rs.map((r) => r.probs as tf.Tensor))] : [o]; // [B, H, T, S]
  });
  return p.returnProbs ? { output: out, probs: probs as tf.Tensor } : out;
}

/**
 * Scaled-dot-product attention with GQA, masks, packed sequences and a KV-cache offset.
 *
 * $$ o_{n,i} = \sum_j \operatorname{softmax}_j\big(s\, q_{n,i} \cdot k_{g,j} + M_{ij}\big)\, v_{g,j}, \qquad g = \lfloor n / R \rfloor $$
 *
 * Reference twin: {@link reference!attention | attention}. Here the R query heads of a KV group are stacked as
 * rows of one 2-D product (k and v are never repeated): on wasm this is about 13x faster than one
 * batched product.
 *
 * For query head n with kv head `g = ⌊n / R⌋`, `R = H / Hkv` (the `repeat_kv` layout, spec 3.2):
 * `o_n = softmax(q_n k_gᵀ · scale + M) v_g`, softmax in float32 with max subtraction, where M is
 * 0 for visible keys and −Inf for hidden ones (or the additive mask). A query with no visible key
 * gets output 0 and a zero probability row (decision: zero, as FlashAttention's varlen kernels do,
 * rather than NaN; the reference does the same).
 *
 * Shapes: `q [T, H, d]`, `k [S, Hkv, d]`, `v [S, Hkv, dv]` → `[T, H, dv]`; with a leading batch
 * dim B on all three → `[B, T, H, dv]` (a loop over B; the mask and seqLens apply to every item).
 * Differentiable in q, k and v (a `tf.customGrad` built from 2-D products, also through `probs`).
 *
 * @param q - queries `[T, H, d]` float32.
 * @param k - keys `[S, Hkv, d]` float32; H must be a multiple of Hkv.
 * @param v - values `[S, Hkv, dv]` float32.
 * @param opts - mask, scale, seqLens, queryOffset, returnProbs ({@link AttentionOptions}).
 * @returns the output, or `{ output, probs }` when `returnProbs` is true.
 * @throws ShapeError for mismatched shapes or `H % Hkv ≠ 0`; DTypeError for non-float32 inputs or a
 *   mask that is neither bool nor float32; ValueError for bad option values.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { attention } from 'intern-s1-ts';
 * const q = tf.randomNormal([5, 4, 8]);   // [T, H, d]
 * const kv = tf.randomNormal([5, 2, 8]);  // [S, Hkv, d]: GQA, 2 query heads per kv head
 * const o = attention(q, kv, kv, { mask: 'causal' }) as tf.Tensor;
 * console.log(o.shape); // => [5, 4, 8]
 * ```
 */
export function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts: AttentionOptions & { returnProbs: true }): AttentionResult;
export function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts?: AttentionOptions & { returnProbs?: false }): tf.Tensor;
export function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts?: AttentionOptions): tf.Tensor | AttentionResult;
export function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts: AttentionOptions = {}): tf.Tensor | AttentionResult {
  return run(makePlan('attention', q, k, v, opts, false), q, k, v);
}

/**
 * {@link attention} computed in blocks of `chunkSize` queries: each block's scores `[R·n, S]` are
 * made, used and freed before the next block, so the peak extra memory grows linearly in T
 * (about `R·chunkSize·S` floats for the live group, plus the output) instead of holding `[T, S]`
 * scores. The result equals {@link attention}. Under `tf.grad` each block keeps its probabilities
 * for the backward pass, and `returnProbs` materialises `[H, T, S]` by definition.
 *
 * Same formula as {@link attention}; reference twin: {@link reference!attentionChunked | attentionChunked}.
 *
 * @param q - queries `[T, H, d]` float32 (or `[B, T, H, d]`).
 * @param k - keys `[S, Hkv, d]` float32.
 * @param v - values `[S, Hkv, dv]` float32.
 * @param opts - {@link AttentionOptions} plus `chunkSize` (default 256).
 * @throws as {@link attention}; ValueError for a chunkSize that is not a positive integer.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { attentionChunked } from 'intern-s1-ts';
 * const q = tf.randomNormal([64, 4, 16]);  // [T, H, d]
 * const k = tf.randomNormal([64, 1, 16]);  // [S, Hkv, d]: multi-query
 * const o = attentionChunked(q, k, k, { mask: 'causal', chunkSize: 16 }) as tf.Tensor;
 * console.log(o.shape); // => [64, 4, 16]
 * ```
 */
export function attentionChunked(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts: ChunkedAttentionOptions & { returnProbs: true }): AttentionResult;
export function attentionChunked(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts?: ChunkedAttentionOptions & { returnProbs?: false }): tf.Tensor;
export function attentionChunked(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts?: ChunkedAttentionOptions): tf.Tensor | AttentionResult;
export function attentionChunked(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, opts: ChunkedAttentionOptions = {}): tf.Tensor | AttentionResult {
  return run(makePlan('attentionChunked', q, k, v, opts, true), q, k, v);
}

/**
 * Gradients of `Σ attention(q, k, v, opts) ⊙ dOut` with respect to q, k and v (the vector-Jacobian
 * product `tf.grads` computes through the fast path's customGrad).
 *
 * @param dOut - upstream gradient, shaped like the output `[T, H, dv]`.
 * @returns `{ dq, dk, dv }` shaped like q, k, v.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { attentionGrad } from 'intern-s1-ts';
 * const q = tf.randomNormal([3, 2, 4]);
 * const k = tf.randomNormal([3, 1, 4]);
 * const g = attentionGrad(q, k, k, tf.onesLike(q), { mask: 'causal' });
 * console.log(g.dk.shape); // => [3, 1, 4]
 * ```
 */
export function attentionGrad(
  q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, dOut: tf.Tensor, opts: AttentionOptions = {},
): {
  /** Gradient with respect to `q`, shaped like `q` (`[T, H, d]` or `[B, T, H, d]`). */
  dq: tf.Tensor;
  /** Gradient with respect to `k`, shaped like `k` (`[S, Hkv, d]` or `[B, S, Hkv, d]`). */
  dk: tf.Tensor;
  /** Gradient with respect to `v`, shaped like `v` (`[S, Hkv, dv]` or `[B, S, Hkv, dv]`). */
  dv: tf.Tensor;
} {
  const p = makePlan('attentionGrad', q, k, v, { ...opts, returnProbs: false }, false);
  checkFloat('attentionGrad', 'dOut', dOut);
  const want = [...q.shape.slice(0, -1), p.dv];
  if (dOut.shape.join() !== want.join()) {
    throw new ShapeError(`attentionGrad: 'dOut' must have the output shape ${fmtShape(want)}, got ${fmtShape(dOut.shape)}`);
  }
  const [dq, dk, dv] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => run(p, a, b, c) as tf.Tensor)([q, k, v], dOut);
  return { dq, dk, dv };
}
