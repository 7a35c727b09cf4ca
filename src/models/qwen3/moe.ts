/**
 * The sparse MoE FFN of Intern-S1 and Intern-S1-Pro (spec 3.4, 4.1, 4.2).
 *
 * ```
 * logits = m · W_gateᵀ                          [N, E]   (mlp.gate.weight [E, D], no bias)
 * p      = softmax_fp32(logits); S, w = router  (routing.ts: plain or grouped top-k, renormalised)
 * y_t    = Σ_{k} w_{t,k} · Expert_{S_tk}(m_t)    Expert_e = SwiGLU, moe_intermediate_size
 * ```
 *
 * The fast path computes **only the selected experts**: the chosen indices are read back once,
 * the N·K (token, slot) pairs are sorted by expert (a counting sort on the host), each active
 * expert runs one SwiGLU on the block of its token rows (three 2-D products, gate and up fused),
 * and the outputs, scaled by their routing weights, are added back to their tokens. Cost grows
 * with N·K, not with E; the expert loop has one iteration per *active* expert. Two equivalent
 * paths: on the wasm and cpu backends at inference the row blocks are copied and the weighted
 * outputs accumulated in JS (tfjs-wasm's `slice` / `gather` copy their whole source through JS,
 * which made the tensor path's cost grow with E); while a gradient is recorded, or on the
 * `tensorflow` backend, the rows are gathered once into `[N·K, D]`, sliced per expert and
 * scatter-added back with differentiable ops.
 *
 * Precision: everything is float32 here (float64 in the reference). These BF16 casts of the HF
 * reference are **not** emulated: (1) RMSNorm's cast of the normalised activations to BF16 before
 * the weight (spec 3.1, 10.1); (2) the cast of the routing weights to BF16 before the combine
 * (spec 3.4, 10.6); (3) the BF16 accumulation of the weighted expert outputs by `index_add`.
 * Why: the library's contract is float32 against a float64 oracle; emulating BF16 would add an
 * 8-bit-mantissa rounding at each of these points, which changes results at the 2^-8 relative
 * level (the same order as the BF16 weights' own rounding) and makes the result depend on the
 * accumulation order of `index_add`, which HF itself does not fix (fused kernels accumulate in
 * FP32). Outputs therefore agree with HF BF16 runs to BF16 precision, not bit for bit.
 *
 * Experts on demand (`fromWeights(..., { expertsOnDemand: { capacityBytes } })`, issue 19): the
 * block keeps only its router; each active expert is taken from an {@link ExpertCache} (read,
 * decoded and uploaded on a miss, kept while it fits the LRU capacity). The same loader and the
 * same products in the same order make the output bit-identical to the resident block.
 *
 * Legend: B batch, T tokens, N = B·T, D width, E experts, K chosen per token, I expert width.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { kernelFor } from '../../backend/dispatch.js';
import { ShapeError, ValueError } from '../../errors.js';
import { expectShape, loadAll } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import { activation, type ActivationFn } from '../../nn/activation.js';
import type { Disposable } from '../../nn/linear.js';
import { scope } from '../../nn/scope.js';
import { dense } from '../../ops/matmul.js';
import { reshape } from '../../ops/shape.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';
import { ExpertCache } from './expert-cache.js';
import { loadSwiGlu, swiGlu, type SwiGluWeights } from './mlp.js';
import { combineExpertParallel, expertPool } from './moe-parallel.js';
import { type RouterOutput, routeTokens, routingConfig, type RoutingConfig } from './routing.js';
import type { ExpertsOnDemandOptions, MoeConfig, MoeForwardOptions } from './options.js';

export type { MoeConfig, MoeForwardOptions } from './options.js';

/** Load-time options of {@link Qwen3MoeSparseBlock.fromWeights}. */
export interface MoeLoadOptions {
  /** Hold the experts on demand with an LRU cache of this capacity (see {@link ExpertCache}); default: all resident. */
  expertsOnDemand?: ExpertsOnDemandOptions;
  /**
   * With `expertsOnDemand`: an existing cache of this block's experts, kept by the caller across
   * rebuilds of the block (a streamed layer rebuilt at every forward keeps its hot experts). The
   * block uses it and does not dispose it; the caller does.
   */
  expertCache?: ExpertCache;
}

/** The block's output and its routing, for study. */
export interface MoeOutput {
  /** Shaped like the input `[N, D]` or `[B, T, D]`. */
  output: tf.Tensor;
  /** Router logits `[N, E]`, indices `[N, K]` int32, weights `[N, K]` (N = B·T). */
  router: RouterOutput;
}

/** The (token, slot) pairs of each expert, sorted by expert (counting sort). */
interface Dispatch {
  /** Token of each sorted pair `[N·K]`. */
  rows: Int32Array;
  /** Flat slot `t·K + k` of each sorted pair `[N·K]`. */
  slots: Int32Array;
  /** Pairs per expert `[E]`. */
  counts: Int32Array;
}

function dispatch(idx: Int32Array, N: number, K: number, E: number): Dispatch {
  const counts = new Int32Array(E);
  for (let i = 0; i < N * K; i++) counts[idx[i]]++;
  const start = new Int32Array(E);
  for (let e = 1; e < E; e++) start[e] = start[e - 1] + counts[e - 1];
  const rows = new Int32Array(N * K);
  const slots = new Int32Array(N * K);
  for (let i = 0; i < N * K; i++) {
    const at = start[idx[i]]++;
    rows[at] = Math.floor(i / K);
    slots[at] = i;
  }
  return { rows, slots, counts };
}

/*
 * Row gather and scatter-add whose gradients keep their indices as host data.
 *
 * Local helpers instead of `ops/gather.ts`'s `gather` / `segmentSum`: those capture their int32
 * index tensor in the gradient closure, so when the indices are made inside the differentiated
 * function (as here, from the routing read back) `tf.grad`'s forward tidy frees them before the
 * backward pass runs, and wasm then fails reading a disposed tensor. Here the closure holds the
 * Int32Array and each pass makes (and frees) its own index tensor. Both are wasm-safe: the
 * scatter is `tf.scatterND` (it adds duplicates), the gather `tf.gather`.
 */

/** `y[i] = x[ids[i]]` for rows of `x [n, C]` → `[m, C]`; gradient: scatter-add. */
function gatherRows(x: tf.Tensor, ids: Int32Array): tf.Tensor {
  const shape = x.shape.slice();
  const f = tf.customGrad(((xx: tf.Tensor) => ({
    value: tf.tidy(() => tf.gather(xx, tf.tensor1d(ids, 'int32'))),
    gradFunc: (dy: tf.Tensor) => tf.tidy(() => tf.scatterND(tf.tensor2d(ids, [ids.length, 1], 'int32'), dy, shape)),
  })) as never) as unknown as (xx: tf.Tensor) => tf.Tensor;
  return f(x);
}

/** `y[r] = Σ_{i : ids[i] = r} src[i]` for rows of `src [m, C]` → `[n, C]`; gradient: gather. */
function scatterAddRows(src: tf.Tensor, ids: Int32Array, n: number): tf.Tensor {
  const shape = [n, ...src.shape.slice(1)];
  const f = tf.customGrad(((s: tf.Tensor) => ({
    value: tf.tidy(() => tf.scatterND(tf.tensor2d(ids, [ids.length, 1], 'int32'), s, shape)),
    gradFunc: (dy: tf.Tensor) => tf.tidy(() => tf.gather(dy, tf.tensor1d(ids, 'int32'))),
  })) as never) as unknown as (s: tf.Tensor) => tf.Tensor;
  return f(src);
}

/**
 * Sparse MoE block (HF `Qwen3MoeSparseMoeBlock`, Pro's grouped variant when `router_n_groups` > 1).
 * Loads `<prefix>.gate.weight [E, D]` and `<prefix>.experts.{e}.{gate_proj,up_proj,down_proj}.weight`
 * (prefix `...layers.{l}.mlp`; fused-expert checkpoints appear under these names, spec 9.5).
 *
 * $$ y_t = \sum_{k=1}^{K} w_{t,k}\, \mathrm{SwiGLU}_{S_{t,k}}(m_t), \qquad (S_t, w_t) = \operatorname{route}\big(\operatorname{softmax}(W_{\mathrm{gate}}\, m_t)\big) $$
 *
 * The formula step by step is on the reference twin {@link reference!Qwen3MoeSparseBlock | Qwen3MoeSparseBlock}. Where
 * this fast path departs from it: only the K chosen experts of each token run; the (token, slot)
 * pairs are sorted by expert and each active expert runs one SwiGLU on its block of rows (gate and
 * up fused), so the cost grows with N·K, not with E. On wasm the rows are gathered and combined in
 * JS, because tfjs-wasm's `slice` / `gather` copy their whole source (module comment, reading path).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { Qwen3MoeSparseBlock, memoryWeights } from 'intern-s1-ts';
 * const t = (o: number, i: number, v: number) => ({ dtype: 'F32' as const, shape: [o, i], data: new Float32Array(o * i).fill(v) });
 * const w: Record<string, ReturnType<typeof t>> = { 'mlp.gate.weight': t(4, 8, 0.1) };
 * for (let e = 0; e < 4; e++) {
 *   w[`mlp.experts.${e}.gate_proj.weight`] = t(6, 8, 0.1);
 *   w[`mlp.experts.${e}.up_proj.weight`] = t(6, 8, 0.1);
 *   w[`mlp.experts.${e}.down_proj.weight`] = t(8, 6, 0.1);
 * }
 * const cfg = { hidden_size: 8, moe_intermediate_size: 6, hidden_act: 'silu', num_experts: 4, num_experts_per_tok: 2, norm_topk_prob: true };
 * const moe = Qwen3MoeSparseBlock.fromWeights(cfg, memoryWeights(w), 'mlp');
 * const { output, router } = moe.forward(tf.ones([3, 8]));
 * console.log(output.shape, router.indices.shape); // => [3, 8], [3, 2]
 * moe.dispose();
 * ```
 */
export class Qwen3MoeSparseBlock implements Disposable {
  private readonly act: ActivationFn;

  constructor(
    /** `W_gateᵀ [D, E]`. */
    readonly gateT: tf.Tensor2D,
    /** One SwiGLU per expert (empty when the experts are held on demand by `expertCache`). */
    readonly experts: readonly SwiGluWeights[],
    /** The router's numbers (E, K, G, top-k renormalisation). */
    readonly routing: RoutingConfig,
    /** Activation name of the experts' gates. */
    readonly hiddenAct: string,
    /** Experts on demand: where the experts come from instead of `experts` (owned: disposed with the block). */
    readonly expertCache: ExpertCache | null = null,
    /** Whether {@link dispose} disposes `expertCache` (false: a cache the caller keeps across rebuilds). */
    private readonly ownsCache = true,
  ) {
    this.act = activation(hiddenAct);
    const given = expertCache ? expertCache.dims.E : experts.length;
    if (gateT.shape[1] !== routing.numExperts || given !== routing.numExperts) {
      throw new ShapeError(`Qwen3MoeSparseBlock: gate has ${gateT.shape[1]} experts and ${given} expert weights are given, config says ${routing.numExperts}`);
    }
  }

  /** Model width D. */
  get hiddenSize(): number {
    return this.gateT.shape[0];
  }

  /**
   * Load the block. Validates the router numbers first (ConfigError for K > E or a G that does not
   * divide E and K), then every shape (ShapeError naming the tensor). With `opts.expertsOnDemand`
   * only the router is loaded; the experts' shapes are checked and their data read when chosen
   * (`weights` must then stay open while the block lives).
   */
  static fromWeights(cfg: MoeConfig, weights: WeightSource, prefix: string, opts: MoeLoadOptions = {}): Qwen3MoeSparseBlock {
    const rc = routingConfig(cfg);
    activation(cfg.hidden_act);
    const D = cfg.hidden_size;
    const I = cfg.moe_intermediate_size;
    expectShape('Qwen3MoeSparseBlock', weights, `${prefix}.gate.weight`, [rc.numExperts, D]);
    if (opts.expertsOnDemand) {
      const cache = opts.expertCache ?? new ExpertCache(weights, prefix, { D, I, E: rc.numExperts, G: rc.nGroups }, opts.expertsOnDemand); // checks shapes, reads no expert
      return new Qwen3MoeSparseBlock(weights.tensor(`${prefix}.gate.weight`, { transpose: true }) as tf.Tensor2D, [], rc, cfg.hidden_act, cache, opts.expertCache === undefined);
    }
    return loadAll((own) => {
      const gateT = own(weights.tensor(`${prefix}.gate.weight`, { transpose: true }) as tf.Tensor2D); // [D, E]
      const experts = Array.from({ length: rc.numExperts }, (_, e): SwiGluWeights => {
        const x = loadSwiGlu('Qwen3MoeSparseBlock', weights, `${prefix}.experts.${e}`, D, I);
        own(x.gateUpT);
        own(x.downT);
        return x;
      });
      return new Qwen3MoeSparseBlock(gateT, experts, rc, cfg.hidden_act);
    });
  }

  /**
   * Route and combine. `x [N, D]` or `[B, T, D]` → output of the same shape, plus the router's
   * logits `[N, E]`, indices `[N, K]` int32 and weights `[N, K]` (N = B·T). Differentiable in x
   * and all weights (routing weights per `opts.routerGradient`); the caller disposes every tensor.
   * @throws ShapeError / DTypeError for a bad input.
   */
  forward(x: tf.Tensor, opts: MoeForwardOptions = {}): MoeOutput {
    const [N, D] = this.checkInput(x);
    if (this.expertCache && tf.engine().state.gradientDepth > 0) {
      throw new ValueError('Qwen3MoeSparseBlock: experts held on demand are for inference (their weights are released after use); load the block resident to take gradients');
    }
    return scope(() => {
      const logits = dense(reshape(x, [N, D]), this.gateT); // [N, E]
      const r = routeTokens(logits, this.routing, { gradient: opts.routerGradient });
      const idx = r.indices.dataSync() as Int32Array; // [N·K], read back once
      this.expertCache?.record(idx, this.routing.topK);
      const output = this.hostDispatch()
        ? this.combineHost(x, r.weights, idx)
        : reshape(this.combine(reshape(x, [N, D]), r.weights, idx), x.shape); // shaped like x
      return { output, router: { logits, indices: r.indices, weights: r.weights } };
    });
  }

  /** Check that `x` is a float32 `[N, D]` or `[B, T, D]` with N = B·T ≥ 1; returns `[N, D]`. */
  private checkInput(x: tf.Tensor): [number, number] {
    checkFloat('Qwen3MoeSparseBlock', 'x', x);
    checkRank('Qwen3MoeSparseBlock', 'x', x, 2, 3);
    const D = this.hiddenSize;
    if (x.shape[x.rank - 1] !== D) throw new ShapeError(`Qwen3MoeSparseBlock: 'x' must have last dimension D = ${D}, got ${fmtShape(x.shape)}`);
    const N = x.size / D;
    if (N === 0) throw new ShapeError(`Qwen3MoeSparseBlock: 'x' has no tokens (shape ${fmtShape(x.shape)})`);
    return [N, D];
  }

  /**
   * Whether to gather and combine the token rows on the host: where the `moeCombine` row of
   * backend/dispatch.ts says `host` (wasm and cpu: host memory), when no gradient is being recorded. tfjs-wasm 4.22 runs `slice` and `gather` by
   * copying the whole source tensor through JS (measured: 64 row blocks of 32 × 512 sliced from a
   * [2048, 512] tensor take 109 ms, and 1.7 ms more per block as the source grows; the same blocks
   * copied in JS take 2.4 ms), which made the cost of the tensor path grow with E. The host path
   * computes the same function; the tensor path ({@link combine}) is differentiable and serves
   * training and the `tensorflow` backend (device memory).
   */
  private hostDispatch(): boolean {
    return kernelFor('moeCombine') === 'host' && tf.engine().state.gradientDepth === 0;
  }

  /**
   * {@link combine} on the host: each active expert's rows are copied from `x` into one block in
   * JS, the expert runs on the block, and its weighted output rows are added to their tokens in
   * a float32 accumulator (experts in ascending order). With a thread pool the experts are spread
   * over the threads (moe-parallel.ts, same result). Not differentiable.
   */
  private combineHost(x: tf.Tensor, weights: tf.Tensor, idx: Int32Array): tf.Tensor {
    const D = this.hiddenSize;
    const N = x.size / D;
    const { topK: K, numExperts: E } = this.routing;
    const { rows, slots, counts } = dispatch(idx, N, K, E);
    const xv = x.dataSync(); // [N·D]
    const wv = weights.dataSync(); // [N·K]
    const pool = this.expertCache ? undefined : expertPool(this, N, D); // experts spread over the threads (moe-parallel.ts), same result; on-demand experts run here, through the cache
    if (pool) return tf.tensor(combineExpertParallel(pool, this, xv as Float32Array, wv as Float32Array, { rows, slots, counts }, D), x.shape);
    const out = new Float32Array(N * D);
    let off = 0;
    for (let e = 0; e < E; e++) {
      const n = counts[e];
      if (n === 0) continue;
      const block = new Float32Array(n * D);
      for (let j = 0; j < n; j++) block.set(xv.subarray(rows[off + j] * D, (rows[off + j] + 1) * D), j * D);
      const y = tf.tidy(() => this.runExpert(e, tf.tensor2d(block, [n, D]))); // [n_e, D]
      const yv = y.dataSync();
      y.dispose();
      for (let j = 0; j < n; j++) {
        const w = wv[slots[off + j]];
        const o = rows[off + j] * D;
        for (let c = 0; c < D; c++) out[o + c] += w * yv[j * D + c];
      }
      off += n;
    }
    return tf.tensor(out, x.shape);
  }

  /** `Σ_k w_{t,k} Expert_{S_tk}(x_t)` for rows `x [N, D]`, running only the active experts (differentiable). */
  private combine(x: tf.Tensor, weights: tf.Tensor, idx: Int32Array): tf.Tensor {
    const [N, D] = x.shape as [number, number];
    const { topK: K, numExperts: E } = this.routing;
    const { rows, slots, counts } = dispatch(idx, N, K, E);
    const xs = gatherRows(x, rows); // [N·K, D], grouped by expert
    const ws = tf.reshape(gatherRows(tf.reshape(weights, [N * K, 1]), slots), [N * K, 1]); // [N·K, 1]
    const outs: tf.Tensor[] = [];
    let off = 0;
    for (let e = 0; e < E; e++) {
      const n = counts[e];
      if (n === 0) continue;
      const xe = n === N * K ? xs : tf.slice(xs, [off, 0], [n, D]); // [n_e, D]
      outs.push(this.runExpert(e, xe)); // [n_e, D]
      off += n;
    }
    const y = outs.length === 1 ? outs[0] : tf.concat(outs, 0); // [N·K, D]
    return scatterAddRows(tf.mul(y, ws), rows, N); // [N, D]
  }

  /** Expert e's SwiGLU on its rows `x [n_e, D]` → `[n_e, D]`: resident, or through the expert cache. */
  private runExpert(e: number, x: tf.Tensor): tf.Tensor {
    if (!this.expertCache) return swiGlu(x, this.experts[e], this.act);
    return this.expertCache.use(e, (w) => swiGlu(x, w, this.act));
  }

  /** Release the gate and every expert's weights (and the expert cache's resident experts). */
  dispose(): void {
    this.gateT.dispose();
    for (const x of this.experts) tf.dispose([x.gateUpT, x.downT]);
    if (this.ownsCache) this.expertCache?.dispose();
  }
}
