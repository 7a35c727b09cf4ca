/**
 * The parity tool's backward mode (`intern-s1 run CKPT --component text.layer.N|text --grad`,
 * issue 16 item 2): gradients by checkpoint name, to compare with a PyTorch backward.
 *
 * - `text.layer.N`: inputs `hidden_states [B, T, D]`, optional `position_ids [B, T]` and
 *   `grad_hidden_states [B, T, D]` (the cotangent of the output); outputs `grad.hidden_states`
 *   (`∂⟨layer(h), g⟩/∂h`) and `grad.<name>` for every weight of layer N (and the shared FoPE
 *   coefficients `rotary_emb.{cos,sin}_coef` when the model has them).
 * - `text`: inputs `input_ids [B, T]`, `labels [B, T]` (−100 ignored); outputs `loss` (the mean
 *   shifted next-token cross-entropy, no auxiliary loss) and `grad.<name>` for every text weight.
 *
 * Routing is the forward's; `routerGradient: 'ste'` switches the router's backward (routing.ts).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import type { ComponentResult, ComponentTensor } from '../io/components.js';
import type { ModelConfig } from '../io/config.js';
import { textConfigOf } from '../io/configs/model.js';
import { textPrefix } from '../io/layout.js';
import { toFloat64 } from '../io/dtype.js';
import type { WeightSource } from '../io/weights.js';
import { Qwen3DecoderLayer } from '../models/qwen3/decoder.js';
import { TextParams } from './params.js';
import { lossAndGrads } from './step.js';

/** The components that have a backward mode. */
export const GRAD_COMPONENTS = ['text.layer.N', 'text'] as const;

function input(inputs: Record<string, ComponentTensor>, name: string, rank: number, comp: string, optional = false): { shape: number[]; values: Float64Array } | null {
  const t = inputs[name];
  if (!t) {
    if (optional) return null;
    throw new ValueError(`${comp} --grad: missing input '${name}' (inputs given: ${Object.keys(inputs).join(', ') || 'none'})`);
  }
  if (t.shape.length !== rank) throw new ValueError(`${comp} --grad: '${name}' must have rank ${rank}, got [${t.shape.join(', ')}]`);
  return { shape: t.shape.slice(), values: toFloat64(t.dtype, t.bytes) };
}

function rows(v: { shape: number[]; values: Float64Array }): number[][] {
  const [B, T] = v.shape;
  return Array.from({ length: B }, (_, b) => Array.from(v.values.subarray(b * T, (b + 1) * T)));
}

function result(t: tf.Tensor): ComponentResult {
  return { dtype: 'F32', shape: t.shape.slice(), data: Float32Array.from(t.dataSync()) };
}

/**
 * Run a component's backward mode.
 *
 * @param name - `text.layer.N` (concrete, e.g. `text.layer.3`) or `text`.
 * @param ckpt - the checkpoint's weights and parsed config.
 * @param inputs - name → `{ dtype, shape, bytes }` as read from the inputs file.
 * @param opts - `routerGradient` (`'topk'`, default, or `'ste'`).
 * @throws ValueError for another component, a missing or misshapen input, or no config.
 */
export function runGrad(
  name: string, ckpt: { weights: WeightSource; config: ModelConfig | null }, inputs: Record<string, ComponentTensor>, opts: { routerGradient?: 'topk' | 'ste' } = {},
): Record<string, ComponentResult> {
  if (!ckpt.config) throw new ValueError(`${name} --grad: needs the checkpoint's config.json`);
  const cfg = textConfigOf(ckpt.config);
  const prefix = textPrefix(ckpt.config);
  if (name === 'text') {
    const ids = rows(input(inputs, 'input_ids', 2, name)!);
    const labels = rows(input(inputs, 'labels', 2, name)!);
    const params = TextParams.fromWeights(cfg, ckpt.weights, { prefix });
    try {
      const r = lossAndGrads(params, { inputIds: ids, labels }, { auxLoss: 'none', routerGradient: opts.routerGradient });
      const out: Record<string, ComponentResult> = { loss: { dtype: 'F32', shape: [], data: Float32Array.of(r.loss) } };
      for (const [n, g] of r.grads) out[`grad.${n}`] = result(g);
      tf.dispose([...r.grads.values()]);
      return out;
    } finally {
      params.dispose();
    }
  }
  const m = /^text\.layer\.(\d+)$/.exec(name);
  if (!m) throw new ValueError(`--grad supports the components ${GRAD_COMPONENTS.join(', ')}, not '${name}'`);
  const l = Number(m[1]);
  if (l >= cfg.num_hidden_layers) throw new ValueError(`${name}: layer ${l} does not exist (num_hidden_layers = ${cfg.num_hidden_layers})`);
  return layerGrad(cfg, prefix, l, ckpt.weights, inputs, name, opts);
}

function layerGrad(
  cfg: ReturnType<typeof textConfigOf>, prefix: string, l: number, weights: WeightSource, inputs: Record<string, ComponentTensor>, name: string,
  opts: { routerGradient?: 'topk' | 'ste' },
): Record<string, ComponentResult> {
  const h = input(inputs, 'hidden_states', 3, name)!;
  const dh = input(inputs, 'grad_hidden_states', 3, name)!;
  const pos = input(inputs, 'position_ids', 2, name, true);
  if (h.shape.join() !== dh.shape.join() || h.shape[2] !== cfg.hidden_size) {
    throw new ValueError(`${name} --grad: 'hidden_states' [${h.shape.join(', ')}] and 'grad_hidden_states' [${dh.shape.join(', ')}] must both be [B, T, D = ${cfg.hidden_size}]`);
  }
  const L = `${prefix}layers.${l}.`;
  const params = TextParams.fromWeights(cfg, weights, { prefix, load: (n) => n.startsWith(L) || n.startsWith(`${prefix}rotary_emb.`) });
  const x = tf.tensor3d(Float32Array.from(h.values), h.shape as [number, number, number]);
  const g = tf.tensor3d(Float32Array.from(dh.values), dh.shape as [number, number, number]);
  try {
    const vars = params.trainableVars();
    const f = () => {
      const layer = Qwen3DecoderLayer.fromWeights(cfg, params.source(), `${prefix}layers.${l}`, { layerIndex: l, rotaryPrefix: `${prefix}rotary_emb` });
      const out = layer.forward(x, pos ? rows(pos) : undefined, undefined, { routerGradient: opts.routerGradient === 'ste' ? 'ste' : 'sparse' });
      return tf.sum(tf.mul(out.hidden, g)) as tf.Scalar;
    };
    const r = tf.engine().gradients(f, [...vars, x], undefined, true);
    r.value.dispose();
    const out: Record<string, ComponentResult> = {};
    const dx = r.grads[vars.length];
    out['grad.hidden_states'] = result(dx ?? tf.zerosLike(x));
    params.trainable.forEach((n, i) => {
      const gi = r.grads[i] ? params.toCheckpoint(n, r.grads[i]) : null;
      out[`grad.${n}`] = gi ? result(gi) : { dtype: 'F32', shape: weights.info(n).shape.slice(), data: new Float32Array(vars[i].size) };
      gi?.dispose();
    });
    if (dx) dx.dispose();
    return out;
  } finally {
    tf.dispose([x, g]);
    params.dispose();
  }
}
