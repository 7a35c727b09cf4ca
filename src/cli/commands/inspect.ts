import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../backend/index.js';
import { formatBytes, measureModel, type MemoryPlan, planModelMemory } from '../../io/budget.js';
import { budgetFlag } from '../memory.js';
import { type Checkpoint, openCheckpoint } from '../../io/checkpoint.js';
import { CheckpointError, ConfigError, InternS1Error } from '../../errors.js';
import { type CheckpointReport, inspectCheckpoint } from '../../io/inspect.js';
import { type CliIO, type Command, UsageError, println } from '../command.js';
import { progressBar } from '../show.js';
import { backendFlag, intFlag } from '../flags.js';

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

/** The memory section of the report: the plan of a text-only whole-model run on the active backend. */
export interface MemoryReport {
  /** The active tfjs backend the plan is for. */
  readonly backend: string;
  /** The plan (budget, resident layers, streaming, bytes per token), or null when even streaming cannot fit. */
  readonly plan: MemoryPlan | null;
  /** Why it cannot fit (the MemoryBudgetError's message), or null. */
  readonly error: string | null;
  /** Float32 bytes of the whole text model (layers, embeddings, lm_head, norms). */
  readonly textBytes: number;
  /** Float32 bytes of the towers (vision, time series), loaded only for a prompt with media. */
  readonly towerBytes: number;
}

/** Plan a text-only run (`generate` without media, `run --component text`) of `ckpt` on the active backend. */
function memoryReport(ckpt: Checkpoint, budget: number | undefined): MemoryReport | null {
  if (!ckpt.config) return null;
  const backend = tf.getBackend();
  const f32 = (ts: readonly { elements: number }[]) => ts.reduce((a, t) => a + t.elements * 4, 0);
  const all = measureModel(ckpt.config, ckpt.weights, { vision: true, timeSeries: true });
  const textBytes = f32([all.embed, ...all.fixed, ...all.layers.flatMap((l) => [...l.dense, ...l.experts])]) + all.lmHead.elements * 4;
  try {
    return { backend, plan: planModelMemory(ckpt.config, ckpt.weights, { backend, memoryBudget: budget }), error: null, textBytes, towerBytes: f32(all.towers) };
  } catch (e) {
    if (!(e instanceof InternS1Error)) throw e;
    return { backend, plan: null, error: e.message, textBytes, towerBytes: f32(all.towers) };
  }
}

/** `0-3, 7` style ranges of sorted layer indices. */
function ranges(ls: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ls.length;) {
    let j = i;
    while (j + 1 < ls.length && ls[j + 1] === ls[j] + 1) j++;
    out.push(i === j ? `${ls[i]}` : `${ls[i]}-${ls[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

function printMemory(m: MemoryReport, layers: number, io: CliIO): void {
  const out = (s = '') => println(io.stdout, s);
  const p = m.plan;
  out(`memory (backend ${m.backend}; text model ${bytes(m.textBytes)} as float32${m.towerBytes ? `, towers ${bytes(m.towerBytes)} more when media are given` : ''}):`);
  if (!p) {
    out(`  cannot run: ${m.error}`);
    return;
  }
  out(`  budget ${formatBytes(p.budget)} (${p.source})`);
  const head = p.lmHead.mode === 'resident' ? 'lm_head resident' : `lm_head read in ${p.lmHead.slices} slices of ${p.lmHead.sliceRows} rows`;
  out(`  resident ${bytes(p.residentBytes)}: ${p.residentLayers} of ${layers} layers, embeddings ${p.embeddings === 'rows' ? 'read by rows' : 'resident'}, ${head}`);
  if (p.streamedLayers.length || p.lmHead.mode === 'sliced') {
    out(`  streamed: ${p.streamedLayers.length ? `layers ${ranges(p.streamedLayers)}` : 'no layers'}, one at a time (slot ${bytes(p.streamingBytes)}); expert cache share ${bytes(p.expertCacheBytes)}`);
  } else out('  streamed: nothing');
  out(`  per generated token: ${bytes(p.readBytesPerToken)} read from the checkpoint, ${bytes(p.decodedBytesPerToken)} decoded to float32`);
}

/** `intern-s1 inspect`: summarise a checkpoint from its headers. */
export const inspect: Command = {
  name: 'inspect',
  summary: 'summarise a checkpoint: config, parameters per component, dtypes, bytes, tensors',
  help: `Usage: intern-s1 inspect <checkpoint-dir|file.safetensors> [--json] [--groups N] [--progress]
                         [--backend tensorflow|wasm|cpu] [--memory-budget BYTES]

Reads config.json and the safetensors headers (never the tensor data) and prints: the config
summary, parameters per component (text, experts, vision, projector, time series), dtypes and
bytes, whether every tensor config.json implies is present, and the tensors grouped by name
pattern (layer and expert numbers replaced by *). A progress bar goes to stderr while the
headers of a sharded folder load (when stderr is a terminal, or with --progress). The exit
code is 1 when tensors config.json implies are missing or have another shape (an incomplete
download, a wrong config).

With a config.json it also plans a whole-model text run under the memory budget on the active
backend (--backend, else the ladder; --memory-budget, else INTERN_S1_MEMORY_BUDGET, else the
backend's default: wasm 3 GiB, cpu and tensorflow half the RAM): the resident size, which layers
stream, how lm_head and the embeddings are read, and the bytes read and decoded per generated
token; or, when even streaming cannot fit, which tensor does not (docs/guides/checkpoints.md).

Examples:
  intern-s1 inspect /models/Intern-S1-Pro
  intern-s1 inspect model.safetensors --json
  intern-s1 inspect /models/Intern-S1-mini --backend wasm --memory-budget 2G`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { json: { type: 'boolean' }, groups: { type: 'string' }, progress: { type: 'boolean' }, backend: { type: 'string' }, 'memory-budget': { type: 'string' } },
    });
    const backend = backendFlag(values.backend);
    const budget = budgetFlag(values['memory-budget']);
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
      let memory: MemoryReport | null = null;
      if (ckpt.config) {
        await initBackend(backend);
        memory = memoryReport(ckpt, budget);
      }
      if (values.json) println(io.stdout, JSON.stringify(memory ? { ...report, memory } : report, null, 2));
      else {
        printReport(report, io, maxGroups);
        if (memory) printMemory(memory, (report.config as { layers: number }).layers, io);
      }
      return report.layout && (report.layout.missing.length || report.layout.mismatched.length) ? 1 : 0;
    } finally {
      ckpt.close();
    }
  },
};
