/**
 * Tiny random Qwen3 / Qwen3-MoE / Intern-S1-Pro text configs and seeded checkpoints for the
 * decoder tests (widths ≤ 64, E ≤ 64).
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import type { NDArray } from '../../../reference/ndarray.js';
import { softmax as refSoftmax } from '../../../reference/ops/softmax.js';
import { parseTextConfig, type TextConfig } from '../../../src/io/configs/text.js';
import { memoryWeights, type TensorInput, type WeightSource } from '../../../src/io/weights.js';
import { fopeFrequencies } from '../../../src/nn/fope.js';
import { type RouterOutput, routingConfig } from '../../../src/models/qwen3/routing.js';
import { mulberry32, normals } from '../../support/arbitraries.js';

export type Kind = 'dense' | 'moe' | 'pro';

/** The numbers of a tiny config. */
export interface TinySpec {
  kind: Kind;
  D: number;
  H: number;
  Hkv: number;
  d: number;
  I: number;
  E: number;
  K: number;
  G: number;
  layers: number;
  V: number;
  fope: boolean;
  sepHead: boolean;
  numInvFreq: number | null;
  maxPos: number;
  norm: boolean;
}

/** A config.json object for a spec. */
export function configJson(s: TinySpec): Record<string, unknown> {
  const base: Record<string, unknown> = {
    model_type: s.kind === 'dense' ? 'qwen3' : s.kind === 'moe' ? 'qwen3_moe' : 'interns1_pro_text',
    vocab_size: s.V, hidden_size: s.D, intermediate_size: s.I, num_hidden_layers: s.layers,
    num_attention_heads: s.H, num_key_value_heads: s.Hkv, head_dim: s.d, max_position_embeddings: s.maxPos,
    rope_theta: 10000, rms_norm_eps: 1e-6,
  };
  if (s.kind !== 'dense') {
    Object.assign(base, { moe_intermediate_size: s.I, num_experts: s.E, num_experts_per_tok: s.K, norm_topk_prob: s.norm });
  }
  if (s.kind === 'pro') {
    base.router_n_groups = s.G;
    if (s.fope) base.rope_scaling = { rope_type: 'default', fope_init_factor: 0.5, fope_sep_head: s.sepHead, num_inv_freq: s.numInvFreq };
  }
  return base;
}

export function tinyConfig(s: TinySpec): TextConfig {
  return parseTextConfig(configJson(s));
}

/** Divisors of n. */
function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((g) => n % g === 0);
}

/** Arbitrary tiny specs. `kinds` restricts the model kinds. */
export function specArb(kinds: Kind[] = ['dense', 'moe', 'pro'], layers = 1): fc.Arbitrary<TinySpec> {
  return fc
    .record({
      kind: fc.constantFrom(...kinds),
      Hkv: fc.integer({ min: 1, max: 2 }),
      R: fc.integer({ min: 1, max: 3 }),
      d: fc.constantFrom(4, 8, 16),
      D: fc.integer({ min: 4, max: 32 }).map((x) => 2 * x),
      I: fc.integer({ min: 2, max: 16 }),
      E: fc.constantFrom(4, 8, 16, 64),
      K: fc.integer({ min: 1, max: 8 }),
      gPick: fc.nat(),
      fope: fc.boolean(),
      sepHead: fc.boolean(),
      norm: fc.boolean(),
      numInv: fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }),
    })
    .map((r) => {
      const K = Math.min(r.K, r.E);
      const gs = divisors(K).filter((g) => r.E % g === 0);
      const G = r.kind === 'pro' ? gs[r.gPick % gs.length] : 1;
      return {
        kind: r.kind, D: r.D, H: r.Hkv * r.R, Hkv: r.Hkv, d: r.d, I: r.I, E: r.E, K, G, layers, V: 32,
        fope: r.kind === 'pro' && r.fope, sepHead: r.sepHead, numInvFreq: r.numInv === null ? null : Math.min(r.numInv, r.d / 2),
        maxPos: 64, norm: r.kind === 'pro' ? true : r.norm,
      };
    });
}

/** Seeded tensors of a layer at `p` (e.g. `model.language_model.layers.0`). */
function layerTensors(s: TinySpec, p: string, l: number, rand: () => number, put: (n: string, shape: number[], std: number, mean?: number) => void): void {
  const { D, H, Hkv, d, I, E } = s;
  put(`${p}.input_layernorm.weight`, [D], 0.1, 1);
  put(`${p}.post_attention_layernorm.weight`, [D], 0.1, 1);
  put(`${p}.self_attn.q_proj.weight`, [H * d, D], 1 / Math.sqrt(D));
  put(`${p}.self_attn.k_proj.weight`, [Hkv * d, D], 1 / Math.sqrt(D));
  put(`${p}.self_attn.v_proj.weight`, [Hkv * d, D], 1 / Math.sqrt(D));
  put(`${p}.self_attn.o_proj.weight`, [D, H * d], 1 / Math.sqrt(H * d));
  put(`${p}.self_attn.q_norm.weight`, [d], 0.2, 1);
  put(`${p}.self_attn.k_norm.weight`, [d], 0.2, 1);
  const moe = s.kind !== 'dense';
  void l;
  void rand;
  const ffn = (q: string) => {
    put(`${q}.gate_proj.weight`, [I, D], 1 / Math.sqrt(D));
    put(`${q}.up_proj.weight`, [I, D], 1 / Math.sqrt(D));
    put(`${q}.down_proj.weight`, [D, I], 1 / Math.sqrt(I));
  };
  if (!moe) return ffn(`${p}.mlp`);
  put(`${p}.mlp.gate.weight`, [E, D], 2 / Math.sqrt(D)); // router logits of std ≈ 2: wide margins
  for (let e = 0; e < E; e++) ffn(`${p}.mlp.experts.${e}`);
}

/** A seeded in-memory checkpoint for a whole tiny model (prefix ends with a dot). */
export function tinyWeights(s: TinySpec, seed: number, prefix = 'model.language_model.'): WeightSource {
  const rand = mulberry32(seed);
  const tensors: Record<string, TensorInput> = {};
  const put = (n: string, shape: number[], std: number, mean = 0) => {
    tensors[n] = { dtype: 'F32', shape, data: normals(rand, shape.reduce((a, b) => a * b, 1), std, mean) };
  };
  for (let l = 0; l < s.layers; l++) layerTensors(s, `${prefix}layers.${l}`, l, rand, put);
  put(`${prefix}embed_tokens.weight`, [s.V, s.D], 1);
  put(`${prefix}norm.weight`, [s.D], 0.1, 1);
  put('lm_head.weight', [s.V, s.D], 1 / Math.sqrt(s.D));
  if (s.fope) {
    const K = fopeFrequencies(s.d, 10000, s.maxPos, s.numInvFreq).length;
    const shape = s.sepHead ? [s.Hkv, K, K] : [K, K];
    for (const n of ['cos_coef', 'sin_coef']) {
      const data = normals(rand, shape.reduce((a, b) => a * b, 1), 0.2);
      for (let i = 0; i < data.length; i++) if (Math.floor(i / K) % K === i % K) data[i] += 1; // identity + noise
      tensors[`${prefix}rotary_emb.${n}`] = { dtype: 'F32', shape, data };
    }
  }
  return memoryWeights(tensors);
}

/**
 * The smallest gap, over all tokens (and groups), between the k-th and (k+1)-th router
 * probability of a row `p` (length E): the routing decision is stable when this exceeds the
 * float32 error of p.
 */
export function routingMargin(probs: { shape: readonly number[]; get(...i: number[]): number }, K: number, G: number): number {
  const [N, E] = probs.shape;
  const size = E / G;
  const k = K / G;
  let worst = Infinity;
  for (let t = 0; t < N; t++) {
    for (let g = 0; g < G; g++) {
      if (k >= size) continue;
      const row = Array.from({ length: size }, (_, j) => probs.get(t, g * size + j)).sort((a, b) => b - a);
      worst = Math.min(worst, (row[k - 1] - row[k]) / row[0]);
    }
  }
  return worst;
}

/** Seeded float32-rounded normal data of a shape. */
export function normalData(shape: number[], seed: number, std = 1): { shape: number[]; data: Float64Array } {
  return { shape, data: normals(mulberry32(seed), shape.reduce((a, b) => a * b, 1), std) };
}

/** A fixed tiny spec (Pro: FoPE per KV head, 8 experts in 2 groups, K = 2) with overrides. */
export function tinySpec(over: Partial<TinySpec>): TinySpec {
  return { kind: 'pro', D: 16, H: 4, Hkv: 2, d: 8, I: 8, E: 8, K: 2, G: 2, layers: 1, V: 12, fope: true, sepHead: true, numInvFreq: null, maxPos: 64, norm: true, ...over };
}

/** Dispose a router output's tensors (nothing for a dense layer). */
export function disposeRouter(r: RouterOutput | null | undefined): void {
  if (r) tf.dispose([r.logits, r.indices, r.weights]);
}

/** The smallest routing margin over the reference's router outputs (Infinity for dense layers). */
export function refRouterMargin(routers: ({ logits: NDArray } | null)[], s: TinySpec): number {
  return Math.min(Infinity, ...routers.map((r) => (r ? routingMargin(refSoftmax(r.logits, -1), s.K, s.G) : Infinity)));
}

/** Positions for a `[B, T]` batch: default (undefined), one shared row, or one row per batch item; all < 64. */
export const posArb = (B: number, T: number) =>
  fc.oneof(
    fc.constant(undefined),
    fc.array(fc.integer({ min: 0, max: 63 }), { minLength: T, maxLength: T }),
    fc.array(fc.array(fc.integer({ min: 0, max: 63 }), { minLength: T, maxLength: T }), { minLength: B, maxLength: B }),
  );

/** Router numbers: E up to 64, K up to 8, G dividing E and K, with and without renormalisation. */
export const routingConfigArb = fc
  .record({ E: fc.constantFrom(4, 8, 16, 64), K: fc.integer({ min: 1, max: 8 }), g: fc.nat(), norm: fc.boolean() })
  .map(({ E, K, g, norm }) => {
    const k = Math.min(K, E);
    const gs = Array.from({ length: k }, (_, i) => i + 1).filter((G) => k % G === 0 && E % G === 0);
    return routingConfig({ num_experts: E, num_experts_per_tok: k, norm_topk_prob: norm, router_n_groups: gs[g % gs.length] });
  });
