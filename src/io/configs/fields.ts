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
    return v;
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
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 1)) return [v[0], v[1]];
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
