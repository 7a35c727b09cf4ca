/**
 * The train step on wasm (issue 16, item 6): one `trainStep` (forward, loss, backward through
 * every weight, clipping, AdamW) against the forward of the same batch, B = 1, T = 256, on a tiny
 * Intern-S1-Pro-style MoE (D 64, E 16, K 4 in G 4 groups, FoPE) and on the 285M-shaped dense
 * decoder of the generation suite. Target: a step costs at most 4x the forward. Peak memory from
 * `tf.profile`. Before timing, the tiny model's loss is validated against the float64 reference.
 */
import * as tf from '@tensorflow/tfjs';
import * as refM from '../../reference/models/qwen3/model.js';
import { causalLmLoss as refCe } from '../../reference/train/loss.js';
import { checkpointLayout } from '../../src/io/layout.js';
import { parseTextConfig, type TextConfig } from '../../src/io/configs/text.js';
import { memoryWeights, type TensorInput, type WeightSource } from '../../src/io/weights.js';
import { Qwen3TextModel } from '../../src/models/qwen3/model.js';
import { TextTrainer, trainStep } from '../../src/train/step.js';
import { mulberry32, normalSamples } from '../../src/util/random.js';
import { type BenchRow, type Suite, type Target, fmt, time, useBackend, validate } from '../harness.js';

/** A random checkpoint of `cfg`: N(0, 1/fan_in) matrices, norms and FoPE coefficients near 1 / identity. */
export function randomCheckpoint(cfg: TextConfig, seed: number): WeightSource {
  const rand = mulberry32(seed);
  const t: Record<string, TensorInput> = {};
  for (const e of checkpointLayout(cfg).filter((x) => !x.optional)) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    let v: Float32Array;
    if (e.kind === 'norm') v = new Float32Array(n).fill(1);
    else if (/_coef$/.test(e.name)) {
      const K = e.shape[e.shape.length - 1];
      v = normalSamples(rand, n, 0.1);
      for (let i = 0; i < n; i++) if (Math.floor(i / K) % K === i % K) v[i] += 1;
    } else v = normalSamples(rand, n, e.name.includes('embed_tokens') ? 1 : 1 / Math.sqrt(e.shape[e.shape.length - 1]));
    t[e.name] = { dtype: 'F32', shape: e.shape, bytes: new Uint8Array(v.buffer) };
  }
  return memoryWeights(t);
}

/** The experiment's tiny Pro-style MoE (also timed here); `groups` 1 gives plain top-k routing. */
export function tinyProConfig(groups: number, vocab = 259, layers = 2): TextConfig {
  return parseTextConfig({
    model_type: 'interns1_pro_text', vocab_size: vocab, hidden_size: 64, intermediate_size: 128, num_hidden_layers: layers,
    num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, max_position_embeddings: 4096, rope_theta: 1e6, rms_norm_eps: 1e-6,
    moe_intermediate_size: 32, num_experts: 16, num_experts_per_tok: 4, router_n_groups: groups, norm_topk_prob: true,
    router_aux_loss_coef: 0.001, rope_scaling: { rope_type: 'default', fope_init_factor: 0.5, fope_sep_head: true, num_inv_freq: null },
  });
}

function dense285(layers: number): TextConfig {
  return parseTextConfig({
    model_type: 'qwen3', vocab_size: 16384, hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: layers,
    num_attention_heads: 16, num_key_value_heads: 8, head_dim: 64, max_position_embeddings: 4096, rope_theta: 1e6, rms_norm_eps: 1e-6,
  });
}

async function measure(name: string, cfg: TextConfig, w: WeightSource, T: number, quick: boolean, rows: BenchRow[], targets: Target[], check: boolean): Promise<void> {
  const rand = mulberry32(3);
  const ids = [Array.from({ length: T }, () => Math.floor(rand() * cfg.vocab_size))];
  const trainer = TextTrainer.create(cfg, w, { prefix: 'model.', optimizer: { lr: 1e-4 } });
  if (check) {
    const r = trainStep(trainer, { inputIds: ids }, { auxLoss: 'none' });
    const refLogits = refM.Qwen3TextModel.fromWeights(cfg as never, w, { prefix: 'model.' }).forward(ids).logits!;
    validate(`${name} loss`, [r.ce], [refCe(refLogits, ids)], 1e-4);
  }
  const model = Qwen3TextModel.fromWeights(cfg, w, { prefix: 'model.' });
  const forward = () => {
    const out = model.forward(ids);
    out.logits!.dataSync();
    tf.dispose([out.logits!, out.hidden]);
  };
  const stepFn = () => trainStep(trainer, { inputIds: ids });
  // --quick: one warm-up and one timed call each (a smoke run on a loaded machine), else tinybench.
  const once = async (fn: () => unknown) => {
    fn();
    const t0 = performance.now();
    fn();
    const ms = performance.now() - t0;
    return { ms, p50: ms, samples: 1 };
  };
  const fwd = quick ? await once(forward) : await time(forward, { iterations: 5, timeMs: 2000 });
  const step = quick ? await once(stepFn) : await time(stepFn, { iterations: 5, timeMs: 2000 });
  const prof = await tf.profile(() => {
    trainStep(trainer, { inputIds: ids });
  });
  const ratio = step.ms / fwd.ms;
  rows.push({ task: `${name}, B 1, T ${T}`, impl: 'forward (wasm)', ms: fwd.ms, p50: fwd.p50, samples: fwd.samples, derived: { 'tokens/s': (T * 1000) / fwd.ms } });
  rows.push({
    task: `${name}, B 1, T ${T}`, impl: 'train step (wasm)', ms: step.ms, p50: step.p50, samples: step.samples,
    derived: { 'tokens/s': (T * 1000) / step.ms, 'x forward': ratio }, extra: { 'peak MB': fmt(prof.peakBytes / 2 ** 20) },
  });
  targets.push({ description: `${name}: a train step costs at most 4x the forward (T ${T}, wasm)`, met: ratio <= 4, measured: `${fmt(ratio)}x (${fmt(step.ms)} ms vs ${fmt(fwd.ms)} ms)` });
  model.dispose();
  trainer.dispose();
}

export const suite: Suite = {
  name: 'train',
  title: 'Training: train step vs forward',
  description:
    'One trainStep (forward, cross-entropy + HF aux loss, backward through every weight, global-norm clipping, AdamW) against the ' +
    'forward of the same batch (B 1, T 256) on wasm, for the tiny Pro-style MoE of the routing experiment (D 64, E 16, K 4, G 4, ' +
    'FoPE, 2 layers) and the 285M-shaped dense decoder (hidden 1024, 20 layers, vocab 16384; 1 layer with --quick, one warm-up and one timed call). The tiny ' +
    "model's loss is validated against the float64 reference first. Peak memory: tf.profile's peakBytes of one step.",
  async run({ quick, log }) {
    await useBackend('wasm');
    const rows: BenchRow[] = [];
    const targets: Target[] = [];
    const tiny = tinyProConfig(4);
    log('tiny Pro-style MoE');
    await measure('tiny Pro MoE (D 64, E 16, K 4, G 4)', tiny, randomCheckpoint(tiny, 1), 256, quick, rows, targets, true);
    const big = dense285(quick ? 1 : 20);
    log(`dense decoder, ${big.num_hidden_layers} layers`);
    await measure(`dense decoder (hidden 1024, ${big.num_hidden_layers} layers)`, big, randomCheckpoint(big, 2), 256, quick, rows, targets, false);
    return { rows, targets };
  },
};
