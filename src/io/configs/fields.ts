/**
 * Reading one JSON object of a config with typed, validated accessors. Every failure is a
 * {@link ConfigError} naming the key by its full path (`text_config.num_experts`).
 *
 * @module
 */
import { ConfigError } from '../../errors.js';

/** Activations the library implements (`hidden_act`, `projector_hidden_act`, `activation_function`). */
export const ACTIVATIONS = ['silu', 'swish', 'gelu', 'gelu_pytorch_tanh', 'gelu_new', 'relu'] as const;

/** An activation name from {@link ACTIVATIONS}. */
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * Upper limits of the size keys of every config (issue #12 item 7), checked when the key is read,
 * before anything is allocated from it, and named in the error. They are far above the Intern-S1
 * family (94 layers, head_dim 128, width 8192, 512 experts, 155,008 ids) and low enough that a
 * config alone cannot make the library allocate a table of gigabytes. docs/guides/limits.md lists
 * them; to raise one, change it here (the values are per key name, at any depth of config.json).
 */
export const CONFIG_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  // layers
  num_hidden_layers: 1024, depth: 1024, encoder_layers: 1024,
  // heads and head width
  num_attention_heads: 1024, num_key_value_heads: 1024, num_heads: 1024, encoder_attention_heads: 1024,
  head_dim: 1024,
  // widths
  hidden_size: 65536, intermediate_size: 262144, moe_intermediate_size: 262144, out_hidden_size: 65536,
  d_model: 65536, encoder_ffn_dim: 262144, ts_adapt_in_dim: 65536, ts_adapt_out_dim: 65536, ts_hidden_dim: 65536,
  // experts and vocabulary (the tokenizer's MAX_TOKEN_ID, 2^26)
  num_experts: 65536, num_experts_per_tok: 65536, router_n_groups: 65536, vocab_size: 2 ** 26,
  // positions, images, channels
  max_position_embeddings: 2 ** 24, max_source_positions: 2 ** 20, num_position_embeddings: 2 ** 20,
  num_mel_bins: 4096, num_channels: 64, in_channels: 64, patch_size: 1024, temporal_patch_size: 64,
  spatial_merge_size: 64, image_size: 65536, image_seq_length: 2 ** 20, num_inv_freq: 1024, decoder_sparse_step: 1024,
});

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
}

/** Typed access to the keys of one config object (`path` is its place in config.json). */
export class Fields {
  private constructor(readonly json: Readonly<Record<string, unknown>>, readonly path: string) {}

  /** Wrap `json`, which must be a plain object. */
  static of(json: unknown, path: string): Fields {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new ConfigError(`config${path ? ` ${path}` : ''}: expected a JSON object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`);
    }
    return new Fields(json as Record<string, unknown>, path);
  }

  /** Full path of `key` for messages. */
  key(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  /** Throw a ConfigError about `key`. */
  fail(key: string, what: string): never {
    throw new ConfigError(`config ${this.key(key)}: ${what}`);
  }

  /** Whether `key` is present and not null. */
  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }

  private get(key: string, def: unknown): unknown {
    if (this.has(key)) return this.json[key];
    if (def === undefined) this.fail(key, 'missing required key');
    return def;
  }

  /** An integer ≥ `min` (default 1); `def` when absent (omit `def` to require it). */
  int(key: string, def?: number, min = 1): number {
    const v = this.get(key, def);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) this.fail(key, `must be an integer >= ${min}, got ${show(v)}`);
    this.checkLimit(key, v);
    return v;
  }

  /** Throw a ConfigError when `v` is above the key's {@link CONFIG_LIMITS} entry. */
  private checkLimit(key: string, v: number): void {
    const max = Object.hasOwn(CONFIG_LIMITS, key) ? CONFIG_LIMITS[key] : undefined;
    if (max !== undefined && v > max) this.fail(key, `${v} is above the limit of ${max} (CONFIG_LIMITS.${key}, docs/guides/limits.md)`);
  }

  /** An integer or null (absent → `def`). */
  intOrNull(key: string, def: number | null = null, min = 0): number | null {
    return this.has(key) ? this.int(key, undefined, min) : def;
  }

  /** A finite number (> 0 when `positive`). */
  num(key: string, def?: number, positive = true): number {
    const v = this.get(key, def);
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
      this.fail(key, `must be a finite${positive ? ' positive' : ''} number, got ${show(v)}`);
    }
    return v;
  }

  /** A boolean. */
  bool(key: string, def?: boolean): boolean {
    const v = this.get(key, def);
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${show(v)}`);
    return v;
  }

  /** A string. */
  str(key: string, def?: string): string {
    const v = this.get(key, def);
    if (typeof v !== 'string') this.fail(key, `must be a string, got ${show(v)}`);
    return v;
  }

  /** One of `allowed`. */
  oneOf<T extends string>(key: string, allowed: readonly T[], def?: T): T {
    const v = this.str(key, def);
    if (!allowed.includes(v as T)) this.fail(key, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got '${v}'`);
    return v as T;
  }

  /** An activation name the library implements. */
  act(key: string, def?: Activation): Activation {
    const v = this.str(key, def);
    if (!ACTIVATIONS.includes(v as Activation)) this.fail(key, `unknown activation '${v}' (known: ${ACTIVATIONS.join(', ')})`);
    return v as Activation;
  }

  /** A list of integers ≥ `min`. */
  intList(key: string, def?: readonly number[], min = 0): number[] {
    const v = this.get(key, def);
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isSafeInteger(x) || x < min)) {
      this.fail(key, `must be a list of integers >= ${min}, got ${show(v)}`);
    }
    return (v as number[]).slice();
  }

  /** An integer or an `[h, w]` pair (InternVL-chat writes ints, HF writes pairs), as `[h, w]`. */
  pair(key: string, def?: readonly [number, number]): [number, number] {
    const v = this.get(key, def);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) {
      this.checkLimit(key, v);
      return [v, v];
    }
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 1)) {
      this.checkLimit(key, Math.max(v[0], v[1]));
      return [v[0], v[1]];
    }
    this.fail(key, `must be a positive integer or [height, width], got ${show(v)}`);
  }

  /** A nested object, or undefined when absent. */
  sub(key: string): Fields | undefined {
    return this.has(key) ? Fields.of(this.json[key], this.key(key)) : undefined;
  }

  /** The first present key among `keys`, for aliases (`text_config` / `llm_config`). */
  alias(...keys: string[]): string | undefined {
    return keys.find((k) => this.has(k));
  }
}

/** Deep-freeze a parsed config. */
export function freeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) freeze(v);
  }
  return o;
}

/** Throw a ConfigError unless `a` is divisible by `b`, naming both keys. */
export function divisible(f: Fields, aKey: string, a: number, bKey: string, b: number, what = 'divisible by'): void {
  if (a % b !== 0) throw new ConfigError(`config ${f.key(aKey)} (${a}) is not ${what} ${f.key(bKey)} (${b})`);
}
