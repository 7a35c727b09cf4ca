import { parseArgs } from 'node:util';
import { configVariant } from '../../io/config.js';
import { type TinyDType, type TinyVariant, initTiny } from '../../io/tiny.js';
import { type Command, UsageError, println } from '../command.js';

function intOpt(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[], def: T): T {
  if (v === undefined) return def;
  if (!allowed.includes(v as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** `intern-s1 init-tiny`: write a tiny random checkpoint (see `src/io/tiny.ts`). */
export const initTinyCommand: Command = {
  name: 'init-tiny',
  summary: 'write a tiny random-initialised checkpoint with the real names and a consistent config',
  help: `Usage: intern-s1 init-tiny <dir> --variant s1|mini|pro [--seed N] [--dtype f32|bf16|fp8]
                          [--vocab-size N] [--fp8-block N] [--fused-experts] [--shards N] [--json]

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

Examples:
  intern-s1 init-tiny /tmp/tiny-pro --variant pro --seed 1
  intern-s1 init-tiny /tmp/tiny-s1 --variant s1 --dtype fp8 --shards 3`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        variant: { type: 'string' }, seed: { type: 'string' }, dtype: { type: 'string' }, 'vocab-size': { type: 'string' },
        'fp8-block': { type: 'string' }, 'fused-experts': { type: 'boolean' }, shards: { type: 'string' }, json: { type: 'boolean' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('init-tiny needs exactly one output folder (see intern-s1 init-tiny --help)');
    if (values.variant === undefined) throw new UsageError('init-tiny needs --variant s1|mini|pro');
    const s = initTiny(positionals[0], {
      variant: oneOf<TinyVariant>('variant', values.variant, ['s1', 'mini', 'pro'], 'pro'),
      seed: intOpt('seed', values.seed, 0) ?? 0,
      dtype: oneOf<TinyDType>('dtype', values.dtype, ['f32', 'bf16', 'fp8'], 'f32'),
      vocabSize: intOpt('vocab-size', values['vocab-size'], 16),
      fp8Block: intOpt('fp8-block', values['fp8-block'], 1),
      fusedExperts: values['fused-experts'] ?? false,
      shards: intOpt('shards', values.shards, 1) ?? 1,
    });
    if (values.json) {
      println(io.stdout, JSON.stringify({ dir: s.dir, variant: configVariant(s.config), files: s.files, tensors: s.tensors, bytes: s.bytes }, null, 2));
    } else {
      println(io.stdout, `wrote ${s.dir}: ${configVariant(s.config)} (${s.config.model_type}), ${s.tensors} tensors, ${(s.bytes / 2 ** 20).toFixed(2)} MiB in ${s.files.length} file(s)`);
    }
    return 0;
  },
};
