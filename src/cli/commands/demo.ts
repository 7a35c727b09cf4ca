/**
 * `intern-s1 demo`: the whole pipeline end to end on a built-in tiny checkpoint (or `--checkpoint`):
 * dynamic tokenisation of a scientific prompt (SMILES + protein), image preprocessing and
 * encoding, time-series encoding, the decoder with router statistics, and streamed generation,
 * printing what happened at each stage with timings.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type BackendName, initBackend } from '../../backend/index.js';
import { decodeImage } from '../../image/decode.js';
import { generate } from '../../models/intern-s1/generate.js';
import { InternS1ForConditionalGeneration } from '../../models/intern-s1/model.js';
import { timeSeriesPlan } from '../../models/time-series/plan.js';
import { InternS1Tokenizer } from '../../tokenizer/tokenizer.js';
import { type CliIO, type Command, UsageError, println } from '../command.js';
import { demoCheckpoint, saveDemo } from '../demo/checkpoint.js';
import { demoImagePng, demoSignal } from '../demo/media.js';
import { buildDemoTokenizer } from '../demo/tokenizer.js';
import { preparePrompt } from '../pipeline.js';
import { formatTokens, parseSampling, progress, stage } from '../show.js';

const PROMPT = 'Describe the molecule C1=CC=C(C=C1)C=O, then the protein <protein>MKTAYIAKQRQISFVKSHFSRQ</protein>, and what the image and the signal show.';

export const demo: Command = {
  name: 'demo',
  summary: 'run the whole model end to end on a built-in tiny checkpoint (the main job)',
  help: `Usage: intern-s1 demo [--variant pro|s1|mini] [--checkpoint DIR | --save DIR] [--max-new-tokens N] [--seed N]
                      [--temperature T] [--top-k K] [--top-p P] [--backend tensorflow|wasm|cpu]

Runs Intern-S1 end to end and prints every stage: the dynamic tokenizer's pieces by
sub-tokenizer (a SMILES string and a protein sequence in the prompt), the image preprocessing
(InternVL tiles for s1/mini, native-resolution patches for pro) and its token count, the
time-series encoder's token count (pro), the decoder's expert load per layer, and a few streamed
generated tokens, with timings.

Without --checkpoint it builds, in memory and deterministically, a tiny random checkpoint of
--variant (default pro: grouped MoE routing, FoPE, vision and time-series towers) and a tiny
tokenizer of the same shape as the real one (byte-level BPE + SMILES/PROT/XNA sentencepiece
models) learned from built-in text. The weights are random, so the generated text is noise: the
demo shows the machinery, not an answer. With --checkpoint DIR it loads a Hugging Face folder
(config.json, safetensors, and the tokenizer files).

Examples:
  intern-s1 demo
  intern-s1 demo --variant s1 --max-new-tokens 4
  intern-s1 demo --checkpoint ./Intern-S1-mini --temperature 0.7 --top-p 0.9
  intern-s1 demo --save /tmp/tiny-pro && intern-s1 generate /tmp/tiny-pro --prompt 'Hello'

--save DIR also writes the built-in checkpoint and tokenizer as a Hugging Face folder.`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        variant: { type: 'string' }, checkpoint: { type: 'string' }, 'max-new-tokens': { type: 'string' }, seed: { type: 'string' },
        temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' }, backend: { type: 'string' },
        save: { type: 'string' },
      },
    });
    const variant = values.variant ?? 'pro';
    if (!['pro', 's1', 'mini'].includes(variant)) throw new UsageError(`--variant must be pro, s1 or mini, got '${variant}'`);
    const maxNew = values['max-new-tokens'] === undefined ? 8 : Number(values['max-new-tokens']);
    if (!Number.isInteger(maxNew) || maxNew < 1) throw new UsageError(`--max-new-tokens must be a positive integer, got '${values['max-new-tokens']}'`);
    const sampling = parseSampling(values);
    const t0 = performance.now();

    const bi = await initBackend(values.backend as BackendName | undefined);
    stage(io, 'backend', `${bi.backend}${bi.wasm ? ` (SIMD ${bi.wasm.simd ? 'on' : 'off'}, single-threaded)` : ''}`);

    if (values.save !== undefined && values.checkpoint !== undefined) throw new UsageError('--save writes the built-in checkpoint; it cannot be combined with --checkpoint');
    const { model, tokenizer } = await load(io, variant as 'pro' | 's1' | 'mini', values.checkpoint, sampling.seed ?? 0, values.save);
    try {
      const image = decodeImage(demoImagePng());
      const sig = demoSignal();
      const signal = tf.tensor2d(sig.data, [sig.T, sig.C]);
      const wantSeries = model.timeSeries !== null;
      let prep;
      try {
        prep = progress(io, 'preprocessing the image and building the prompt', () => preparePrompt(model, tokenizer, {
          text: PROMPT, image: model.vision ? image : undefined, series: wantSeries ? { signal, samplingRate: sig.rate } : undefined,
        }));
      } catch (e) {
        signal.dispose();
        throw e;
      }
      try {
        stage(io, 'image', model.vision ? `built-in ${image.width}x${image.height} PNG -> ${prep.imageGrid} -> ${prep.counts.images?.[0]} image tokens` : 'skipped (no vision tower)');
        stage(io, 'signal', wantSeries
          ? `built-in ${sig.T} samples x ${sig.C} channels at ${sig.rate} Hz -> stride ${timeSeriesPlan(sig.T, sig.rate).stride}, ${prep.counts.timeSeries?.[0]} time-series tokens`
          : `skipped (the ${model.variant} model has no time-series tower; try --variant pro)`);
        stage(io, 'prompt', `${prep.encoding.ids.length} tokens:`);
        println(io.stdout, formatTokens(prep.encoding, io.stdout.isTTY === true));

        const streamed: number[] = [];
        io.stdout.write(`[generate] `);
        const res = generate(model, prep.inputs, {
          maxNewTokens: maxNew, ...sampling, returnRouter: true, stopTokens: [tokenizer.tokenToId('<|im_end|>')!].filter((x) => x !== undefined),
          onToken: (t) => {
            streamed.push(t);
            io.stdout.write(`${t} `);
          },
        });
        println(io.stdout);
        stage(io, 'media rows', Object.entries(res.mediaTokens).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none');
        const loads = res.expertLoad ?? [];
        loads.forEach((l, i) => {
          if (l) stage(io, `layer ${i} experts`, `prompt load per expert [${l.perExpert.join(' ')}], per group [${l.perGroup.join(' ')}] (group imbalance ${l.groupImbalance.toFixed(2)})`);
        });
        if (!loads.some((l) => l)) stage(io, 'experts', 'dense decoder (no routing)');
        stage(io, 'output', JSON.stringify(tokenizer.decode(res.tokens)));
        const tps = res.tokens.length / Math.max(res.decodeMs / 1000, 1e-9);
        stage(io, 'timing', `prefill ${res.prefillMs.toFixed(0)} ms for ${res.promptTokens} tokens; ${res.tokens.length} tokens in ${res.decodeMs.toFixed(0)} ms (${tps.toFixed(1)} tokens/s); finished by ${res.finishReason}; total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      } finally {
        tf.dispose(prep.owned);
        signal.dispose();
      }
    } finally {
      model.dispose();
    }
    return 0;
  },
};

async function load(io: CliIO, variant: 'pro' | 's1' | 'mini', checkpoint: string | undefined, seed: number, save: string | undefined) {
  if (checkpoint) {
    if (!existsSync(path.join(checkpoint, 'tokenizer_config.json'))) throw new UsageError(`${checkpoint}: no tokenizer_config.json (the demo needs the checkpoint's tokenizer files)`);
    const tokenizer = progress(io, `loading the tokenizer of ${checkpoint}`, () => InternS1Tokenizer.fromDir(checkpoint));
    const model = progress(io, `loading ${checkpoint}`, () => InternS1ForConditionalGeneration.fromCheckpoint(checkpoint));
    stage(io, 'checkpoint', `${checkpoint} (${model.variant})`);
    return { model, tokenizer };
  }
  const demoTok = progress(io, 'building the tiny demo tokenizer', () => buildDemoTokenizer());
  const tokenizer = InternS1Tokenizer.fromFiles(demoTok.files);
  stage(io, 'tokenizer', `built-in tiny dynamic tokenizer: ${demoTok.vocabSize} ids (byte-level BPE + SMILES / PROT / XNA sentencepiece)`);
  const ckpt = progress(io, `building the tiny ${variant} checkpoint (seed ${seed})`, () => demoCheckpoint(variant, demoTok, seed));
  if (save !== undefined) {
    progress(io, `writing the checkpoint and tokenizer to ${save}`, () => saveDemo(save, ckpt, demoTok));
    stage(io, 'saved', `${save} (config.json, model.safetensors, tokenizer files): try 'intern-s1 generate ${save} --prompt ...'`);
  }
  const model = InternS1ForConditionalGeneration.fromWeights(ckpt.config, ckpt.weights);
  stage(io, 'checkpoint', `built-in tiny ${variant}: ${ckpt.parameters.toLocaleString('en-US')} parameters, random weights (seed ${seed})`);
  return { model, tokenizer };
}
