/**
 * Components: named, runnable pieces of a model (`text.embed`, `text.layer.N`, `vision`, ...)
 * with declared inputs and outputs, for the parity workflow of `intern-s1 run` (dump inputs from
 * PyTorch to safetensors, run one component of ours on a real checkpoint, compare the outputs).
 *
 * Model code registers its components with {@link registerComponent}; the CLI loads the modules
 * that do so from `src/cli/components/index.ts` (one line per module). {@link runComponent} checks
 * the inputs against the declaration (names, dtypes, shapes), checks that the checkpoint has the
 * weights the component needs, runs the fast path (or the float64 reference), and checks the
 * outputs. Weights are read lazily, so only the component's own tensors are loaded.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import ndarray from 'ndarray';
import type { NDArray } from '../../reference/ndarray.js';
import { toFlat } from '../../reference/ndarray.js';
import { CheckpointError, DTypeError, InternS1Error, ShapeError, ValueError } from '../errors.js';
import type { ModelConfig } from './config.js';
import { type DType, toFloat64, typedValues } from './dtype.js';
import type { WeightSource } from './weights.js';

/** Dtypes a component input may have in the inputs file. */
export type InputDType = 'F32' | 'F64' | 'I64' | 'I32';
/** Dtypes of component outputs (indices are I32). */
export type OutputDType = 'F32' | 'I32';

/**
 * A symbolic shape: numbers must match exactly, upper-case names (`T`, `D`) must agree across
 * inputs and with the component's {@link ComponentSpec.dims}, `'*'` matches any size.
 */
export type SymbolicShape = readonly (number | string)[];

/** One declared input of a parity component: its name, dtypes and shape. */
export interface ComponentInput {
  /** The input's name, the key of the tensor in the inputs file. */
  readonly name: string;
  /** Dtypes accepted in the inputs file (floats reach the fast path as float32, integers as int32). */
  readonly dtypes: readonly InputDType[];
  /** The shape (its length is the rank); omit to accept any shape. */
  readonly shape?: SymbolicShape;
  /** Alternative shapes (e.g. `['T']` or `['B', 'T']`); used when `shape` is absent. */
  readonly shapes?: readonly SymbolicShape[];
  /** When true the input may be absent; otherwise a missing input is a ValueError. */
  readonly optional?: boolean;
  /** What the input is, for listings and error messages. */
  readonly description: string;
}

/** One declared output of a parity component: its name and dtype. */
export interface ComponentOutput {
  /** The output's name, its key in the results. */
  readonly name: string;
  /** The dtype the component must return it in (checked after the run). */
  readonly dtype: OutputDType;
  /** When true the component may omit it; otherwise a missing output is an error. */
  readonly optional?: boolean;
  /** What the output is, for listings. */
  readonly description: string;
}

/** What a component's functions receive. */
export interface ComponentContext {
  /** The concrete name (`text.layer.3`). */
  readonly name: string;
  /** Integer parameters from the pattern (`{ N: 3 }` for `text.layer.N`). */
  readonly params: Readonly<Record<string, number>>;
  /** The checkpoint's weights, read lazily. */
  readonly weights: WeightSource;
  /** The checkpoint's parsed config.json (null for a bare safetensors file). */
  readonly config: ModelConfig | null;
}

/** Results of a run: float32 / int32 tensors (fast path) or float64 arrays (reference). */
export type FastOutputs = Record<string, tf.Tensor>;
/**
 * Results of a reference run: a float64 NDArray for an `F32` output, or the wrapped form for an
 * `I32` output (integer values held in a float64 NDArray).
 */
export type ReferenceOutputs = Record<string, NDArray | {
  /** Marks an integer output. */
  readonly dtype: 'I32';
  /** The integer values (float64 storage), converted to int32 in the result. */
  readonly array: NDArray;
}>;

/** A component registered for the parity tool (`intern-s1 run`): its name, inputs, outputs and dims. */
export interface ComponentSpec {
  /** Name or pattern: dot-separated, a single upper-case letter segment is an integer parameter (`text.layer.N`). */
  readonly name: string;
  /** What the component computes, for listings. */
  readonly description: string;
  /** Declared inputs, in order. */
  readonly inputs: readonly ComponentInput[];
  /** Declared outputs. */
  readonly outputs: readonly ComponentOutput[];
  /** Sizes of named dims for this checkpoint (`{ D: hidden_size }`), checked against the inputs. */
  dims?(ctx: ComponentContext): Record<string, number>;
  /** Checkpoint names the component reads (a name ending in `.` is a prefix); checked before running. */
  weightsNeeded(ctx: ComponentContext): string[];
  /** The fast path: float inputs arrive as float32 tensors, integer inputs as int32. */
  run(ctx: ComponentContext, inputs: Record<string, tf.Tensor>): FastOutputs | Promise<FastOutputs>;
  /** Optional float64 reference implementation (`run --impl reference`): inputs as float64 NDArrays. */
  reference?(ctx: ComponentContext, inputs: Record<string, NDArray>): ReferenceOutputs | Promise<ReferenceOutputs>;
}

/** A tensor read from or written to a components file. */
export interface ComponentTensor {
  /** Storage dtype of `bytes`. */
  readonly dtype: DType;
  /** Shape, row-major. */
  readonly shape: readonly number[];
  /** The data: little-endian, row-major, in `dtype`. */
  readonly bytes: Uint8Array;
}

/** An output: values in their dtype's typed array. */
export interface ComponentResult {
  /** `'F32'` (data is a Float32Array) or `'I32'` (an Int32Array). */
  readonly dtype: OutputDType;
  /** Shape, row-major. */
  readonly shape: number[];
  /** The values, row-major. */
  readonly data: Float32Array | Int32Array;
}

const registry = new Map<string, ComponentSpec>();

function patternOf(name: string): RegExp {
  const parts = name.split('.');
  if (!name || parts.some((p) => !/^([a-z0-9_]+|[A-Z])$/.test(p))) {
    throw new ValueError(`registerComponent: '${name}' must be dot-separated lower-case words, with single upper-case letters for integer parameters`);
  }
  return new RegExp(`^${parts.map((p) => (/^[A-Z]$/.test(p) ? '(\\d+)' : p)).join('\\.')}$`);
}

/**
 * Register a component (model modules call this at import time).
 *
 * @throws ValueError for a malformed name or a name already registered.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { registerComponent } from 'intern-s1-ts';
 * registerComponent({
 *   name: 'demo.double', description: 'y = 2x',
 *   inputs: [{ name: 'x', dtypes: ['F32'], description: 'any tensor' }],
 *   outputs: [{ name: 'y', dtype: 'F32', description: '2x' }],
 *   weightsNeeded: () => [],
 *   run: (_, { x }) => ({ y: tf.mul(x, 2) }),
 * });
 * ```
 */
export function registerComponent(spec: ComponentSpec): void {
  patternOf(spec.name);
  if (registry.has(spec.name)) throw new ValueError(`registerComponent: '${spec.name}' is already registered`);
  registry.set(spec.name, spec);
}

/** Every registered component, sorted by name. */
export function listComponents(): ComponentSpec[] {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The component matching a concrete name, with its parameters; undefined when none does. */
export function findComponent(name: string): {
  /** The registered component whose pattern matches. */
  spec: ComponentSpec;
  /** Integer parameters read from the name (`{ N: 3 }` for `text.layer.3`). */
  params: Record<string, number>;
} | undefined {
  for (const spec of registry.values()) {
    const m = patternOf(spec.name).exec(name);
    if (!m) continue;
    const keys = spec.name.split('.').filter((p) => /^[A-Z]$/.test(p));
    return { spec, params: Object.fromEntries(keys.map((k, i) => [k, Number(m[i + 1])])) };
  }
  return undefined;
}

/** Remove a component (tests). */
export function unregisterComponent(name: string): boolean {
  return registry.delete(name);
}

const show = (s: readonly (number | string)[]) => `[${s.join(', ')}]`;

/** Match one input's shape against its declaration, binding named dims. */
function matchShape(comp: string, inp: ComponentInput, shape: readonly number[], bound: Record<string, number>): void {
  const options = inp.shape ? [inp.shape] : inp.shapes ?? [];
  if (!options.length) return;
  const errors: string[] = [];
  for (const want of options) {
    const trial = { ...bound };
    let why = '';
    if (want.length !== shape.length) why = `rank ${shape.length}, expected ${want.length}`;
    else {
      want.forEach((w, i) => {
        if (why || w === '*') return;
        if (typeof w === 'number') { if (w !== shape[i]) why = `dim ${i} is ${shape[i]}, expected ${w}`; return; }
        if (trial[w] === undefined) trial[w] = shape[i];
        else if (trial[w] !== shape[i]) why = `dim ${i} (${w}) is ${shape[i]}, expected ${w} = ${trial[w]}`;
      });
    }
    if (!why) { Object.assign(bound, trial); return; }
    errors.push(`${show(want)}: ${why}`);
  }
  throw new ShapeError(`${comp}: input '${inp.name}' has shape ${show(shape)}, which does not fit ${errors.join('; ')}`);
}

/** Check the given inputs against the declaration; returns them in declaration order. */
function checkInputs(spec: ComponentSpec, ctx: ComponentContext, given: Record<string, ComponentTensor>): Record<string, ComponentTensor> {
  const comp = ctx.name;
  const declared = new Set(spec.inputs.map((i) => i.name));
  for (const k of Object.keys(given)) {
    if (!declared.has(k)) throw new ValueError(`${comp}: '${k}' is not an input (inputs: ${[...declared].join(', ')})`);
  }
  const bound: Record<string, number> = { ...(spec.dims?.(ctx) ?? {}) };
  const out: Record<string, ComponentTensor> = {};
  for (const inp of spec.inputs) {
    const t = given[inp.name];
    if (!t) {
      if (inp.optional) continue;
      throw new ValueError(`${comp}: missing input '${inp.name}' (${inp.description}); given: ${Object.keys(given).join(', ') || 'none'}`);
    }
    if (!inp.dtypes.includes(t.dtype as InputDType)) {
      throw new DTypeError(`${comp}: input '${inp.name}' is ${t.dtype}, expected ${inp.dtypes.join(' or ')}`);
    }
    matchShape(comp, inp, t.shape, bound);
    out[inp.name] = t;
  }
  return out;
}

/** Fail early when the checkpoint lacks a weight the component reads. */
function checkWeights(spec: ComponentSpec, ctx: ComponentContext): void {
  const needed = spec.weightsNeeded(ctx);
  const all = needed.some((n) => n.endsWith('.')) ? ctx.weights.names() : [];
  const missing = needed.filter((n) => (n.endsWith('.') ? !all.some((a) => a.startsWith(n)) : !ctx.weights.has(n)));
  if (missing.length) {
    throw new CheckpointError(`${ctx.weights.location}: component ${ctx.name} needs ${missing.length} tensor(s) the checkpoint lacks: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  }
}

function toTensor(comp: string, name: string, t: ComponentTensor): tf.Tensor {
  if (t.dtype === 'F32' || t.dtype === 'F64') return tf.tensor(Float32Array.from(typedValues(t.dtype, t.bytes) as Float32Array), t.shape.slice(), 'float32');
  const v = toFloat64(t.dtype, t.bytes);
  for (let i = 0; i < v.length; i++) {
    if (v[i] < -(2 ** 31) || v[i] >= 2 ** 31) throw new ValueError(`${comp}: input '${name}' value ${v[i]} (index ${i}) does not fit int32`);
  }
  return tf.tensor(Int32Array.from(v), t.shape.slice(), 'int32');
}

/** Check the outputs against the declaration. */
function checkOutputs<T>(spec: ComponentSpec, comp: string, outs: Record<string, T>, dtypeOf: (t: T) => OutputDType | string): void {
  const declared = new Map(spec.outputs.map((o) => [o.name, o]));
  for (const [k, t] of Object.entries(outs)) {
    const d = declared.get(k);
    if (!d) throw new InternS1Error(`${comp}: returned an undeclared output '${k}'`);
    if (dtypeOf(t) !== d.dtype) throw new InternS1Error(`${comp}: output '${k}' is ${dtypeOf(t)}, declared ${d.dtype}`);
  }
  for (const o of spec.outputs) if (!o.optional && !(o.name in outs)) throw new InternS1Error(`${comp}: did not return output '${o.name}'`);
}

/**
 * Run a registered component on named inputs.
 *
 * @param name - a concrete component name (`text.embed`, `text.layer.3`).
 * @param ckpt - the weights and (optionally) the config.
 * @param inputs - name → `{ dtype, shape, bytes }` (as read from a safetensors file).
 * @param impl - the implementation: `'fast'` (default; on the active tfjs backend) or `'reference'` (float64).
 * @returns name → `{ dtype, shape, data }`, F32 or I32.
 * @throws ValueError for an unknown component, a missing or undeclared input; DTypeError /
 *   ShapeError for an input of the wrong dtype / shape; CheckpointError for missing weights.
 */
export async function runComponent(
  name: string, ckpt: { weights: WeightSource; config: ModelConfig | null }, inputs: Record<string, ComponentTensor>, impl: 'fast' | 'reference' = 'fast',
): Promise<Record<string, ComponentResult>> {
  const found = findComponent(name);
  if (!found) throw new ValueError(`unknown component '${name}' (registered: ${listComponents().map((c) => c.name).join(', ') || 'none'})`);
  const { spec, params } = found;
  const ctx: ComponentContext = { name, params, weights: ckpt.weights, config: ckpt.config };
  const checked = checkInputs(spec, ctx, inputs);
  checkWeights(spec, ctx);
  if (impl === 'reference') {
    if (!spec.reference) throw new ValueError(`${name}: has no reference implementation (use the fast one)`);
    const arrays = Object.fromEntries(Object.entries(checked).map(([k, t]) => [k, ndarray(toFloat64(t.dtype, t.bytes), t.shape.slice())]));
    const outs = await spec.reference(ctx, arrays);
    checkOutputs(spec, name, outs, (t) => ('array' in t ? 'I32' : 'F32'));
    return Object.fromEntries(Object.entries(outs).map(([k, t]) => {
      const a = 'array' in t ? t.array : (t as NDArray);
      const dtype: OutputDType = 'array' in t ? 'I32' : 'F32';
      return [k, { dtype, shape: a.shape.slice(), data: dtype === 'I32' ? Int32Array.from(toFlat(a)) : Float32Array.from(toFlat(a)) }];
    }));
  }
  const tensors: Record<string, tf.Tensor> = {};
  let outs: FastOutputs = {};
  try {
    for (const [k, t] of Object.entries(checked)) tensors[k] = toTensor(name, k, t);
    outs = await spec.run(ctx, tensors);
    checkOutputs(spec, name, outs, (t) => ({ float32: 'F32', int32: 'I32' })[t.dtype as 'float32' | 'int32'] ?? t.dtype);
    return Object.fromEntries(Object.entries(outs).map(([k, t]) => {
      const data = t.dataSync();
      return [k, { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: t.shape.slice(), data: t.dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data) }];
    }));
  } finally {
    tf.dispose(Object.values(tensors));
    tf.dispose(Object.values(outs).filter((t) => !Object.values(tensors).includes(t)));
  }
}
