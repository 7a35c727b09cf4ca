/**
 * The tensors of tiny checkpoints, in memory: random-initialised Intern-S1 / -mini / -Pro weights
 * with the real tensor names, deterministic for a seed (see `tiny.ts` for sizes and the
 * initialisation). Split from `tiny.ts`, which writes them as files, so that code reachable from
 * the browser entry (the docs playground builds the demo checkpoint in the page) imports no
 * Node built-in.
 *
 * @module
 */
import { quantFp8Block } from '../ops/dtypes.js';
import { type ModelConfig, parseConfig } from './config.js';
import { type LayoutEntry, checkpointLayout } from './layout.js';
import type { TinyVariant } from './tiny-config.js';
import type { DType, TensorInput } from './weights.js';

/** Storage of the float tensors: all F32, all BF16, or FP8 text projections + BF16 (as the Pro release). */
export type TinyDType = 'f32' | 'bf16' | 'fp8';

/** Options of {@link tinyTensors} and {@link initTiny}. */
export interface TinyOptions {
  /** Which model (default `pro`). */
  readonly variant?: TinyVariant;
  /** PRNG seed (default 0). */
  readonly seed?: number;
  /** Storage dtype (default `f32`). */
  readonly dtype?: TinyDType;
  /** A small vocabulary instead of the real one ("tiny-vocab": special ids remapped to its top). */
  readonly vocabSize?: number;
  /** FP8 scale block (written to `quantization_config.weight_block_size`); default 8, so tiny weights have several blocks. */
  readonly fp8Block?: number;
  /** Store experts fused (`mlp.experts.gate_up_proj [E, D, 2I]`, `down_proj [E, I, D]`, spec 9.5). */
  readonly fusedExperts?: boolean;
  /** Number of safetensors shards (default 1: `model.safetensors`; more: an index file). */
  readonly shards?: number;
  /** Replace an existing checkpoint in `dir` (default false: a folder holding config.json or safetensors files is refused). */
  readonly force?: boolean;
}

/** A 32-bit FNV-1a hash of `s`, mixed with `seed`. */
function hash(seed: number, s: string): number {
  let h = (0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** `n` approximately standard-normal numbers from (seed, name): Irwin–Hall over mulberry32. */
export function seededNormals(seed: number, name: string, n: number): Float64Array {
  let a = hash(seed, name);
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < 12; k++) s += u();
    out[i] = s - 6;
  }
  return out;
}

/** Values of one layout entry. */
function initValues(e: LayoutEntry, seed: number, cfg: ModelConfig): Float64Array {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const z = seededNormals(seed, e.name, n);
  const scaled = (std: number, mean = 0) => z.map((v) => mean + std * v);
  switch (e.kind) {
    case 'linear': case 'conv': case 'router': return scaled(1 / Math.sqrt(e.fanIn ?? 1));
    case 'norm': case 'layer_scale': return scaled(0.1, 1);
    case 'bias': case 'norm_bias': return scaled(0.1);
    case 'embedding': return scaled(1);
    case 'position': return scaled(0.5);
    case 'buffer': return new Float64Array(n);
    case 'fope': {
      const [h, K] = e.shape;
      const text = 'text_config' in cfg ? cfg.text_config : cfg;
      const gain = text.rope_scaling?.fope_init_factor ?? 0;
      const std = gain * Math.sqrt(2 / (K * K + h * K)); // xavier_normal on [h, K, K] (spec 5.3)
      const out = scaled(std);
      for (let g = 0; g < h; g++) for (let i = 0; i < K; i++) out[(g * K + i) * K + i] += 1;
      return out;
    }
  }
}

const FLOAT: Record<Exclude<TinyDType, 'fp8'>, DType> = { f32: 'F32', bf16: 'BF16' };

/** Per-layer fused expert tensors from the per-expert values (spec 9.5 layout, input-major). */
function fuse(values: Map<string, Float64Array>, prefix: string, E: number, D: number, I: number): { gateUp: Float64Array; down: Float64Array } {
  const gateUp = new Float64Array(E * D * 2 * I);
  const down = new Float64Array(E * I * D);
  for (let e = 0; e < E; e++) {
    const g = values.get(`${prefix}.${e}.gate_proj.weight`)!; // [I, D]
    const u = values.get(`${prefix}.${e}.up_proj.weight`)!;
    const dn = values.get(`${prefix}.${e}.down_proj.weight`)!; // [D, I]
    for (let d = 0; d < D; d++) {
      for (let j = 0; j < I; j++) {
        gateUp[(e * D + d) * 2 * I + j] = g[j * D + d];
        gateUp[(e * D + d) * 2 * I + I + j] = u[j * D + d];
        down[(e * I + j) * D + d] = dn[d * I + j];
      }
    }
  }
  return { gateUp, down };
}

/**
 * Store one float tensor (FP8 + scale when `fp8`). FoPE coefficients stay F32 in every mode: they
 * are float32 buffers in the reference code (their checkpoint dtype is open, spec 11.3).
 */
function put(out: Record<string, TensorInput>, e: { name: string; kind?: string }, shape: number[], data: Float64Array, fp8: boolean, dtype: TinyDType, block: number): void {
  const name = e.name;
  if (e.kind === 'fope') out[name] = { dtype: 'F32', shape, data };
  else if (fp8 && dtype === 'fp8') {
    const q = quantFp8Block({ shape, data }, block, 'ue8m0');
    out[name] = { dtype: 'F8_E4M3', shape, bytes: q.q.data };
    out[`${name}_scale_inv`] = { dtype: 'F32', shape: q.scaleInv.shape, data: q.scaleInv.data };
  } else out[name] = { dtype: dtype === 'fp8' ? 'BF16' : FLOAT[dtype], shape, data };
}

/**
 * The tensors of a tiny checkpoint for `configJson` (in memory; see {@link initTiny} for files).
 *
 * @param configJson - a config.json object (from {@link tinyConfigJson}, or any consistent one).
 * @param opts - seed, dtype, FP8 block, fused experts.
 * @example
 * ```ts
 * import { tinyConfigJson, tinyTensors, memoryWeights } from 'intern-s1-ts';
 * const cfg = tinyConfigJson('mini', { vocabSize: 256 });
 * const w = memoryWeights(tinyTensors(cfg, { seed: 1 }));
 * console.log(w.info('model.language_model.layers.0.mlp.gate_proj.weight').shape); // => [32, 16]
 * ```
 */
export function tinyTensors(configJson: Record<string, unknown>, opts: TinyOptions = {}): Record<string, TensorInput> {
  const cfg = parseConfig(configJson);
  const seed = opts.seed ?? 0;
  const dtype = opts.dtype ?? 'f32';
  const block = opts.fp8Block ?? 8;
  const layout = checkpointLayout(cfg).filter((e) => !e.optional);
  const values = new Map(layout.map((e) => [e.name, initValues(e, seed, cfg)] as const));
  const out: Record<string, TensorInput> = {};
  const fusedDone = new Set<string>();
  for (const e of layout) {
    const m = opts.fusedExperts ? /^(.*\.mlp\.experts)\.\d+\./.exec(e.name) : null;
    if (!m) {
      put(out, e, e.shape.slice(), values.get(e.name)!, e.fp8, dtype, block);
      continue;
    }
    if (fusedDone.has(m[1])) continue;
    fusedDone.add(m[1]);
    const t = 'text_config' in cfg ? cfg.text_config : cfg;
    if (t.model_type === 'qwen3') continue;
    const [E, D, I] = [t.num_experts, t.hidden_size, t.moe_intermediate_size];
    const f = fuse(values, m[1], E, D, I);
    put(out, { name: `${m[1]}.gate_up_proj` }, [E, D, 2 * I], f.gateUp, true, dtype, block);
    put(out, { name: `${m[1]}.down_proj` }, [E, I, D], f.down, true, dtype, block);
  }
  return out;
}
