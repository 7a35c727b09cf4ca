/**
 * Sparse checkpoints with the real shapes and names of the released models (issue 19), made
 * without downloading them: for each safetensors shard the header is written, then the file is
 * extended to its full size with `ftruncate` (a sparse file: the data takes no disk space and
 * reads back as zeros). Compute time does not depend on the weight values, so these files give
 * real-shape timings and memory figures. Reading a hole costs no disk I/O (the kernel returns
 * zero pages from memory): every figure measured on them says so and gives the bytes a real
 * disk would have to deliver.
 *
 *   npx tsx bench/data/sparse-checkpoint.ts <mini|s1|pro> <folder> [--force]
 *
 * - `mini`: Intern-S1-mini, 8.5 B, BF16 (Qwen3-8B text, InternViT-300M): 17 GB apparent size.
 * - `s1`: Intern-S1, 241 B, BF16 (Qwen3-MoE 235B-A22B text, InternViT-6B): 482 GB apparent size.
 * - `pro`: Intern-S1-Pro, 1 T, FP8 e4m3 with float32 `weight_scale_inv` per 128×128 block on the
 *   text projections and experts (BF16 elsewhere), the released config.json copied verbatim.
 *
 * Config numbers: spec/architecture.md section 1 (mini and s1: the keys of `tinyConfigJson` with
 * the real sizes), and the real Pro config (/work/shared/data/intern-s1-pro/config.json, or
 * `INTERN_S1_PRO_FILES`). Shards: one per decoder layer plus one for everything else, listed in
 * `model.safetensors.index.json`, so opening one layer parses one shard's header only.
 *
 * Decision: the script refuses to run unless the folder's file system reports enough free space
 * for the headers (a few MB) and writes nothing but headers; it prints the apparent size and the
 * blocks actually allocated (`du`), which must stay near the header bytes.
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/io/config.js';
import { DTYPE_BYTES, type DType } from '../../src/io/dtype.js';
import { checkpointLayout } from '../../src/io/layout.js';
import { tinyConfigJson } from '../../src/io/tiny-config.js';

/** Which released model a sparse checkpoint imitates. */
export type SparseVariant = 'mini' | 's1' | 'pro';

/** The real Pro config (the released file). */
function proConfigJson(): Record<string, unknown> {
  const dir = process.env.INTERN_S1_PRO_FILES ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/intern-s1-pro');
  const file = [path.join(dir, 'config.json'), '/work/shared/data/intern-s1-pro/config.json'].find((f) => existsSync(f));
  if (!file) throw new Error(`sparse-checkpoint: the Intern-S1-Pro config.json is needed (set INTERN_S1_PRO_FILES to its folder)`);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** config.json of a variant, with the released sizes (spec section 1). */
export function sparseConfigJson(variant: SparseVariant): Record<string, unknown> {
  if (variant === 'pro') return proConfigJson();
  const base = tinyConfigJson(variant) as { text_config: Record<string, unknown>; vision_config: Record<string, unknown> } & Record<string, unknown>;
  const text = variant === 's1'
    ? { vocab_size: 153216, hidden_size: 4096, num_hidden_layers: 94, num_attention_heads: 64, num_key_value_heads: 4, head_dim: 128, intermediate_size: 12288, moe_intermediate_size: 1536, num_experts: 128, num_experts_per_tok: 8 }
    : { vocab_size: 153216, hidden_size: 4096, num_hidden_layers: 36, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128, intermediate_size: 12288 };
  const vision = variant === 's1'
    ? { hidden_size: 3200, num_hidden_layers: 45, num_attention_heads: 25, intermediate_size: 12800 } // InternViT-6B (spec 1.2)
    : { hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096 }; // InternViT-300M
  return { ...base, text_config: { ...base.text_config, ...text, dtype: 'bfloat16' }, vision_config: { ...base.vision_config, ...vision } };
}

/** One stored tensor of a shard. */
interface Stored { name: string; dtype: DType; shape: number[] }

/** The stored tensors of a variant (FP8 weights with their scales for `pro`), grouped into shards by decoder layer. */
export function sparseShards(variant: SparseVariant, json: Record<string, unknown>): Map<string, Stored[]> {
  const cfg = parseConfig(json);
  const block = 128;
  const shards = new Map<string, Stored[]>();
  for (const e of checkpointLayout(cfg)) {
    if (e.optional) continue;
    const m = /\.layers\.(\d+)\./.exec(e.name);
    const key = m && e.name.includes('language_model') ? `layer ${m[1]}` : 'rest';
    const list = shards.get(key) ?? [];
    if (variant === 'pro' && e.fp8) {
      const [R, C] = e.shape;
      list.push({ name: e.name, dtype: 'F8_E4M3', shape: e.shape.slice() });
      list.push({ name: `${e.name}_scale_inv`, dtype: 'F32', shape: [Math.ceil(R / block), Math.ceil(C / block)] });
    } else list.push({ name: e.name, dtype: 'BF16', shape: e.shape.slice() });
    shards.set(key, list);
  }
  return shards;
}

/** The safetensors header of `tensors` (sorted names, contiguous data, padded to 8 bytes) and the data size. */
function header(tensors: Stored[], metadata: Record<string, string>): { bytes: Uint8Array; dataBytes: number } {
  const h: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const t of [...tensors].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const n = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    h[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + n] };
    off += n;
  }
  let text = JSON.stringify(h);
  text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const json = new TextEncoder().encode(text);
  const bytes = new Uint8Array(8 + json.byteLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  bytes.set(json, 8);
  return { bytes, dataBytes: off };
}

/** What {@link writeSparseCheckpoint} made. */
export interface SparseSummary {
  dir: string;
  shards: number;
  tensors: number;
  parameters: number;
  /** Apparent size of all shards (what a real download would be). */
  apparentBytes: number;
  /** Header bytes written (the only bytes on disk). */
  headerBytes: number;
  /** Blocks allocated on disk, in bytes (stat blocks × 512). */
  allocatedBytes: number;
}

/**
 * Write a sparse checkpoint folder: config.json, one shard per decoder layer plus one for the rest,
 * and the index. Refuses a folder that holds files unless `force`.
 */
export function writeSparseCheckpoint(variant: SparseVariant, dir: string, force = false): SparseSummary {
  const json = sparseConfigJson(variant);
  const shards = [...sparseShards(variant, json).entries()];
  if (existsSync(dir)) {
    if (!force && existsSync(path.join(dir, 'config.json'))) throw new Error(`sparse-checkpoint: ${dir} already holds a checkpoint (pass --force)`);
    if (force) rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  const fsStat = statfsSync(dir);
  const free = fsStat.bavail * fsStat.bsize;
  if (free < 2 ** 30) throw new Error(`sparse-checkpoint: only ${free} bytes free in ${dir}; headers alone need up to 100 MB and the check wants 1 GiB spare`);
  writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(json, null, 2)}\n`);
  const weightMap: Record<string, string> = {};
  const sum = { tensors: 0, parameters: 0, apparentBytes: 0, headerBytes: 0, allocatedBytes: 0 };
  const width = String(shards.length).padStart(5, '0');
  shards.forEach(([, tensors], i) => {
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${width}.safetensors`;
    const h = header(tensors, { format: 'pt', note: 'sparse file: real shapes, zero weights (bench/data/sparse-checkpoint.ts)' });
    const abs = path.join(dir, file);
    const fd = openSync(abs, 'w');
    try {
      writeSync(fd, h.bytes);
      ftruncateSync(fd, h.bytes.byteLength + h.dataBytes); // extends with a hole: no data blocks
    } finally {
      closeSync(fd);
    }
    const st = statSync(abs);
    sum.tensors += tensors.length;
    sum.parameters += tensors.filter((t) => !t.name.endsWith('_scale_inv')).reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    sum.apparentBytes += st.size;
    sum.headerBytes += h.bytes.byteLength;
    sum.allocatedBytes += st.blocks * 512;
    for (const t of tensors) weightMap[t.name] = file;
  });
  writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: sum.apparentBytes - sum.headerBytes }, weight_map: weightMap }));
  return { dir, shards: shards.length, ...sum };
}

function main(): void {
  const args = process.argv.slice(2);
  const [variant, dir] = args.filter((a) => !a.startsWith('--'));
  if (!['mini', 's1', 'pro'].includes(variant) || !dir) {
    console.error('usage: npx tsx bench/data/sparse-checkpoint.ts <mini|s1|pro> <folder> [--force]');
    process.exitCode = 2;
    return;
  }
  const s = writeSparseCheckpoint(variant as SparseVariant, dir, args.includes('--force'));
  const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`;
  console.log(`${variant}: ${s.dir}: ${s.shards} shards, ${s.tensors} tensors, ${(s.parameters / 1e9).toFixed(2)} B parameters, apparent ${gb(s.apparentBytes)}, headers ${(s.headerBytes / 1e6).toFixed(1)} MB, allocated on disk ${(s.allocatedBytes / 1e6).toFixed(1)} MB`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
