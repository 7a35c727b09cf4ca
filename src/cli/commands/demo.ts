/**
 * `intern-s1 demo`: the whole pipeline end to end on a built-in tiny checkpoint:
 * dynamic tokenisation of a scientific prompt (SMILES + protein), image preprocessing and
 * encoding, time-series encoding, the decoder with router statistics, and streamed generation,
 * printing what happened at each stage with timings.
 *
 * One way to do each thing: a real checkpoint runs through `intern-s1 generate`, and the demo's
 * checkpoint is written to disk by `intern-s1 init-tiny --demo-tokenizer` (the demo used to have
 * `--checkpoint` and `--save` for these; issue 13 removed the duplicates).
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../../backend/index.js';
import { decodeImage } from '../../image/decode.js';
import { generate } from '../../models/intern-s1/generate.js';
import { timeSeriesPlan } from '../../models/time-series/plan.js';
import { type CliIO, type Command, println } from '../command.js';
import { demoSignal } from '../demo/media.js';
import { demoImagePng } from '../demo/media-png.js';
import { type DemoVariant, demoGenerateOptions, demoModel, demoTokenizer, disposePrepared, prepareDemo } from '../demo/run.js';
import { backendFlag, choiceFlag, intFlag } from '../flags.js';
import { formatTokens, parseSampling, progress, stage } from '../show.js';

export const demo: Command = {
  name: 'demo',
  summary: 'run the whole model end to end on a built-in tiny checkpoint (the main job)',
  help: `Usage: intern-s1 demo [--variant pro|s1|mini] [--max-new-tokens N] [--seed N]
                      [--temperature T] [--top-k K] [--top-p P] [--backend tensorflow|wasm|cpu]

Runs Intern-S1 end to end and prints every stage: the dynamic tokenizer's pieces by
sub-tokenizer (a SMILES string and a protein sequence in the prompt), the image preprocessing
(InternVL tiles for s1/mini, native-resolution patches for pro) and its token count, the
time-series encoder's token count (pro), the decoder's expert load per layer, and a few streamed
generated tokens, with timings.

It builds, in memory and deterministically, a tiny random checkpoint of --variant (default pro:
grouped MoE routing, FoPE, vision and time-series towers) and a tiny tokenizer of the same shape
as the real one (byte-level BPE + SMILES/PROT/XNA sentencepiece models) learned from built-in
text. The weights are random, so the generated text is noise: the demo shows the machinery, not
an answer.

To run a real checkpoint, use 'intern-s1 generate <checkpoint-dir> --prompt ...'. To write the
demo's checkpoint and tokenizer as a Hugging Face folder, use
'intern-s1 init-tiny <dir> --variant pro --demo-tokenizer'.

Examples:
  intern-s1 demo
  intern-s1 demo --variant s1 --max-new-tokens 4 --temperature 0.7 --top-p 0.9
  intern-s1 init-tiny /tmp/tiny-pro --variant pro --demo-tokenizer && intern-s1 generate /tmp/tiny-pro --prompt 'Hello'`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        variant: { type: 'string' }, 'max-new-tokens': { type: 'string' }, seed: { type: 'string' },
        temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' }, backend: { type: 'string' },
      },
    });
    const variant = choiceFlag('variant', values.variant, ['pro', 's1', 'mini'] as const) ?? 'pro';
    const maxNew = intFlag('max-new-tokens', values['max-new-tokens'], { min: 1 }) ?? 8;
    const sampling = parseSampling(values);
    const backend = backendFlag(values.backend);
    const t0 = performance.now();

    const bi = await initBackend(backend);
    stage(io, 'backend', `${bi.backend}${bi.wasm ? ` (SIMD ${bi.wasm.simd ? 'on' : 'off'}, single-threaded)` : ''}`);

    const { model, tokenizer } = load(io, variant, sampling.seed ?? 0);
    try {
      const media = { image: decodeImage(demoImagePng()), signal: demoSignal() };
      const { image, signal: sig } = media;
      const prep = progress(io, 'preprocessing the image and building the prompt', () => prepareDemo(model, tokenizer, media));
      try {
        stage(io, 'image', model.vision ? `built-in ${image.width}x${image.height} PNG -> ${prep.imageGrid} -> ${prep.counts.images?.[0]} image tokens` : 'skipped (no vision tower)');
        stage(io, 'signal', model.timeSeries !== null
          ? `built-in ${sig.T} samples x ${sig.C} channels at ${sig.rate} Hz -> stride ${timeSeriesPlan(sig.T, sig.rate).stride}, ${prep.counts.timeSeries?.[0]} time-series tokens`
          : `skipped (the ${model.variant} model has no time-series tower; try --variant pro)`);
        stage(io, 'prompt', `${prep.encoding.ids.length} tokens:`);
        println(io.stdout, formatTokens(prep.encoding, io.stdout.isTTY === true));

        io.stdout.write(`[generate] `);
        const res = generate(model, prep.inputs, {
          ...demoGenerateOptions(tokenizer, maxNew, sampling),
          onToken: (t) => {
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
        disposePrepared(prep);
      }
    } finally {
      model.dispose();
    }
    return 0;
  },
};

/** The built-in tiny tokenizer and checkpoint of `variant`. */
function load(io: CliIO, variant: DemoVariant, seed: number) {
  const { demoTok, tokenizer } = progress(io, 'building the tiny demo tokenizer', () => demoTokenizer());
  stage(io, 'tokenizer', `built-in tiny dynamic tokenizer: ${demoTok.vocabSize} ids (byte-level BPE + SMILES / PROT / XNA sentencepiece)`);
  const { ckpt, model } = progress(io, `building the tiny ${variant} checkpoint (seed ${seed})`, () => demoModel(variant, demoTok, seed));
  stage(io, 'checkpoint', `built-in tiny ${variant}: ${ckpt.parameters.toLocaleString('en-US')} parameters, random weights (seed ${seed})`);
  return { model, tokenizer };
}
