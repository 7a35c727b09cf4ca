import { parseArgs } from 'node:util';
import { type Checkpoint, openCheckpoint } from '../../io/checkpoint.js';
import { CheckpointError, ConfigError } from '../../errors.js';
import { type CheckpointReport, inspectCheckpoint } from '../../io/inspect.js';
import { type CliIO, type Command, UsageError, println } from '../command.js';
import { progressBar } from '../show.js';
import { intFlag } from '../flags.js';

/** `1.23 B` / `45.6 M` / `789 K` / `12`. */
function count(n: number): string {
  for (const [s, u] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']] as const) if (n >= s) return `${(n / s).toFixed(2)} ${u}`;
  return String(n);
}

function bytes(n: number): string {
  for (const [s, u] of [[2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']] as const) if (n >= s) return `${(n / s).toFixed(2)} ${u}`;
  return `${n} B`;
}

/** A progress bar on stderr, redrawn in place. */
function headerProgress(io: CliIO): (done: number, total: number) => void {
  return (done, total) => {
    io.stderr.write(`\rreading headers ${progressBar(done, total, 30)} ${done}/${total} files${done === total ? '\n' : ''}`);
  };
}

function printReport(r: CheckpointReport, io: CliIO, maxGroups: number): void {
  const out = (s = '') => println(io.stdout, s);
  out(`checkpoint: ${r.path} (${r.files} file${r.files === 1 ? '' : 's'}, ${r.tensors} tensors, ${bytes(r.totalBytes)})`);
  if (r.config) {
    const c = r.config as Record<string, any>;
    const moe = c.moe ? `, MoE ${c.moe.experts} experts top-${c.moe.top_k}${c.moe.groups ? ` in ${c.moe.groups} groups` : ''} (ffn ${c.moe.expert_ffn})` : ', dense FFN';
    out(`config: ${c.model_type} (${c.variant})`);
    out(`  text: ${c.text_model_type}, ${c.layers} layers, width ${c.hidden_size}, heads ${c.heads}/${c.kv_heads} x ${c.head_dim}${moe}, vocab ${c.vocab_size}, rope θ ${c.rope_theta}${c.fope_frequencies ? `, FoPE K ${c.fope_frequencies}` : ''}`);
    if (c.vision) out(`  vision: ${Object.entries(c.vision).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    if ('time_series' in c) out(`  time series: ${c.time_series ? `d_model ${c.time_series.d_model}, ${c.time_series.layers} layers` : 'none'}`);
    if (c.fp8_block) out(`  fp8: e4m3, blocks ${c.fp8_block.join('x')}`);
  } else out('config: none (a bare safetensors file, or config.json was not parsed)');
  out('parameters:');
  for (const [k, v] of Object.entries(r.parameters)) if (v || k === 'total') out(`  ${k.padEnd(12)} ${count(v).padStart(10)}`);
  if (r.scales.tensors) out(`  (plus ${r.scales.tensors} FP8 scale tensors, ${bytes(r.scales.bytes)})`);
  out('dtypes:');
  for (const [d, v] of Object.entries(r.dtypes)) out(`  ${d.padEnd(8)} ${String(v.tensors).padStart(7)} tensors ${bytes(v.bytes).padStart(11)}`);
  if (r.layout) {
    const { missing, unexpected, mismatched } = r.layout;
    // "complete" only when the shapes agree too (issue #12 item 14: a config contradicting the weights)
    if (!missing.length && !unexpected.length && !mismatched.length) out('layout: every tensor config.json implies is present with its shape, none unexpected');
    else {
      out(`layout: ${missing.length} missing, ${unexpected.length} unexpected${mismatched.length ? `, ${mismatched.length} with another shape than config.json implies` : ''}`);
      for (const m of missing.slice(0, 10)) out(`  missing    ${m}`);
      for (const m of mismatched.slice(0, 10)) out(`  shape      ${m}`);
      for (const u of unexpected.slice(0, 10)) out(`  unexpected ${u}`);
    }
  }
  out(`tensors by name pattern (${r.groups.length} groups):`);
  const shown = r.groups.slice(0, maxGroups);
  const w = Math.min(80, shown.reduce((m, g) => Math.max(m, g.pattern.length), 0)); // no spread: 200k groups overflow the stack
  for (const g of shown) out(`  ${g.pattern.padEnd(w)} x${String(g.count).padEnd(6)} ${(g.shapes.length === 1 ? g.shapes[0] : `${g.shapes.length} shapes`).padEnd(20)} ${g.dtypes.join(',')}`);
  if (r.groups.length > maxGroups) out(`  ... ${r.groups.length - maxGroups} more groups (--groups N to show more)`);
}

/** `intern-s1 inspect`: summarise a checkpoint from its headers. */
export const inspect: Command = {
  name: 'inspect',
  summary: 'summarise a checkpoint: config, parameters per component, dtypes, bytes, tensors',
  help: `Usage: intern-s1 inspect <checkpoint-dir|file.safetensors> [--json] [--groups N] [--progress]

Reads config.json and the safetensors headers (never the tensor data) and prints: the config
summary, parameters per component (text, experts, vision, projector, time series), dtypes and
bytes, whether every tensor config.json implies is present, and the tensors grouped by name
pattern (layer and expert numbers replaced by *). A progress bar goes to stderr while the
headers of a sharded folder load (when stderr is a terminal, or with --progress). The exit
code is 1 when tensors config.json implies are missing or have another shape (an incomplete
download, a wrong config).

Examples:
  intern-s1 inspect /models/Intern-S1-Pro
  intern-s1 inspect model.safetensors --json`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { json: { type: 'boolean' }, groups: { type: 'string' }, progress: { type: 'boolean' } },
    });
    if (positionals.length !== 1) throw new UsageError('inspect needs exactly one checkpoint folder or file (see intern-s1 inspect --help)');
    const maxGroups = intFlag('groups', values.groups, { min: 0 }) ?? 40;
    let ckpt: Checkpoint;
    try {
      ckpt = openCheckpoint(positionals[0]);
    } catch (e) {
      // An unparsable config.json should not hide the weights: report it and inspect without it.
      if (!(e instanceof ConfigError || (e instanceof CheckpointError && /config\.json/.test(e.message)))) throw e;
      println(io.stderr, `intern-s1: warning: ${e.message}; inspecting the tensors without the config`);
      ckpt = openCheckpoint(positionals[0], { skipConfig: true });
    }
    try {
      const show = values.progress || (io.stderr.isTTY && ckpt.files.length > 1);
      const report = inspectCheckpoint(ckpt, show ? headerProgress(io) : undefined);
      if (values.json) println(io.stdout, JSON.stringify(report, null, 2));
      else printReport(report, io, maxGroups);
      return report.layout && (report.layout.missing.length || report.layout.mismatched.length) ? 1 : 0;
    } finally {
      ckpt.close();
    }
  },
};
