/**
 * Browser twin of test/support/opspec.ts's test generator, swapped in for it by
 * test/browser-suite/vitest.config.ts, so that every op record of test/ops runs unchanged in
 * Chromium. The records, their cases, tolerances, samples and error inputs are the Node suite's;
 * only the reading of results differs: outputs are read with `await tensor.data()`, never
 * `dataSync()`, because on WebGPU a synchronous read goes through a canvas copy that, on
 * SwiftShader in headless Chromium 156, returns zeros and loses the device (measured: see
 * docs/guides/fast-vs-reference.md, "In the browser"). The leak check is the same.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { assertClose } from '../../support/assert-close.js';
import { ALL_BACKENDS, forEachBackend } from './backends.js';
import { makeArrays, makeTensors, type OpCase, type OpSpec } from '../../support/opspec.js';
import { runs } from '../../support/runs.js';

export type { ErrorCase, InputData, OpCase, OpSpec } from '../../support/opspec.js';

/**
 * Samples that webgpu gets wrong (tfjs-backend-webgpu 4.22 on SwiftShader, headless Chromium 156),
 * by `${op}: ${sample}` with what it gives. They run as `it.fails`: they must still fail, so a fix
 * (upstream, or a workaround in src/) turns them red here and they leave the list. Not loosened,
 * not skipped. Why the webgl workaround (backend/dispatch.ts, `nonFinite`) is not used on webgpu
 * is written there.
 */
export const KNOWN_WEBGPU_FAILURES: Readonly<Record<string, string>> = {
  'logsumexp: only -Inf gives -Inf (torch; tf.logSumExp gives NaN)': 'log(0) gives -88.03, not -Inf',
  'logsumexp: NaN propagates': 'max and exp drop NaN: +Inf instead of NaN',
  'logSoftmax: +Inf gives NaN as in PyTorch': 'Inf - Inf and exp lose NaN: -Inf instead of NaN',
};

/** Read a tensor without a synchronous GPU read. */
export async function readTensor(t: tf.Tensor): Promise<{ shape: number[]; data: ArrayLike<number> }> {
  return { shape: t.shape.slice(), data: (await t.data()) as ArrayLike<number> };
}

/** Run fast and reference on one case, read the outputs asynchronously, compare, check for leaks. */
export async function checkCase<P>(spec: OpSpec<P>, c: OpCase<P>): Promise<void> {
  const expected = spec.reference(makeArrays(c.inputs), c.params);
  const before = tf.memory().numTensors;
  const t = makeTensors(c.inputs);
  let got: tf.Tensor | tf.Tensor[] | undefined;
  try {
    got = spec.fast(t, c.params);
    const gs = Array.isArray(got) ? got : [got];
    const es = Array.isArray(expected) ? expected : [expected];
    if (gs.length !== es.length) throw new Error(`${spec.name}: ${gs.length} outputs, expected ${es.length}`);
    const tol = typeof spec.tol === 'function' ? spec.tol(c) : spec.tol;
    const read = await Promise.all(gs.map(readTensor));
    read.forEach((g, i) => assertClose(g, es[i], tol, `${spec.name} output ${i}`));
  } finally {
    tf.dispose(Object.values(t));
    if (got) tf.dispose(got);
  }
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${spec.name}: tensor leak of ${after - before}`);
}

/** The generic tests of one op record, on each browser backend of the project. */
export function runOpSpec<P>(spec: OpSpec<P>): void {
  forEachBackend((backend) => {
    it(`${spec.name}: fast == reference on random inputs`, async () => {
      await fc.assert(fc.asyncProperty(spec.cases, (c) => checkCase(spec, c)), spec.numRuns ? { numRuns: runs(spec.numRuns) } : {});
    });
    for (const s of spec.samples ?? []) {
      const known = backend === 'webgpu' ? KNOWN_WEBGPU_FAILURES[`${spec.name}: ${s.what}`] : undefined;
      if (known) it.fails(`${spec.name}: sample ${s.what} [known webgpu failure: ${known}]`, () => checkCase(spec, s.case));
      else it(`${spec.name}: sample ${s.what}`, () => checkCase(spec, s.case));
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
  }, ALL_BACKENDS);
}
