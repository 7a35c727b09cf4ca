import { parseArgs } from 'node:util';
import { configVariant } from '../../io/config.js';
import { type TinyDType, type TinyVariant, initTiny } from '../../io/tiny.js';
import path from 'node:path';
import { type Command, UsageError, println } from '../command.js';
import { demoCheckpoint, saveDemo } from '../demo/checkpoint.js';
import { buildDemoTokenizer } from '../demo/tokenizer.js';
import { choiceFlag, intFlag } from '../flags.js';

/** `intern-s1 init-tiny`: write a tiny random checkpoint (see `src/io/tiny.ts`). */
export const initTinyCommand: Command = {
  name: 'init-tiny',
  summary: 'write a tiny random-initialised checkpoint with the real names and a consistent config',
  help: `Usage: intern-s1 init-tiny <dir> --variant s1|mini|pro [--seed N] [--dtype f32|bf16|fp8]
                          [--vocab-size N] [--fp8-block N] [--fused-experts] [--shards N] [--force] [--json]
       intern-s1 init-tiny <dir> --variant s1|mini|pro --demo-tokenizer [--seed N] [--force] [--json]

Writes <dir>/config.json and model.safetensors (or shards and model.safetensors.index.json):
width 16, 2 layers, 8 experts, the real vocabulary, token ids, image and patch sizes, with the
checkpoint names of spec 9.1-9.3 (pro includes the vision tower model.visual.* and the
time-series tower model.time_series.*). The same options always give the same bytes.

Options:
  --variant       s1 (Qwen3-MoE + InternViT-6B style), mini (dense Qwen3 + InternViT-300M style),
                  pro (grouped MoE + FoPE + Qwen3-VL style vision + time series)
  --seed          PRNG seed (default 0)
  --dtype         f32 (default), bf16, or fp8 (text projections in FP8 e4m3 with block scales, rest BF16)
  --vocab-size    a small vocabulary (special ids move to its top; not for the real tokenizer)
  --fp8-block     FP8 scale block size (default 8)
  --fused-experts store experts as mlp.experts.gate_up_proj / down_proj (spec 9.5)
  --shards        number of safetensors shards (default 1)
  --force         replace a checkpoint already in <dir> (without it, a folder holding config.json
                  or safetensors files is refused; a file at <dir> always is)
  --demo-tokenizer  write the checkpoint of 'intern-s1 demo' instead: its tiny tokenizer files
                  (vocab.json, merges.txt, tokenizer_config.json, SMILES/PROT/XNA sentencepiece
                  models) with the vocabulary and special token ids wired to them, so that
                  'intern-s1 generate' and 'tokenize' run on the folder (F32, one file; not with
                  --vocab-size, --dtype, --fp8-block, --fused-experts or --shards)

Examples:
  intern-s1 init-tiny /tmp/tiny-pro --variant pro --seed 1
  intern-s1 init-tiny /tmp/tiny-s1 --variant s1 --dtype fp8 --shards 3
  intern-s1 init-tiny /tmp/demo-pro --variant pro --demo-tokenizer && intern-s1 generate /tmp/demo-pro --prompt hi`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        variant: { type: 'string' }, seed: { type: 'string' }, dtype: { type: 'string' }, 'vocab-size': { type: 'string' },
        'fp8-block': { type: 'string' }, 'fused-experts': { type: 'boolean' }, shards: { type: 'string' }, json: { type: 'boolean' },
        'demo-tokenizer': { type: 'boolean' }, force: { type: 'boolean' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('init-tiny needs exactly one output folder (see intern-s1 init-tiny --help)');
    if (values.variant === undefined) throw new UsageError('init-tiny needs --variant s1|mini|pro');
    const variant = choiceFlag<TinyVariant>('variant', values.variant, ['s1', 'mini', 'pro'])!;
    const seed = intFlag('seed', values.seed, { min: 0 }) ?? 0;
    if (values['demo-tokenizer']) {
      for (const k of ['vocab-size', 'dtype', 'fp8-block', 'fused-experts', 'shards'] as const) {
        if (values[k] !== undefined) throw new UsageError(`--demo-tokenizer writes the demo's F32 single-file checkpoint; it cannot be combined with --${k}`);
      }
      const tok = buildDemoTokenizer();
      const ckpt = demoCheckpoint(variant, tok, seed);
      const bytes = saveDemo(positionals[0], ckpt, tok, values.force === true);
      const files = [path.join(positionals[0], 'model.safetensors')];
      const tensors = Object.keys(ckpt.tensors).length;
      if (values.json) {
        println(io.stdout, JSON.stringify({ dir: positionals[0], variant: configVariant(ckpt.config), files, tensors, bytes, tokenizer: { vocab_size: tok.vocabSize } }, null, 2));
      } else {
        println(io.stdout, `wrote ${positionals[0]}: ${configVariant(ckpt.config)} (${ckpt.config.model_type}), ${tensors} tensors, ${(bytes / 2 ** 20).toFixed(2)} MiB in 1 file(s), with the demo tokenizer (${tok.vocabSize} ids)`);
      }
      return 0;
    }
    const s = initTiny(positionals[0], {
      variant,
      seed,
      dtype: choiceFlag<TinyDType>('dtype', values.dtype, ['f32', 'bf16', 'fp8']) ?? 'f32',
      vocabSize: intFlag('vocab-size', values['vocab-size'], { min: 16 }),
      fp8Block: intFlag('fp8-block', values['fp8-block'], { min: 1 }),
      fusedExperts: values['fused-experts'] ?? false,
      shards: intFlag('shards', values.shards, { min: 1 }) ?? 1,
      force: values.force === true,
    });
    if (values.json) {
      println(io.stdout, JSON.stringify({ dir: s.dir, variant: configVariant(s.config), files: s.files, tensors: s.tensors, bytes: s.bytes }, null, 2));
    } else {
      println(io.stdout, `wrote ${s.dir}: ${configVariant(s.config)} (${s.config.model_type}), ${s.tensors} tensors, ${(s.bytes / 2 ** 20).toFixed(2)} MiB in ${s.files.length} file(s)`);
    }
    return 0;
  },
};
