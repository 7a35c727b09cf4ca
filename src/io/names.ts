/**
 * Checkpoint name mapping (spec 9.1 table, 9.5): which stored tensor, and which view of it, a
 * canonical Hugging Face name refers to, and which canonical names a stored tensor provides.
 *
 * A {@link View} selects from a stored tensor: optionally one index of axis 0 (fused experts),
 * then optionally transposes the last two axes, then optionally keeps a row range of axis 0.
 *
 * @module
 */
import type { TensorInfo } from './weights.js';

/** How a canonical name is read from a stored tensor. */
export interface View {
  /** The stored name. */
  readonly stored: string;
  /** Select this index of axis 0 (a fused expert); the result loses axis 0. */
  readonly index?: number;
  /** Then swap the last two axes (input-major fused experts → `[out, in]`). */
  readonly transpose: boolean;
  /** Then keep rows `[a, b)` of axis 0 (a part of a fused `gate_up` or `qkv`). */
  readonly rows?: readonly [number, number];
}

/** Access to the stored tensors: existence (cheap: an index lookup) and header info (may open a shard). */
export interface Lookup {
  /** Whether a tensor is stored under the name `stored`. */
  has(stored: string): boolean;
  /** Stored shape and dtype of `stored`. */
  info(stored: string): TensorInfo;
}

/**
 * Buffers that may appear in a checkpoint and are ignored (spec 9.5): they are recomputed from
 * the config. FoPE's `rotary_emb.cos_coef` / `sin_coef` are weights and are kept.
 */
export const IGNORED_BUFFER = /(^|\.)rotary_emb\.(inv_freq|cos_cached|sin_cached)$/;

const PARTS: Record<string, string> = { i: '(\\d+)', p: '(weight|bias|weight_scale_inv)', f: '(fc1|fc2)', n: '(q_norm|k_norm)', x: '(.+)' };

/** A name template: `{i}` layer index, `{p}` weight/bias, `{f}` fc1/fc2, `{n}` q/k norm, `{x}` any rest. */
class Template {
  private readonly re: RegExp;
  private readonly keys: string[];
  constructor(readonly text: string) {
    this.keys = [...text.matchAll(/\{(\w)\}/g)].map((m) => m[1]);
    const esc = text.replace(/[.]/g, '\\.').replace(/\{(\w)\}/g, (_, k: string) => PARTS[k]);
    this.re = new RegExp(`^${esc}$`);
  }
  match(name: string): Record<string, string> | undefined {
    const m = this.re.exec(name);
    if (!m) return undefined;
    return Object.fromEntries(this.keys.map((k, j) => [k, m[j + 1]]));
  }
  fill(vars: Record<string, string>): string {
    return this.text.replace(/\{(\w)\}/g, (_, k: string) => vars[k]);
  }
}

const VIT = 'model.vision_tower.encoder.layer.{i}';
const CHAT = 'vision_model.encoder.layers.{i}';

/** InternVL-chat name → HF name (spec 9.1 table; the `language_model.*` rows are the usual InternVL-chat LM layout [I]). */
const RENAMES: readonly (readonly [Template, Template])[] = ([
  ['vision_model.embeddings.class_embedding', 'model.vision_tower.embeddings.cls_token'],
  ['vision_model.embeddings.position_embedding', 'model.vision_tower.embeddings.position_embeddings'],
  ['vision_model.embeddings.patch_embedding.{p}', 'model.vision_tower.embeddings.patch_embeddings.projection.{p}'],
  [`${CHAT}.attn.{n}.{p}`, `${VIT}.attention.{n}.{p}`],
  [`${CHAT}.attn.proj.{p}`, `${VIT}.attention.projection_layer.{p}`],
  [`${CHAT}.ls1`, `${VIT}.lambda_1`],
  [`${CHAT}.ls2`, `${VIT}.lambda_2`],
  [`${CHAT}.norm1.{p}`, `${VIT}.layernorm_before.{p}`],
  [`${CHAT}.norm2.{p}`, `${VIT}.layernorm_after.{p}`],
  [`${CHAT}.mlp.{f}.{p}`, `${VIT}.mlp.{f}.{p}`],
  ['mlp1.0.{p}', 'model.multi_modal_projector.layer_norm.{p}'],
  ['mlp1.1.{p}', 'model.multi_modal_projector.linear_1.{p}'],
  ['mlp1.3.{p}', 'model.multi_modal_projector.linear_2.{p}'],
  ['language_model.model.{x}', 'model.language_model.{x}'],
  ['language_model.lm_head.{p}', 'lm_head.{p}'],
] as const).map(([a, b]) => [new Template(a), new Template(b)] as const);

/** The fused `attn.qkv` of InternVL-chat, rows q, k, v (spec 9.1). */
const QKV_CHAT = new Template(`${CHAT}.attn.qkv.{p}`);
const QKV_HF = /^model\.vision_tower\.encoder\.layer\.(\d+)\.attention\.(q|k|v)_proj\.(weight|bias)$/;
const QKV_PART = { q: 0, k: 1, v: 2 } as const;

/** Fused experts (spec 9.5): `gate_up_proj [E, D, 2I]`, `down_proj [E, I, D]`, input-major. */
const FUSED_STORED = /^(.*\.mlp\.experts)\.(gate_up_proj|down_proj)(\.weight)?$/;
const FUSED_SCALE = /^(.*\.mlp\.experts)\.(gate_up_proj|down_proj)(\.weight)?_scale_inv$/;
const EXPERT_HF = /^(.*\.mlp\.experts)\.(\d+)\.(gate_proj|up_proj|down_proj)\.weight$/;

/** The stored name of the FP8 scale of a stored weight: `<name>_scale_inv` (spec 9.4 [I]). */
export function scaleName(stored: string): string {
  return `${stored}_scale_inv`;
}

/**
 * The canonical names a stored tensor provides: none for ignored buffers and for the scales of
 * fused experts (consumed by their weight), several for fused experts and `qkv`, else one.
 * `info` is called only for fused experts (to learn E), so listing a sharded folder opens only
 * the shards that hold them.
 */
export function canonicalNames(stored: string, info: () => TensorInfo): string[] {
  if (IGNORED_BUFFER.test(stored) || FUSED_SCALE.test(stored)) return [];
  const fused = FUSED_STORED.exec(stored);
  const shape = fused ? info().shape : undefined;
  if (fused && shape && shape.length === 3) {
    const parts = fused[2] === 'gate_up_proj' ? ['gate_proj', 'up_proj'] : ['down_proj'];
    return Array.from({ length: shape[0] }, (_, e) => parts.map((p) => `${fused[1]}.${e}.${p}.weight`)).flat();
  }
  const qkv = QKV_CHAT.match(stored);
  if (qkv && !qkv.p.endsWith('scale_inv')) {
    return ['q', 'k', 'v'].map((q) => `model.vision_tower.encoder.layer.${qkv.i}.attention.${q}_proj.${qkv.p}`);
  }
  for (const [chat, hf] of RENAMES) {
    const m = chat.match(stored);
    if (m) return [hf.fill(m)];
  }
  return [stored];
}

function fusedView(name: string, lookup: Lookup): View | undefined {
  const m = EXPERT_HF.exec(name);
  if (!m) return undefined;
  const [, prefix, e, part] = m;
  const base = `${prefix}.${part === 'down_proj' ? 'down_proj' : 'gate_up_proj'}`;
  for (const stored of [base, `${base}.weight`]) {
    const info = lookup.has(stored) ? lookup.info(stored) : undefined;
    if (!info || info.shape.length !== 3) continue;
    const index = Number(e);
    if (index >= info.shape[0]) return undefined;
    if (part === 'down_proj') return { stored, index, transpose: true };
    const I = info.shape[2] / 2;
    if (!Number.isInteger(I)) return undefined;
    return { stored, index, transpose: true, rows: part === 'gate_proj' ? [0, I] : [I, 2 * I] };
  }
  return undefined;
}

function qkvView(name: string, lookup: Lookup): View | undefined {
  const m = QKV_HF.exec(name);
  if (!m) return undefined;
  const stored = QKV_CHAT.fill({ i: m[1], p: m[3] });
  const info = lookup.has(stored) ? lookup.info(stored) : undefined;
  if (!info || info.shape.length < 1 || info.shape[0] % 3 !== 0) return undefined;
  const C = info.shape[0] / 3;
  const k = QKV_PART[m[2] as 'q' | 'k' | 'v'];
  return { stored, transpose: false, rows: [k * C, (k + 1) * C] };
}

/**
 * Resolve a canonical name to a view of a stored tensor, or undefined. Precedence: the name as
 * stored; fused experts; InternVL-chat renames; the fused InternVL-chat `qkv`.
 */
export function resolveName(name: string, lookup: Lookup): View | undefined {
  if (IGNORED_BUFFER.test(name)) return undefined;
  if (lookup.has(name)) return { stored: name, transpose: false };
  const fused = fusedView(name, lookup);
  if (fused) return fused;
  for (const [chat, hf] of RENAMES) {
    const m = hf.match(name);
    if (m && lookup.has(chat.fill(m))) return { stored: chat.fill(m), transpose: false };
  }
  return qkvView(name, lookup);
}

/** Whether a view is the stored tensor itself. */
export function isDirect(v: View): boolean {
  return v.index === undefined && !v.transpose && v.rows === undefined;
}

/** The shape a view gives for a stored shape. */
export function viewShape(v: View, stored: readonly number[]): number[] {
  let s = stored.slice();
  if (v.index !== undefined) s = s.slice(1);
  if (v.transpose) s = [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
  if (v.rows) s[0] = v.rows[1] - v.rows[0];
  return s;
}
