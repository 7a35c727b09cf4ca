/**
 * Table-driven op tests (DESIGN.md convention 6, after PyTorch OpInfo / JAX op_record).
 *
 * An {@link OpSpec} is one record per op: its random cases, fast path, reference, tolerance,
 * fixed sample inputs (edge values: NaN, ±Inf, ±1000, empty) and error inputs. {@link runOpSpec}
 * turns a record into the generic tests, on every backend:
 *   - fast == reference on random cases (fast-check, seeded), with a leak check on every run;
 *   - fast == reference on the fixed samples;
 *   - each error input throws the named error class, and leaks nothing.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { NDArray } from '../../reference/ndarray.js';
import { assertClose, type Tol } from './assert-close.js';
import { forEachBackend, type TestBackend } from './backends.js';
import { type Data, dataToNd, dataToTf } from './convert.js';
import { runs } from './runs.js';

/** Data with an optional dtype (int32 inputs such as indices; bool for dtype-error cases). */
export type InputData = Data & { dtype?: 'float32' | 'int32' | 'bool' };

/** One case: named inputs plus op parameters. */
export interface OpCase<P> {
  inputs: Record<string, InputData>;
  params: P;
}

/** An error input: the op must throw `error` (message matching `message`) and leak nothing. */
export interface ErrorCase<P> {
  what: string;
  inputs: Record<string, InputData>;
  params: P;
  error: new (...a: never[]) => Error;
  message?: RegExp;
  /** Call something other than `spec.fast` (for example a variant entry point). */
  call?: (t: Record<string, tf.Tensor>, p: P) => unknown;
}

type Out<T> = T | T[];

export interface OpSpec<P> {
  name: string;
  cases: fc.Arbitrary<OpCase<P>>;
  fast: (t: Record<string, tf.Tensor>, p: P) => Out<tf.Tensor>;
  reference: (a: Record<string, NDArray>, p: P) => Out<NDArray>;
  tol: Tol | ((c: OpCase<P>) => Tol);
  samples?: { what: string; case: OpCase<P> }[];
  errors: ErrorCase<P>[];
  numRuns?: number;
  backends?: readonly TestBackend[];
}

export function makeTensors(inputs: Record<string, InputData>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, d] of Object.entries(inputs)) {
    if (d.dtype === 'bool') out[k] = tf.tensor(Uint8Array.from(d.data), d.shape, 'bool');
    else out[k] = dataToTf(d, d.dtype === 'int32' ? 'int32' : 'float32');
  }
  return out;
}

export function makeArrays(inputs: Record<string, InputData>): Record<string, NDArray> {
  const out: Record<string, NDArray> = {};
  for (const [k, d] of Object.entries(inputs)) out[k] = dataToNd(d);
  return out;
}

/** Run fast and reference on one case, compare, and check that nothing leaked. */
export function checkCase<P>(spec: OpSpec<P>, c: OpCase<P>): void {
  const expected = spec.reference(makeArrays(c.inputs), c.params);
  const before = tf.memory().numTensors;
  const t = makeTensors(c.inputs);
  let got: Out<tf.Tensor> | undefined;
  try {
    got = spec.fast(t, c.params);
    const gs = Array.isArray(got) ? got : [got];
    const es = Array.isArray(expected) ? expected : [expected];
    if (gs.length !== es.length) throw new Error(`${spec.name}: ${gs.length} outputs, expected ${es.length}`);
    const tol = typeof spec.tol === 'function' ? spec.tol(c) : spec.tol;
    gs.forEach((g, i) => assertClose(g, es[i], tol, `${spec.name} output ${i}`));
  } finally {
    tf.dispose(Object.values(t));
    if (got) tf.dispose(got);
  }
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${spec.name}: tensor leak of ${after - before}`);
}

/** Generate the generic tests for one op record. */
export function runOpSpec<P>(spec: OpSpec<P>): void {
  forEachBackend(() => {
    it(`${spec.name}: fast == reference on random inputs`, () => {
      fc.assert(fc.property(spec.cases, (c) => checkCase(spec, c)), spec.numRuns ? { numRuns: runs(spec.numRuns) } : {});
    });
    for (const s of spec.samples ?? []) {
      it(`${spec.name}: sample ${s.what}`, () => checkCase(spec, s.case));
    }
    for (const e of spec.errors) {
      it(`${spec.name}: rejects ${e.what} with ${e.error.name}`, () => {
        const before = tf.memory().numTensors;
        const t = makeTensors(e.inputs);
        let thrown: unknown;
        try {
          const r = (e.call ?? spec.fast)(t, e.params);
          tf.dispose(r as tf.TensorContainer);
        } catch (err) {
          thrown = err;
        } finally {
          tf.dispose(Object.values(t));
        }
        expect(thrown, `expected ${e.error.name}`).toBeInstanceOf(e.error);
        if (e.message) expect((thrown as Error).message).toMatch(e.message);
        expect(tf.memory().numTensors, 'no leak after the error').toBe(before);
      });
    }
  }, spec.backends);
}
