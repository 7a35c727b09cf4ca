/**
 * Generation throughput: prefill and decode tokens/s of the whole model with the KV cache on
 * wasm, for the built-in tiny Intern-S1-Pro of the demo (with its image and signal) and for a
 * 300M-parameter-shaped random dense decoder (hidden 1024, 20 layers, 16/8 heads, ffn 3072,
 * vocab 16384); the float64 reference (full recompute per token) on the tiny model for scale.
 * Before timing, the cached fast tokens are checked against the uncached fast path and, for the
 * tiny model, against the reference.
 */
import * as tf from '@tensorflow/tfjs';
import * as refGen from '../../reference/models/intern-s1/generate.js';
import * as refModel from '../../reference/models/intern-s1/model.js';
import { demoCheckpoint } from '../../src/cli/demo/checkpoint.js';
import { demoSignal } from '../../src/cli/demo/media.js';
import { demoImagePng } from '../../src/cli/demo/media-png.js';
import { buildDemoTokenizer } from '../../src/cli/demo/tokenizer.js';
import { preparePrompt } from '../../src/cli/pipeline.js';
import { decodeImage } from '../../src/image/decode.js';
import { parseConfig } from '../../src/io/configs/model.js';
import { checkpointLayout } from '../../src/io/layout.js';
import { memoryWeights, type TensorInput } from '../../src/io/weights.js';
import { generate, type GenerateResult } from '../../src/models/intern-s1/generate.js';
import { InternS1ForConditionalGeneration, type ModelInputs } from '../../src/models/intern-s1/model.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { mulberry32 } from '../../src/util/random.js';
import { toNd } from '../../test/support/convert.js';
import { type BenchRow, type Suite, type Target, useBackend } from '../harness.js';

/** A 300M-shaped dense Qwen3 decoder config (text only). */
export function bigConfig(layers: number) {
  return parseConfig({
    model_type: 'qwen3', vocab_size: 16384, hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: layers,
    num_attention_heads: 16, num_key_value_heads: 8, head_dim: 64, max_position_embeddings: 4096, rope_theta: 1e6,
    rms_norm_eps: 1e-6, tie_word_embeddings: false, hidden_act: 'silu',
  });
}

/** Uniform(-a, a) weights with a = 0.04 (std ≈ 0.023), norms at 1, as F32 bytes: fast to build at 300M. */
export function randomWeights(cfg: ReturnType<typeof bigConfig>): { weights: ReturnType<typeof memoryWeights>; params: number } {
  const rand = mulberry32(5);
  const t: Record<string, TensorInput> = {};
  let params = 0;
  for (const e of checkpointLayout(cfg)) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    params += n;
    const v = new Float32Array(n);
    if (e.kind === 'norm') v.fill(1);
    else for (let i = 0; i < n; i++) v[i] = (rand() * 2 - 1) * 0.04;
    t[e.name] = { dtype: 'F32', shape: e.shape, bytes: new Uint8Array(v.buffer) };
  }
  return { weights: memoryWeights(t), params };
}

function row(task: string, impl: string, r: GenerateResult, params?: number): BenchRow {
  const decodeTps = r.tokens.length > 1 ? (r.tokens.length - 1) / (r.decodeMs / 1000) : NaN;
  return {
    task, impl, ms: r.prefillMs + r.decodeMs,
    derived: { 'prefill tokens/s': r.promptTokens / (r.prefillMs / 1000), 'decode tokens/s': decodeTps },
    extra: { 'prompt tokens': r.promptTokens, 'new tokens': r.tokens.length, ...(params ? { parameters: `${(params / 1e6).toFixed(0)}M` } : {}) },
  };
}

export const suite: Suite = {
  name: 'generation',
  title: 'Generation tokens/s (whole model, KV cache, wasm)',
  description:
    'Greedy generation with the KV cache on wasm: prefill tokens/s (prompt incl. media encoders) and decode tokens/s ' +
    '(one token per step). "tiny pro" is the demo\'s built-in Intern-S1-Pro (image 80 tokens + signal 21 tokens + text); ' +
    '"300M dense" is a random Qwen3 decoder with hidden 1024, 20 layers, 16/8 heads, ffn 3072, vocab 16384. The float64 ' +
    'reference recomputes the whole sequence for every token (no cache). Validation: cached tokens == uncached tokens ' +
    '(and == reference tokens for the tiny model) before timing.',
  async run({ quick, log }) {
    await useBackend('wasm');
    const rows: BenchRow[] = [];
    const targets: Target[] = [];
    const newTokens = quick ? 4 : 16;

    // Tiny Intern-S1-Pro with the demo's media.
    const dt = buildDemoTokenizer();
    const tok = InternS1Tokenizer.fromFiles(dt.files);
    const ck = demoCheckpoint('pro', dt, 0);
    const model = InternS1ForConditionalGeneration.fromWeights(ck.config, ck.weights);
    const sig = demoSignal();
    const signal = tf.tensor2d(sig.data, [sig.T, sig.C]);
    const prep = preparePrompt(model, tok, { text: 'Describe C1=CC=C(C=C1)C=O and <protein>MKTAYIAKQR</protein>.', image: decodeImage(demoImagePng()), series: { signal, samplingRate: sig.rate } });
    generate(model, prep.inputs, { maxNewTokens: 2 }); // warm-up: wasm kernels and JIT, not timed
    const fastTiny = generate(model, prep.inputs, { maxNewTokens: newTokens });
    const uncached = generate(model, prep.inputs, { maxNewTokens: newTokens, useCache: false });
    if (uncached.tokens.join() !== fastTiny.tokens.join()) throw new Error('generation: cached and uncached tokens differ');
    const rm = refModel.InternS1ForConditionalGeneration.fromWeights(ck.config as never, ck.weights);
    const refInputs = {
      inputIds: prep.inputs.inputIds,
      images: { pixelValues: toNd(prep.inputs.images!.pixelValues), gridThw: prep.inputs.images!.gridThw },
      series: [{ signal: toNd(signal), samplingRate: sig.rate }],
    } as refModel.ModelInputs;
    const refN = quick ? 2 : 3;
    const r0 = performance.now();
    const refRes = refGen.generate(rm, refInputs, { maxNewTokens: refN });
    const refMs = performance.now() - r0;
    if (refRes.tokens.join() !== fastTiny.tokens.slice(0, refN).join()) throw new Error('generation: fast and reference tokens differ');
    log(`tiny pro: ${fastTiny.tokens.length} tokens validated`);
    rows.push(row('tiny pro (media prompt)', 'fast (wasm), KV cache', fastTiny, ck.parameters));
    rows.push(row('tiny pro (media prompt)', 'fast (wasm), recompute', uncached, ck.parameters));
    rows.push({ task: 'tiny pro (media prompt)', impl: 'reference (float64, recompute)', ms: refMs, derived: { 'tokens/s overall': refN / (refMs / 1000) }, extra: { 'prompt tokens': refRes.promptTokens, 'new tokens': refN } });
    tf.dispose(prep.owned);
    signal.dispose();
    model.dispose();

    // 300M-shaped dense decoder.
    const cfg = bigConfig(quick ? 4 : 20);
    log('building the 300M-shaped random decoder');
    const { weights, params } = randomWeights(cfg);
    const big = InternS1ForConditionalGeneration.fromWeights(cfg, weights);
    const rand = mulberry32(9);
    const prompt: ModelInputs = { inputIds: [Array.from({ length: 64 }, () => Math.floor(rand() * 16000))] };
    const check = generate(big, prompt, { maxNewTokens: 2, useCache: false }); // also the warm-up
    const res = generate(big, prompt, { maxNewTokens: newTokens });
    if (check.tokens.join() !== res.tokens.slice(0, 2).join()) throw new Error('generation: 300M cached and uncached tokens differ');
    rows.push(row(`${(params / 1e6).toFixed(0)}M dense, prompt 64`, 'fast (wasm), KV cache', res, params));
    big.dispose();
    const tps = (res.tokens.length - 1) / (res.decodeMs / 1000);
    targets.push({ description: 'the 300M-shaped decoder decodes at least 1 token/s on wasm, one core (our own sanity bar; the issue sets no number)', met: tps >= 1, measured: `${tps.toFixed(2)} tokens/s` });
    return { rows, targets };
  },
};
