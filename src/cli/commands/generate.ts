/**
 * `intern-s1 generate <checkpoint> --prompt TEXT [--image F]... [--video DIR] [--series F --rate HZ]`:
 * chat-format the prompt, preprocess the media, and stream generated text from a checkpoint folder,
 * with the checkpoint's generation_config.json as decoding defaults (as transformers does).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../backend/index.js';
import { type GenerationConfig, parseGenerationConfig, processorOptionsFromConfig } from '../../generation/config.js';
import { decodeLenient } from '../../generation/lenient.js';
import { prepareChat } from '../../generation/prompt.js';
import { readImage } from '../../image/decode.js';
import type { RgbImage } from '../../image/types.js';
import { generate as runGenerate } from '../../models/intern-s1/generate.js';
import { InternS1ForConditionalGeneration } from '../../models/intern-s1/model.js';
import type { ChatContentItem } from '../../tokenizer/chat.js';
import { InternS1Tokenizer } from '../../tokenizer/tokenizer.js';
import { type CliIO, type Command, UsageError, println } from '../command.js';
import { backendFlag, intFlag, numberFlag } from '../flags.js';
import { budgetFlag, planLine } from '../memory.js';
import { parseSampling, progress, stage } from '../show.js';
import { readSeriesFile } from './preprocess-series.js';

export { decodeLenient } from '../../generation/lenient.js';

/**
 * Run `generate` with a `write` callback that streams text deltas to stdout (unless `quiet`).
 * When generation throws after some text was streamed, the line is ended first, so the one-line
 * error that follows is not glued onto the streamed text (issue #12 item 14).
 */
export function streamed<R>(io: CliIO, quiet: boolean, generate: (write: (text: string) => void) => R): R {
  let printed = false;
  try {
    return generate((text) => {
      if (quiet || text.length === 0) return;
      io.stdout.write(text);
      printed = true;
    });
  } catch (e) {
    if (printed) println(io.stdout);
    throw e;
  }
}

/** The frames of a video folder: its .png / .jpg / .jpeg files in name order. */
export function readFrames(dir: string): RgbImage[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new UsageError(`--video must be a folder of frames, got '${dir}'`);
  }
  const frames = names.filter((n) => /\.(png|jpe?g)$/i.test(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (frames.length === 0) throw new UsageError(`--video: no .png or .jpg frames in '${dir}'`);
  return frames.map((n) => readImage(path.join(dir, n)));
}

/** The checkpoint's generation_config.json, or null without one. */
function readGenerationConfig(dir: string): GenerationConfig | null {
  const f = path.join(dir, 'generation_config.json');
  return existsSync(f) ? parseGenerationConfig(readFileSync(f, 'utf8'), f) : null;
}

export const generate: Command = {
  name: 'generate',
  summary: 'generate text from a checkpoint for a prompt, optionally with images, a video and a time series',
  help: `Usage: intern-s1 generate <checkpoint-dir> --prompt TEXT [--image FILE]... [--video DIR [--fps F]]
                          [--series FILE --rate HZ] [--max-new-tokens N] [--temperature T] [--top-k K]
                          [--top-p P] [--min-p P] [--repetition-penalty R] [--presence-penalty A]
                          [--frequency-penalty A] [--stop TEXT]... [--max-time S] [--seed N] [--greedy]
                          [--thinking] [--max-tiles N] [--backend tensorflow|wasm|cpu]
                          [--memory-budget BYTES] [--json]

Loads the model and the tokenizer from <checkpoint-dir> (a Hugging Face folder: config.json,
*.safetensors, tokenizer files), wraps the prompt in the chat template (thinking off unless
--thinking), preprocesses the image (PNG or JPEG: InternVL tiles for Intern-S1 / mini,
native-resolution patches for Intern-S1-Pro; --image may be repeated), the video (Intern-S1-Pro: a
folder of .png / .jpg frames in name order, sampled at --fps, default 2) and the series (.csv with
one column per channel, or .npy; Intern-S1-Pro), and streams the generated text to standard output.
Decoding defaults come from the folder's generation_config.json when it has one (do_sample,
temperature, top_k, top_p, min_p, repetition_penalty, every eos_token_id), as transformers applies
them; without one, or with --greedy, decoding is greedy. Flags override the defaults; --temperature 0
is greedy. Generation stops at an eos id, a --stop string (matched on the decoded text), after
--max-new-tokens (default 32) or --max-time seconds. --json prints one object with the ids, the
text, the finish reason and timings instead.

The weights are held within a memory budget (--memory-budget 8G, else INTERN_S1_MEMORY_BUDGET,
else what the backend holds: wasm 3 GiB, cpu and tensorflow half the RAM): layers that do not
fit are read from the checkpoint and decoded at every step, then released (same tokens, slower);
a [memory] line says so. 'intern-s1 inspect <dir>' shows the plan without loading anything.

Examples:
  intern-s1 generate ./Intern-S1-mini --prompt 'What is the boiling point of ethanol?'
  intern-s1 generate ./Intern-S1-Pro --prompt 'Describe the image.' --image cells.png --max-new-tokens 64
  intern-s1 generate ./Intern-S1-Pro --prompt 'When does the wave arrive?' --series quake.csv --rate 100
  intern-s1 generate ./Intern-S1-Pro --prompt 'What changes?' --video ./frames --fps 1 --image before.png
  intern-s1 init-tiny /tmp/tiny --variant mini && intern-s1 generate /tmp/tiny --prompt hi   (needs tokenizer files)`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        prompt: { type: 'string' }, image: { type: 'string', multiple: true }, video: { type: 'string' }, fps: { type: 'string' },
        series: { type: 'string' }, rate: { type: 'string' },
        'max-new-tokens': { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' },
        'min-p': { type: 'string' }, 'repetition-penalty': { type: 'string' }, 'presence-penalty': { type: 'string' },
        'frequency-penalty': { type: 'string' }, stop: { type: 'string', multiple: true }, 'max-time': { type: 'string' }, greedy: { type: 'boolean' },
        seed: { type: 'string' }, thinking: { type: 'boolean' }, 'max-tiles': { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' },
        'memory-budget': { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('generate needs exactly one <checkpoint-dir>');
    if (values.prompt === undefined) throw new UsageError('generate needs --prompt TEXT');
    if ((values.series === undefined) !== (values.rate === undefined)) throw new UsageError('--series and --rate go together');
    const rate = numberFlag('rate', values.rate, { positive: true, unit: 'Hz' });
    const fps = numberFlag('fps', values.fps, { positive: true, unit: 'frames per second' });
    if (fps !== undefined && values.video === undefined) throw new UsageError('--fps goes with --video');
    const maxNew = intFlag('max-new-tokens', values['max-new-tokens'], { min: 1 }) ?? 32;
    const maxTiles = intFlag('max-tiles', values['max-tiles'], { min: 1 });
    const maxTime = numberFlag('max-time', values['max-time'], { positive: true, unit: 'seconds' });
    const flags = {
      ...parseSampling(values),
      minP: numberFlag('min-p', values['min-p'], { min: 0, max: 1 }),
      repetitionPenalty: numberFlag('repetition-penalty', values['repetition-penalty'], { positive: true }),
      presencePenalty: numberFlag('presence-penalty', values['presence-penalty'], { min: -2, max: 2 }),
      frequencyPenalty: numberFlag('frequency-penalty', values['frequency-penalty'], { min: -2, max: 2 }),
    };
    const stops = values.stop ?? [];
    if (stops.some((x) => x === '')) throw new UsageError('--stop needs a non-empty string');
    const backend = backendFlag(values.backend);
    const memoryBudget = budgetFlag(values['memory-budget']);
    const quiet = values.json === true;
    const dir = positionals[0];

    await initBackend(backend);
    const images = (values.image ?? []).map((f) => readImage(f));
    const frames = values.video === undefined ? undefined : readFrames(values.video);
    const seriesFile = values.series === undefined ? undefined : readSeriesFile(values.series);
    const tokenizer = InternS1Tokenizer.fromDir(dir);
    const gen = readGenerationConfig(dir);
    const model = progress(io, `loading ${dir}`, () => InternS1ForConditionalGeneration.fromCheckpoint(dir, { vision: images.length > 0 || frames !== undefined, timeSeries: seriesFile !== undefined, memoryBudget }));
    if (!quiet && model.memoryPlan) {
      const line = planLine(model.memoryPlan, model.text.cfg.num_hidden_layers);
      if (line) stage(io, 'memory', line);
    }
    const signal = seriesFile ? tf.tensor2d(Float32Array.from(seriesFile.data), [seriesFile.T, seriesFile.C]) : undefined;
    try {
      const content: ChatContentItem[] = [
        ...images.map((image) => ({ type: 'image', image })),
        ...(frames ? [{ type: 'video', video: { frames, fps: fps ?? 2 } }] : []),
        ...(signal && rate !== undefined ? [{ type: 'time_series', time_series: { signal, samplingRate: rate } }] : []),
        { type: 'text', text: values.prompt },
      ];
      const prep = prepareChat(model, tokenizer, [{ role: 'user', content }], { enableThinking: values.thinking === true, maxTiles });
      try {
        if (!quiet) {
          prep.counts.images.forEach((n, i) => stage(io, 'image', `${values.image![i]} -> ${n} tokens`));
          prep.counts.videos.forEach((n) => stage(io, 'video', `${frames!.length} frames -> ${n} tokens`));
          prep.counts.timeSeries.forEach((n) => stage(io, 'series', `${n} tokens`));
        }
        // Defaults: generation_config.json as transformers applies it (greedy without one), then the flags.
        const V = model.text.cfg.vocab_size;
        const base = gen && values.greedy !== true ? processorOptionsFromConfig(gen, V) : {};
        const sampled = flags.temperature !== undefined && flags.temperature > 0 && gen && !gen.do_sample ? processorOptionsFromConfig({ ...gen, do_sample: true }, V) : base;
        const sampling = { ...sampled, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) };
        const eos = new Set(gen?.eos_token_id ?? []);
        const imEnd = tokenizer.tokenToId('<|im_end|>');
        if (imEnd !== undefined) eos.add(imEnd);
        const decode = (ids: readonly number[]) => decodeLenient(tokenizer, ids);
        const res = streamed(io, quiet, (write) => runGenerate(model, prep.inputs, {
          maxNewTokens: maxNew, ...sampling, stopTokens: [...eos], stopStrings: stops, decode,
          maxTimeMs: maxTime === undefined ? undefined : maxTime * 1000,
          onToken: (_t, _step, text) => write(text),
        }));
        if (quiet) {
          println(io.stdout, JSON.stringify({ ids: res.tokens, text: res.text, finish_reason: res.finishReason, stop: res.stopString, prompt_tokens: res.promptTokens, prefill_ms: res.prefillMs, decode_ms: res.decodeMs }));
        } else {
          println(io.stdout);
          println(io.stderr, `(${res.tokens.length} tokens, ${res.finishReason}; prefill ${res.prefillMs.toFixed(0)} ms for ${res.promptTokens} prompt tokens, ${(res.tokens.length / Math.max(res.decodeMs / 1000, 1e-9)).toFixed(1)} tokens/s)`);
        }
      } finally {
        tf.dispose(prep.owned);
      }
    } finally {
      signal?.dispose();
      model.dispose();
    }
    return 0;
  },
};
