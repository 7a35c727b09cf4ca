/**
 * The seeded MoE block the benches time (bench/suites/moe.bench.ts in Node, bench/browser/tasks.ts
 * in Chromium): one block of E experts at `mlp`, router logits of std ≈ 2 (wide top-k margins, so
 * the fast path's expert choices match the reference's). Imports no Node built-in.
 */
import { memoryWeights, type TensorInput } from '../../src/io/weights.js';
import { mulberry32, normalSamples } from '../../src/util/random.js';

/** Deterministic normal(0, std) values (mulberry32 + Box-Muller), float32-representable. */
export function normals(n: number, seed: number, std = 1): Float32Array {
  return normalSamples(mulberry32(seed), n, std);
}

/** An F32 tensor of normal(mean, std) values. */
export const f32 = (shape: number[], seed: number, std: number, mean = 0): TensorInput => ({
  dtype: 'F32', shape, data: normals(shape.reduce((a, b) => a * b, 1), seed, std).map((v) => v + mean),
});

/** Weights and config of a MoE block with E experts of width D, expert width I, K experts per token. */
export function moeWeights(E: number, D: number, I: number, K: number) {
  const t: Record<string, TensorInput> = { 'mlp.gate.weight': f32([E, D], 1, 2 / Math.sqrt(D)) };
  for (let e = 0; e < E; e++) {
    t[`mlp.experts.${e}.gate_proj.weight`] = f32([I, D], 10 + 3 * e, 1 / Math.sqrt(D));
    t[`mlp.experts.${e}.up_proj.weight`] = f32([I, D], 11 + 3 * e, 1 / Math.sqrt(D));
    t[`mlp.experts.${e}.down_proj.weight`] = f32([D, I], 12 + 3 * e, 1 / Math.sqrt(I));
  }
  const cfg = { hidden_size: D, moe_intermediate_size: I, hidden_act: 'silu', num_experts: E, num_experts_per_tok: K, norm_topk_prob: true };
  return { w: memoryWeights(t), cfg };
}
