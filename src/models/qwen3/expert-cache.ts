/**
 * Experts on demand (issue 19 item 2): the experts of a MoE block held in the checkpoint instead
 * of in memory. The router stays resident; when it chooses expert e for some tokens, the block
 * asks this cache for e: a **hit** returns the resident float32 weights, a **miss** reads the
 * expert's three projections from the weight source, decodes them (BF16 → float32, FP8 e4m3
 * block-128 dequantised with `weight_scale_inv`: the source's own decoding, as the resident load
 * uses), transposes and uploads them exactly as `loadSwiGlu` (mlp.ts) does for the resident block.
 * After the expert has run, it stays resident only while it fits `capacityBytes` of decoded
 * weights; the least recently used experts are evicted (their tensors disposed) to make room.
 *
 * ```
 * expert bytes (resident, float32)  = 3·D·I·4                 (Intern-S1 / -Pro: 75.5 MB)
 * expert bytes (stored)             = Σ_{gate,up,down} numel·dtype bytes (+ FP8 scales)
 * bytes read by a block             = misses · stored bytes   (a hit reads nothing)
 * ```
 *
 * Results are bit-identical to the resident block: the same loader makes the same float32
 * tensors, and the block runs the same products in the same order (moe.ts). No reference twin:
 * this module decides which decoded weights stay in memory and computes no number of the model
 * (the block's numbers are those of the twinned {@link Qwen3MoeSparseBlock}).
 *
 * Counters (cumulative until {@link ExpertCache.resetStats}): hits, misses, evictions, bytes read
 * and decoded, and the router's load per expert and per group of E/G experts (grouped routing's
 * per-group load, an expert-parallel rank's share), so a run reports per layer what it read.
 *
 * Legend: D width, I expert width, E experts, G router groups, K chosen per token.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors.js';
import { isMoeLayer, type TextConfig } from '../../io/configs/text.js';
import { DTYPE_BYTES } from '../../io/dtype.js';
import { expectShape } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import { loadSwiGlu, type SwiGluWeights } from './mlp.js';
import type { ExpertsOnDemandOptions } from './options.js';

export type { ExpertsOnDemandOptions } from './options.js';

/** What an {@link ExpertCache} has done since it was made (or since {@link ExpertCache.resetStats}). */
export interface ExpertCacheStats {
  /** The block's weight prefix (`...layers.{l}.mlp`), naming the layer. */
  readonly layer: string;
  /** E. */
  readonly numExperts: number;
  /** Bytes one decoded expert takes resident: `3·D·I·4`. */
  readonly expertBytes: number;
  /** Bytes one expert takes in the checkpoint (its three projections in their stored dtype, FP8 scales included). */
  readonly storedExpertBytes: number;
  /** The capacity in bytes of decoded experts. */
  readonly capacityBytes: number;
  /** Experts resident now. */
  readonly residentExperts: number;
  /** Bytes of decoded experts resident now (`residentExperts · expertBytes`). */
  readonly residentBytes: number;
  /** Uses served by a resident expert. */
  readonly hits: number;
  /** Uses that read and decoded the expert. */
  readonly misses: number;
  /** Experts disposed to make room. */
  readonly evictions: number;
  /** Stored bytes read from the weight source (`misses · storedExpertBytes`). */
  readonly bytesRead: number;
  /** Float32 bytes decoded and uploaded (`misses · expertBytes`). */
  readonly bytesDecoded: number;
  /** Tokens routed through the block. */
  readonly tokens: number;
  /** Selections per expert `[E]` (a token counts once for each expert it chose). */
  readonly perExpert: readonly number[];
  /** Selections per group of E/G consecutive experts `[G]` (grouped routing sends K/G of each token to each group). */
  readonly perGroup: readonly number[];
}

/** The sizes an {@link ExpertCache} works with. */
export interface ExpertDims {
  /** Model width D. */
  readonly D: number;
  /** Expert width I (`moe_intermediate_size`). */
  readonly I: number;
  /** Number of experts E. */
  readonly E: number;
  /** Router groups G (1: plain top-k); divides E. */
  readonly G: number;
}

/** Bytes a tensor takes in the source, in its stored dtype. */
function storedBytes(weights: WeightSource, name: string): number {
  const i = weights.info(name);
  return i.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[i.dtype];
}

/**
 * The LRU cache of one MoE block's decoded experts (see the module comment).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { Qwen3MoeSparseBlock, memoryWeights } from 'intern-s1-ts';
 * const t = (o: number, i: number, v: number) => ({ dtype: 'BF16' as const, shape: [o, i], data: new Float32Array(o * i).fill(v) });
 * const w: Record<string, ReturnType<typeof t>> = { 'mlp.gate.weight': t(4, 8, 0.1) };
 * for (let e = 0; e < 4; e++) for (const [p, o, i] of [['gate_proj', 6, 8], ['up_proj', 6, 8], ['down_proj', 8, 6]] as const) w[`mlp.experts.${e}.${p}.weight`] = t(o, i, 0.1);
 * const cfg = { hidden_size: 8, moe_intermediate_size: 6, hidden_act: 'silu', num_experts: 4, num_experts_per_tok: 2, norm_topk_prob: true };
 * const moe = Qwen3MoeSparseBlock.fromWeights(cfg, memoryWeights(w), 'mlp', { expertsOnDemand: { capacityBytes: 3 * 8 * 6 * 4 } });
 * const r = moe.forward(tf.ones([3, 8]));
 * const s = moe.expertCache!.stats();
 * console.log(s.misses, s.residentExperts, s.bytesRead); // => 2, 1, 576  -- two experts read (BF16), one kept
 * moe.dispose();
 * ```
 */
export class ExpertCache {
  /** Resident experts, least recently used first (a Map keeps insertion order). */
  private readonly lru = new Map<number, SwiGluWeights>();
  /** The capacity in bytes of decoded experts. */
  readonly capacityBytes: number;
  /** Bytes one decoded expert takes: `3·D·I·4`. */
  readonly expertBytes: number;
  /** Bytes one expert takes in the source. */
  readonly storedExpertBytes: number;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private tokens = 0;
  private perExpert: number[];

  /**
   * Check every expert's three tensors (present, shapes `[I, D]`, `[I, D]`, `[D, I]`) without
   * reading their data, so a bad checkpoint fails at load, not at the first token.
   *
   * @param weights - the source the experts are read from (kept: it must stay open while the block lives).
   * @param prefix - the block's prefix (`...layers.{l}.mlp`); experts are `<prefix>.experts.{e}.*`.
   * @param dims - D, I, E and G (G divides E: checked by `routingConfig`).
   * @param opts - the capacity.
   * @throws ValueError for a capacity that is not a number ≥ 0; ShapeError / CheckpointError naming a tensor.
   */
  constructor(
    readonly weights: WeightSource,
    readonly prefix: string,
    readonly dims: ExpertDims,
    opts: ExpertsOnDemandOptions,
  ) {
    const c = opts?.capacityBytes;
    if (typeof c !== 'number' || Number.isNaN(c) || c < 0) {
      throw new ValueError(`ExpertCache: 'capacityBytes' must be a number >= 0 (Infinity: keep every expert), got ${String(c)}`);
    }
    this.capacityBytes = c;
    const { D, I, E } = dims;
    this.expertBytes = 3 * D * I * 4;
    let stored = 0;
    for (let e = 0; e < E; e++) {
      const names = this.names(e);
      expectShape('Qwen3MoeSparseBlock', weights, names[0], [I, D]);
      expectShape('Qwen3MoeSparseBlock', weights, names[1], [I, D]);
      expectShape('Qwen3MoeSparseBlock', weights, names[2], [D, I]);
      if (e === 0) for (const n of names) stored += storedBytes(weights, n) + (weights.has(`${n}_scale_inv`) ? storedBytes(weights, `${n}_scale_inv`) : 0);
    }
    this.storedExpertBytes = stored;
    this.perExpert = new Array<number>(E).fill(0);
  }

  /** The three weight names of expert e. */
  private names(e: number): [string, string, string] {
    const p = `${this.prefix}.experts.${e}`;
    return [`${p}.gate_proj.weight`, `${p}.up_proj.weight`, `${p}.down_proj.weight`];
  }

  /**
   * Run `fn` with expert e's weights: resident on a hit; read, decoded and uploaded on a miss, then
   * kept if it fits the capacity (evicting the least recently used) or disposed. The weights are
   * valid only inside `fn`; `fn` must not return them. A throw in `fn` disposes a fresh expert.
   */
  use<T>(e: number, fn: (w: SwiGluWeights) => T): T {
    if (!Number.isInteger(e) || e < 0 || e >= this.dims.E) throw new ValueError(`ExpertCache: expert ${e} is outside [0, ${this.dims.E})`);
    const hit = this.lru.get(e);
    if (hit) {
      this.hits++;
      this.lru.delete(e);
      this.lru.set(e, hit); // most recently used last
      return fn(hit);
    }
    this.misses++;
    const w = this.load(e);
    let kept = false;
    try {
      const out = fn(w);
      kept = this.admit(e, w);
      return out;
    } finally {
      if (!kept) tf.dispose([w.gateUpT, w.downT]);
    }
  }

  /** Read, decode and upload expert e (the resident block's loader), kept out of any enclosing scope. */
  private load(e: number): SwiGluWeights {
    const w = loadSwiGlu('Qwen3MoeSparseBlock', this.weights, `${this.prefix}.experts.${e}`, this.dims.D, this.dims.I);
    tf.keep(w.gateUpT);
    tf.keep(w.downT);
    return w;
  }

  /** Keep expert e if it fits, evicting least recently used experts first; whether it was kept. */
  private admit(e: number, w: SwiGluWeights): boolean {
    if (this.expertBytes > this.capacityBytes) return false;
    while ((this.lru.size + 1) * this.expertBytes > this.capacityBytes) {
      const [old, ow] = this.lru.entries().next().value as [number, SwiGluWeights];
      this.lru.delete(old);
      tf.dispose([ow.gateUpT, ow.downT]);
      this.evictions++;
    }
    this.lru.set(e, w);
    return true;
  }

  /** Count a batch's routing: `idx [N·K]` chosen experts (the block calls this once per forward). */
  record(idx: ArrayLike<number>, K: number): void {
    this.tokens += idx.length / K;
    for (let i = 0; i < idx.length; i++) this.perExpert[idx[i]]++;
  }

  /** The experts resident now, least recently used first. */
  resident(): number[] {
    return [...this.lru.keys()];
  }

  /** The counters and the routing load (see {@link ExpertCacheStats}). */
  stats(): ExpertCacheStats {
    const { E, G } = this.dims;
    const size = E / G;
    const perGroup = Array.from({ length: G }, (_, g) => this.perExpert.slice(g * size, (g + 1) * size).reduce((a, b) => a + b, 0));
    return {
      layer: this.prefix, numExperts: E, expertBytes: this.expertBytes, storedExpertBytes: this.storedExpertBytes,
      capacityBytes: this.capacityBytes, residentExperts: this.lru.size, residentBytes: this.lru.size * this.expertBytes,
      hits: this.hits, misses: this.misses, evictions: this.evictions,
      bytesRead: this.misses * this.storedExpertBytes, bytesDecoded: this.misses * this.expertBytes,
      tokens: this.tokens, perExpert: this.perExpert.slice(), perGroup,
    };
  }

  /** Zero the counters and the load (resident experts stay). */
  resetStats(): void {
    this.hits = this.misses = this.evictions = this.tokens = 0;
    this.perExpert.fill(0);
  }

  /** Dispose every resident expert (the counters stay). */
  clear(): void {
    for (const w of this.lru.values()) tf.dispose([w.gateUpT, w.downT]);
    this.lru.clear();
  }

  /** Release the resident experts. */
  dispose(): void {
    this.clear();
  }
}

/**
 * The per-layer capacity of a whole model's `expertsOnDemand` option: the total split evenly over
 * the `moeLayers` MoE layers (each layer its own LRU; options.ts says why), or undefined when the
 * option is absent.
 *
 * @throws ValueError for a total that is not a number ≥ 0.
 */
export function perLayerExperts(opts: ExpertsOnDemandOptions | undefined, moeLayers: number): ExpertsOnDemandOptions | undefined {
  if (opts === undefined) return undefined;
  const c = opts?.capacityBytes;
  if (typeof c !== 'number' || Number.isNaN(c) || c < 0) {
    throw new ValueError(`expertsOnDemand: 'capacityBytes' must be a number >= 0 (Infinity: keep every expert), got ${String(c)}`);
  }
  return { capacityBytes: moeLayers > 0 ? c / moeLayers : c };
}

/** The number of MoE layers of a text config (those whose FFN is the sparse block). */
export function moeLayerCount(cfg: TextConfig): number {
  let n = 0;
  for (let l = 0; l < cfg.num_hidden_layers; l++) if (isMoeLayer(cfg, l)) n++;
  return n;
}

/**
 * The expert-cache counters of every layer of a decoder stack (`model.layers`), in layer order:
 * null for a dense layer or a MoE layer whose experts are resident.
 *
 * @example
 * ```ts
 * // const model = Qwen3TextModel.fromWeights(cfg, weights, { expertsOnDemand: { capacityBytes: 2e9 } });
 * // model.forward([[1, 2, 3]]);
 * // for (const s of expertCacheStats(model.layers)) if (s) console.log(s.layer, s.hits, s.misses, s.bytesRead, s.perGroup);
 * ```
 */
export function expertCacheStats(layers: readonly { readonly mlp: object }[]): (ExpertCacheStats | null)[] {
  return layers.map((l) => {
    const c = (l.mlp as { expertCache?: ExpertCache | null }).expertCache;
    return c instanceof ExpertCache ? c.stats() : null;
  });
}
