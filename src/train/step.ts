/**
 * The train step (issue 16): loss and gradients of the text model with respect to its
 * checkpoint-named weights, global-norm clipping, and an optimizer update.
 *
 * ```
 * loss = CE(logits[:, :-1], labels[:, 1:])                      (train/loss.ts, HF shift, −100 ignored)
 *      + α_aux · aux(router logits of every MoE layer)          (HF or XTuner form, models/qwen3/losses.ts)
 *      + z-loss(router logits)                                  (optional, coefficient α_z)
 * g    = ∂loss/∂W for every trainable W                         (router: 'topk' true gradient or 'ste')
 * g    ← g · min(1, c / ‖g‖₂)                                   (global norm over all trainable W)
 * W    ← optimizer(W, g)                                        (AdamW or SGD with momentum)
 * ```
 *
 * Routing during training is the forward's (softmax over all E, top-k or grouped top-k,
 * renormalised): the gradient reaches the chosen experts and the router through the chosen
 * probabilities; an expert no token chose gets a zero gradient.
 *
 * Legend: B batch, T tokens, V vocabulary, L layers, E experts, G groups.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../errors.js';
import type { TextConfig } from '../io/configs/text.js';
import { hfLoadBalancingLoss, routerZLoss, xtunerBalancingLoss } from '../models/qwen3/losses.js';
import { Qwen3TextModel } from '../models/qwen3/model.js';
import { type ExpertLoad, expertLoad, type RouterOutput } from '../models/qwen3/routing.js';
import { causalLmLoss } from './loss.js';
import { Optimizer, type OptimizerOptions } from './optim.js';
import { TextParams, type TextParamsOptions } from './params.js';

/** One batch: token ids `[B, T]`, and labels `[B, T]` (default: the ids; −100 = ignored). */
export interface TrainBatch {
  /** Token ids `[B][T]` (every row the same length). */
  inputIds: readonly (readonly number[])[];
  /** Labels `[B][T]`, −100 to ignore a position (default: `inputIds`, as HF's causal-LM training). */
  labels?: readonly (readonly number[])[];
}

/** Options of the loss (shared by {@link lossAndGrads} and {@link trainStep}). */
export interface LossOptions {
  /** Gradient of the routing weights: `'topk'` (default, the true gradient) or `'ste'` (routing.ts). */
  routerGradient?: 'topk' | 'ste';
  /** Load-balancing loss: `'hf'` (default), `'xtuner'` or `'none'` (no effect on dense models). */
  auxLoss?: 'hf' | 'xtuner' | 'none';
  /** α_aux (default `router_aux_loss_coef` of the config, else 0.001). */
  auxLossCoef?: number;
  /** α_z of the router z-loss (default 0: off). */
  zLossCoef?: number;
}

/** Options of {@link trainStep}. */
export interface TrainStepOptions extends LossOptions {
  /** Clip the global gradient norm to this (default 1.0, the HF Trainer's; Infinity: no clipping). */
  maxGradNorm?: number;
}

/** The loss parts and the routing statistics of one batch. */
export interface LossParts {
  /** The total loss that was differentiated. */
  loss: number;
  /** The cross-entropy part. */
  ce: number;
  /** α_aux · aux (0 when off or dense). */
  aux: number;
  /** The z-loss part (0 when off). */
  z: number;
  /** Expert load per layer (null for dense layers): per expert, per group, imbalances. */
  expertLoad: (ExpertLoad | null)[];
  /** Predicted (counted) positions. */
  tokens: number;
}

/** {@link LossParts} plus the gradients by checkpoint name (the caller disposes them). */
export interface LossAndGrads extends LossParts {
  /** ∂loss/∂W for every trainable weight (zeros for an expert no token chose). */
  grads: Map<string, tf.Tensor>;
}

/** What {@link trainStep} returns. */
export interface TrainStepResult extends LossParts {
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: number;
  /** Whether the gradient was scaled down. */
  clipped: boolean;
  /** The optimizer's step count after this update. */
  step: number;
}

function checkBatch(b: TrainBatch, V: number): { B: number; T: number; labels: readonly (readonly number[])[] } {
  const ids = b.inputIds;
  if (!Array.isArray(ids) || ids.length === 0 || !Array.isArray(ids[0]) || ids[0].length < 2) {
    throw new ShapeError(`trainStep: 'inputIds' must be a non-empty [B][T] array with T >= 2 (one token predicts the next)`);
  }
  const T = ids[0].length;
  const labels = b.labels ?? ids;
  if (labels.length !== ids.length) throw new ShapeError(`trainStep: 'labels' has ${labels.length} rows, 'inputIds' ${ids.length}`);
  ids.forEach((r, i) => {
    if (r.length !== T || labels[i].length !== T) throw new ShapeError(`trainStep: row ${i} of 'inputIds' or 'labels' does not have T = ${T} entries`);
    r.forEach((v: number, t: number) => {
      if (!(Number.isInteger(v) && v >= 0 && v < V)) throw new ValueError(`trainStep: 'inputIds[${i}][${t}]' is ${v}, outside [0, ${V})`);
      const y = labels[i][t];
      // Checked here, before anything is recorded: a throw inside the recorded function would
      // strand the tensors tfjs saved for the backward pass.
      if (y !== -100 && !(Number.isInteger(y) && y >= 0 && y < V)) throw new ValueError(`trainStep: 'labels' holds ${y} at [${i}, ${t}], outside [0, ${V}) and not -100`);
    });
  });
  return { B: ids.length, T, labels };
}

/** The router's terms of the loss (scalars), from every MoE layer's outputs. */
function routerTerms(cfg: TextConfig, routers: RouterOutput[], o: LossOptions): { aux: tf.Tensor | null; z: tf.Tensor | null } {
  if (routers.length === 0 || cfg.model_type === 'qwen3') return { aux: null, z: null };
  const coef = o.auxLossCoef ?? cfg.router_aux_loss_coef ?? 0.001;
  const mode = o.auxLoss ?? 'hf';
  const logits = routers.map((r) => r.logits);
  let aux: tf.Tensor | null = null;
  if (mode === 'hf' && coef > 0) aux = tf.mul(hfLoadBalancingLoss(logits, cfg.num_experts_per_tok), coef);
  if (mode === 'xtuner' && coef > 0) aux = xtunerBalancingLoss(logits, routers.map((r) => r.indices), { alpha: coef });
  const z = (o.zLossCoef ?? 0) > 0 ? routerZLoss(logits, o.zLossCoef) : null;
  return { aux, z };
}

function checkLossOptions(o: LossOptions): void {
  if (o.routerGradient !== undefined && o.routerGradient !== 'topk' && o.routerGradient !== 'ste') throw new ValueError(`trainStep: 'routerGradient' must be 'topk' or 'ste', got '${String(o.routerGradient)}'`);
  if (o.auxLoss !== undefined && !['hf', 'xtuner', 'none'].includes(o.auxLoss)) throw new ValueError(`trainStep: 'auxLoss' must be 'hf', 'xtuner' or 'none', got '${String(o.auxLoss)}'`);
  for (const k of ['auxLossCoef', 'zLossCoef'] as const) {
    const v = o[k];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new ValueError(`trainStep: '${k}' must be a finite number >= 0, got ${v}`);
  }
}

/**
 * Loss and gradients of the text model on one batch, with respect to every trainable weight of
 * `params` (by checkpoint name, `[out, in]` as stored). Nothing is updated.
 *
 * @throws ShapeError / ValueError for a bad batch or options; ValueError for a non-finite loss.
 * @example
 * ```ts
 * import { TextParams, lossAndGrads, memoryWeights, parseConfig, tinyConfigJson, tinyTensors } from 'intern-s1-ts';
 * const json = tinyConfigJson('pro', { vocabSize: 32 });
 * const cfg = parseConfig(json);
 * const params = TextParams.fromWeights((cfg as any).text_config, memoryWeights(tinyTensors(json)));
 * const r = lossAndGrads(params, { inputIds: [[1, 2, 3, 4]] });
 * console.log(r.grads.get('lm_head.weight')!.shape); // => [32, 16]
 * for (const g of r.grads.values()) g.dispose();
 * params.dispose();
 * ```
 */
export function lossAndGrads(params: TextParams, batch: TrainBatch, opts: LossOptions = {}): LossAndGrads {
  const r = storedLossAndGrads(params, batch, opts);
  for (const [n, g] of r.grads) r.grads.set(n, params.toCheckpoint(n, g));
  return r;
}

/** {@link lossAndGrads} with each gradient in its variable's storage layout (what the optimizer updates). */
function storedLossAndGrads(params: TextParams, batch: TrainBatch, opts: LossOptions = {}): LossAndGrads {
  checkLossOptions(opts);
  const cfg = params.cfg;
  const { labels } = checkBatch(batch, cfg.vocab_size);
  const moe = cfg.model_type !== 'qwen3';
  const E = moe ? cfg.num_experts : 0;
  const G = cfg.model_type === 'interns1_pro_text' ? (cfg.router_n_groups ?? 1) : 1;
  const parts = { ce: 0, aux: 0, z: 0, tokens: 0, expertLoad: [] as (ExpertLoad | null)[] };
  const vars = params.trainableVars();
  const labelT = tf.tensor2d(labels.map((r) => Array.from(r)), undefined, 'int32');
  const f = (): tf.Scalar => {
    const model = Qwen3TextModel.fromWeights(cfg, params.source(), { prefix: params.prefix });
    const out = model.forward(batch.inputIds, undefined, undefined, { returnRouter: true, routerGradient: opts.routerGradient === 'ste' ? 'ste' : 'sparse' });
    const ce = causalLmLoss(out.logits!, labelT);
    const routers = out.router!.filter((r): r is RouterOutput => r !== null);
    const { aux, z } = routerTerms(cfg, routers, opts);
    parts.ce = ce.dataSync()[0];
    parts.aux = aux ? aux.dataSync()[0] : 0;
    parts.z = z ? z.dataSync()[0] : 0;
    parts.expertLoad = out.router!.map((r) => (r ? expertLoad(r.indices, E, G) : null));
    return tf.addN([ce, ...(aux ? [aux] : []), ...(z ? [z] : [])]) as tf.Scalar;
  };
  let res: { value: tf.Tensor; grads: tf.Tensor[] };
  try {
    res = tf.engine().gradients(f, vars, undefined, true);
  } finally {
    labelT.dispose();
  }
  const loss = res.value.dataSync()[0];
  res.value.dispose();
  const grads = new Map<string, tf.Tensor>();
  params.trainable.forEach((n, i) => grads.set(n, res.grads[i] ?? tf.zerosLike(vars[i])));
  if (!Number.isFinite(loss)) {
    for (const g of grads.values()) g.dispose();
    throw new ValueError(`trainStep: the loss is ${loss} (cross-entropy ${parts.ce}, aux ${parts.aux}, z ${parts.z}); nothing was updated`);
  }
  parts.tokens = labels.reduce((s, r) => s + r.slice(1).filter((y) => y !== -100).length, 0);
  return { loss, ...parts, grads };
}

/** Global L2 norm of gradients, and the gradients scaled to norm ≤ maxNorm (`c / (‖g‖ + 1e-6)`, PyTorch's clip_grad_norm_). */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { norm: number; clipped: boolean } {
  const norm = Math.sqrt(tf.tidy(() => tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
  if (!(norm > maxNorm) || !Number.isFinite(maxNorm)) return { norm, clipped: false };
  const s = maxNorm / (norm + 1e-6);
  for (const [n, g] of grads) {
    grads.set(n, tf.mul(g, s));
    g.dispose();
  }
  return { norm, clipped: true };
}

/** Trainable text parameters and their optimizer. */
export class TextTrainer {
  constructor(
    /** The parameters (variables by checkpoint name). */
    readonly params: TextParams,
    /** The optimizer and its state. */
    readonly optimizer: Optimizer,
  ) {}

  /** Parameters of the text model in `weights`, and an optimizer. */
  static create(cfg: TextConfig, weights: import('../io/weights.js').WeightSource, opts: TextParamsOptions & { optimizer?: OptimizerOptions } = {}): TextTrainer {
    const params = TextParams.fromWeights(cfg, weights, opts);
    return new TextTrainer(params, new Optimizer(opts.optimizer));
  }

  /** Release the parameters and the optimizer state. */
  dispose(): void {
    this.params.dispose();
    this.optimizer.dispose();
  }
}

/**
 * One training step: loss and gradients ({@link lossAndGrads}), clipping by global norm, one
 * optimizer update. On a non-finite loss or gradient norm nothing is updated (ValueError).
 *
 * @example
 * ```ts
 * import { TextTrainer, trainStep, memoryWeights, parseConfig, tinyConfigJson, tinyTensors } from 'intern-s1-ts';
 * const json = tinyConfigJson('pro', { vocabSize: 32 });
 * const trainer = TextTrainer.create((parseConfig(json) as any).text_config, memoryWeights(tinyTensors(json)), { optimizer: { lr: 1e-2 } });
 * const r = trainStep(trainer, { inputIds: [[1, 2, 3, 4, 5]] }, { routerGradient: 'ste' });
 * console.log(r.step, r.expertLoad[0]!.perGroup); // => 1, [5, 5, 5, 5]  -- each of the 5 tokens sends K/G = 1 to every group
 * trainer.dispose();
 * ```
 */
export function trainStep(trainer: TextTrainer, batch: TrainBatch, opts: TrainStepOptions = {}): TrainStepResult {
  const maxNorm = opts.maxGradNorm ?? 1;
  if (!(maxNorm > 0)) throw new ValueError(`trainStep: 'maxGradNorm' must be > 0, got ${maxNorm}`);
  const r = storedLossAndGrads(trainer.params, batch, opts);
  try {
    const { norm, clipped } = clipByGlobalNorm(r.grads, maxNorm);
    if (!Number.isFinite(norm)) throw new ValueError(`trainStep: the gradient norm is ${norm}; nothing was updated`);
    trainer.optimizer.apply(trainer.params.vars, r.grads);
    const { grads: _g, ...parts } = r;
    return { ...parts, gradNorm: norm, clipped, step: trainer.optimizer.step };
  } finally {
    for (const g of r.grads.values()) g.dispose();
  }
}
