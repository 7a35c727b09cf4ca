/**
 * `intern-s1 generate <checkpoint> --prompt TEXT [--image F] [--series F --rate HZ]`: chat-format
 * the prompt, preprocess the media, and stream generated text from a checkpoint folder.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { initBackend } from '../../backend/index.js';
import { readImage } from '../../image/decode.js';
import { generate as runGenerate } from '../../models/intern-s1/generate.js';
import { InternS1ForConditionalGeneration } from '../../models/intern-s1/model.js';
import { InternS1Tokenizer } from '../../tokenizer/tokenizer.js';
import { type Command, UsageError, println } from '../command.js';
import { preparePrompt } from '../pipeline.js';
import { backendFlag, intFlag, numberFlag } from '../flags.js';
import { parseSampling, progress, stage } from '../show.js';
import { readSeriesFile } from './preprocess-series.js';

export const generate: Command = {
  name: 'generate',
  summary: 'generate text from a checkpoint for a prompt, optionally with an image and a time series',
  help: `Usage: intern-s1 generate <checkpoint-dir> --prompt TEXT [--image FILE] [--series FILE --rate HZ]
                          [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed N]
                          [--thinking] [--max-tiles N] [--backend tensorflow|wasm|cpu] [--json]

Loads the model and the tokenizer from <checkpoint-dir> (a Hugging Face folder: config.json,
*.safetensors, tokenizer files), wraps the prompt in the chat template (thinking off unless
--thinking), preprocesses the image (PNG or JPEG: InternVL tiles for Intern-S1 / mini,
native-resolution patches for Intern-S1-Pro) and the series (.csv with one column per channel, or
.npy; Intern-S1-Pro), and streams the generated text to standard output. Greedy unless
--temperature is given. --json prints one object with the ids, the text and timings instead.

Examples:
  intern-s1 generate ./Intern-S1-mini --prompt 'What is the boiling point of ethanol?'
  intern-s1 generate ./Intern-S1-Pro --prompt 'Describe the image.' --image cells.png --max-new-tokens 64
  intern-s1 generate ./Intern-S1-Pro --prompt 'When does the wave arrive?' --series quake.csv --rate 100
  intern-s1 init-tiny /tmp/tiny --variant mini && intern-s1 generate /tmp/tiny --prompt hi   (needs tokenizer files)`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        prompt: { type: 'string' }, image: { type: 'string' }, series: { type: 'string' }, rate: { type: 'string' },
        'max-new-tokens': { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' },
        seed: { type: 'string' }, thinking: { type: 'boolean' }, 'max-tiles': { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('generate needs exactly one <checkpoint-dir>');
    if (values.prompt === undefined) throw new UsageError('generate needs --prompt TEXT');
    if ((values.series === undefined) !== (values.rate === undefined)) throw new UsageError('--series and --rate go together');
    const rate = numberFlag('rate', values.rate, { positive: true, unit: 'Hz' });
    const maxNew = intFlag('max-new-tokens', values['max-new-tokens'], { min: 1 }) ?? 32;
    const maxTiles = intFlag('max-tiles', values['max-tiles'], { min: 1 });
    const sampling = parseSampling(values);
    const backend = backendFlag(values.backend);
    const quiet = values.json === true;
    const dir = positionals[0];

    await initBackend(backend);
    const image = values.image === undefined ? undefined : readImage(values.image);
    const seriesFile = values.series === undefined ? undefined : readSeriesFile(values.series);
    const tokenizer = InternS1Tokenizer.fromDir(dir);
    const model = progress(io, `loading ${dir}`, () => InternS1ForConditionalGeneration.fromCheckpoint(dir, { vision: image !== undefined, timeSeries: seriesFile !== undefined }));
    const signal = seriesFile ? tf.tensor2d(Float32Array.from(seriesFile.data), [seriesFile.T, seriesFile.C]) : undefined;
    try {
      const prep = preparePrompt(model, tokenizer, {
        text: values.prompt, image, thinking: values.thinking === true, maxTiles,
        series: signal && rate !== undefined ? { signal, samplingRate: rate } : undefined,
      });
      try {
        if (!quiet && prep.imageGrid) stage(io, 'image', `${prep.imageGrid} -> ${prep.counts.images?.[0]} tokens`);
        if (!quiet && prep.counts.timeSeries) stage(io, 'series', `${prep.counts.timeSeries[0]} tokens`);
        const eos = tokenizer.tokenToId('<|im_end|>');
        let printed = '';
        const emitted: number[] = [];
        const res = runGenerate(model, prep.inputs, {
          maxNewTokens: maxNew, ...sampling, stopTokens: eos === undefined ? [] : [eos],
          onToken: (t) => {
            if (quiet) return;
            emitted.push(t);
            const text = tokenizer.decode(emitted.filter((x) => x !== eos));
            io.stdout.write(text.slice(printed.length));
            printed = text;
          },
        });
        const text = tokenizer.decode(res.tokens.filter((x) => x !== eos));
        if (quiet) {
          println(io.stdout, JSON.stringify({ ids: res.tokens, text, finish_reason: res.finishReason, prompt_tokens: res.promptTokens, prefill_ms: res.prefillMs, decode_ms: res.decodeMs }));
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
