/**
 * The one parser of option values for every `intern-s1` command: integers, numbers and choices.
 * A value that is given but not valid is a {@link UsageError} (exit code 2) naming the flag and
 * the value, e.g. `--max-tiles must be a positive integer, got 'abc'`; an absent flag gives
 * `undefined`, so each command states its default once, at the call (`intFlag(...) ?? 12`).
 *
 * Numbers are read strictly: decimal digits only (`0x10`, `1_000`, `''`, `' 3'`, `Infinity` are
 * not numbers here, although `Number()` accepts some of them).
 *
 * @module
 */
import type { BackendName } from '../backend/index.js';
import { UsageError } from './command.js';

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Bounds of {@link intFlag}. */
export interface IntBounds {
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Largest allowed value (inclusive). */
  readonly max?: number;
}

/** `a positive integer`, `a non-negative integer`, `an integer >= 16`, `an integer from 1 to 10`. */
function intDescription({ min, max }: IntBounds): string {
  if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
  if (min === 1) return 'a positive integer';
  if (min === 0) return 'a non-negative integer';
  if (min !== undefined) return `an integer >= ${min}`;
  if (max !== undefined) return `an integer <= ${max}`;
  return 'an integer';
}

/**
 * The integer value of `--name`, or `undefined` when the flag is absent.
 *
 * @throws UsageError when `value` is not a (safe) decimal integer within `bounds`.
 */
export function intFlag(name: string, value: string | undefined, bounds: IntBounds = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const ok = INTEGER.test(value) && Number.isSafeInteger(n) && (bounds.min === undefined || n >= bounds.min) && (bounds.max === undefined || n <= bounds.max);
  if (!ok) throw new UsageError(`--${name} must be ${intDescription(bounds)}, got '${value}'`);
  return n;
}

/** Options of {@link numberFlag}. */
export interface NumberOptions {
  /** Only values > 0. */
  readonly positive?: boolean;
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Largest allowed value (inclusive). */
  readonly max?: number;
  /** Unit named in the message (`a positive number of Hz`). */
  readonly unit?: string;
}

/** `a positive number of Hz`, `a number >= 0`, `a number in (0, 1]`. */
function numberDescription({ positive, min, max, unit }: NumberOptions): string {
  const of = unit ? ` of ${unit}` : '';
  if (positive) return max !== undefined ? `a number in (0, ${max}]${of}` : `a positive number${of}`;
  if (min !== undefined && max !== undefined) return `a number in [${min}, ${max}]${of}`;
  if (min !== undefined) return `a number >= ${min}${of}`;
  if (max !== undefined) return `a number <= ${max}${of}`;
  return `a number${of}`;
}

/**
 * The finite number value of `--name`, or `undefined` when the flag is absent.
 *
 * @throws UsageError when `value` is not a finite decimal number within the bounds of `opts`.
 */
export function numberFlag(name: string, value: string | undefined, opts: NumberOptions = {}): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  const ok = DECIMAL.test(value) && Number.isFinite(x) && (!opts.positive || x > 0) && (opts.min === undefined || x >= opts.min) && (opts.max === undefined || x <= opts.max);
  if (!ok) throw new UsageError(`--${name} must be ${numberDescription(opts)}, got '${value}'`);
  return x;
}

/**
 * The value of `--name` when it is one of `allowed`, or `undefined` when the flag is absent.
 *
 * @throws UsageError naming the allowed values otherwise.
 */
export function choiceFlag<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

/** The TensorFlow.js backends `--backend` may force (the ladder of `src/backend/`). */
export const BACKEND_CHOICES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/**
 * `--backend tensorflow|wasm|cpu`: the tfjs backend to force, or `undefined` for the ladder (and
 * `INTERN_S1_BACKEND`). `reference` is not a backend: the float64 reference implementation is
 * chosen with `run --impl reference`, and the message says so.
 */
export function backendFlag(value: string | undefined): BackendName | undefined {
  if (value === 'reference') {
    throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got 'reference' (the float64 reference implementation is 'intern-s1 run --impl reference')`);
  }
  return choiceFlag('backend', value, BACKEND_CHOICES);
}
