/**
 * Finite differences of the float64 reference for the training tests: the reference text model's
 * loss (HF cross-entropy + α·HF aux + z-loss) at weights moved along a direction.
 */
import * as refM from '../../reference/models/qwen3/model.js';
import { hfLoadBalancingLoss, routerZLoss } from '../../reference/models/qwen3/losses.js';
import { causalLmLoss } from '../../reference/train/loss.js';
import type { TextConfig } from '../../src/io/configs/text.js';
import { memoryWeights, type TensorInput, type WeightSource } from '../../src/io/weights.js';

/** The text weights of `w` as float64 arrays (exactly the stored float32 values). */
export function float64Weights(w: WeightSource): Map<string, { shape: number[]; data: Float64Array }> {
  return new Map(w.names().map((n) => [n, { shape: w.info(n).shape.slice(), data: Float64Array.from(w.float32(n)) }]));
}

export interface RefLossOptions {
  auxCoef: number;
  zCoef: number;
  prefix?: string;
}

/** The reference loss at `values` + eps·dir on tensor `name` (no move when name is null). */
export function refLoss(
  cfg: TextConfig, values: Map<string, { shape: number[]; data: Float64Array }>, ids: number[][], labels: number[][],
  o: RefLossOptions, move: { name: string; dir: Float64Array; eps: number } | null = null,
): number {
  const tensors: Record<string, TensorInput> = {};
  for (const [n, v] of values) {
    let data = v.data;
    if (move && move.name === n) data = Float64Array.from(v.data, (x, i) => x + move.eps * move.dir[i]);
    tensors[n] = { dtype: 'F64', shape: v.shape, data };
  }
  const model = refM.Qwen3TextModel.fromWeights(cfg as never, memoryWeights(tensors), { prefix: o.prefix ?? 'model.language_model.' });
  const out = model.forward(ids, undefined, undefined, { returnRouter: true });
  let loss = causalLmLoss(out.logits!, labels);
  const logits = out.router!.filter((r) => r !== null).map((r) => r!.logits);
  if (logits.length > 0 && cfg.model_type !== 'qwen3') {
    if (o.auxCoef > 0) loss += o.auxCoef * hfLoadBalancingLoss(logits, cfg.num_experts_per_tok);
    if (o.zCoef > 0) loss += routerZLoss(logits, o.zCoef);
  }
  return loss;
}

/** Central difference `(L(W + εu) − L(W − εu)) / 2ε` along `dir` on tensor `name`. */
export function directional(
  cfg: TextConfig, values: Map<string, { shape: number[]; data: Float64Array }>, ids: number[][], labels: number[][],
  o: RefLossOptions, name: string, dir: Float64Array, eps = 1e-5,
): number {
  const up = refLoss(cfg, values, ids, labels, o, { name, dir, eps });
  const down = refLoss(cfg, values, ids, labels, o, { name, dir, eps: -eps });
  return (up - down) / (2 * eps);
}
