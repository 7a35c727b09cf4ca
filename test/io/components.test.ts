/**
 * The component registry behind `intern-s1 run`: pattern names with parameters, input checks
 * (missing, undeclared, dtype, shape with named dims), weight checks, output checks, the fast and
 * reference paths, and no tensor leaks (also after errors), on cpu and wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/cli/components/text-embed.js';
import { CheckpointError, DTypeError, InternS1Error, ShapeError, ValueError } from '../../src/errors.js';
import {
  type ComponentTensor, findComponent, listComponents, registerComponent, runComponent, unregisterComponent,
} from '../../src/io/components.js';
import { parseConfig } from '../../src/io/config.js';
import { toBytes } from '../../src/io/dtype.js';
import { tinyConfigJson, tinyTensors } from '../../src/io/tiny.js';
import { memoryWeights } from '../../src/io/weights.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';

const input = (dtype: ComponentTensor['dtype'], shape: number[], values: number[]): ComponentTensor => ({ dtype, shape, bytes: toBytes(dtype, values) });

registerComponent({
  name: 'test.scale.K',
  description: 'y = K · x @ w (a test component with a parameter, named dims and an index output)',
  inputs: [
    { name: 'x', dtypes: ['F32', 'F64'], shape: ['T', 'D'], description: 'rows' },
    { name: 'bias', dtypes: ['F32'], shape: ['D'], optional: true, description: 'optional bias' },
  ],
  outputs: [{ name: 'y', dtype: 'F32', description: '[T, D]' }, { name: 'argmax', dtype: 'I32', description: '[T]' }],
  dims: () => ({ D: 2 }),
  weightsNeeded: () => ['w'],
  run: (ctx, { x, bias }) => tf.tidy(() => {
    let y = tf.mul(tf.matMul(x, ctx.weights.tensor('w')), ctx.params.K);
    if (bias) y = tf.add(y, bias);
    return { y, argmax: tf.argMax(y, 1).toInt() };
  }),
});
registerComponent({
  name: 'test.bad', description: 'returns an undeclared output', inputs: [], outputs: [{ name: 'y', dtype: 'F32', description: '' }],
  weightsNeeded: () => ['model.'], run: () => ({ z: tf.zeros([1]) }),
});
afterAll(() => { unregisterComponent('test.scale.K'); unregisterComponent('test.bad'); });

const w = memoryWeights({ w: { dtype: 'F32', shape: [2, 2], data: [1, 2, 3, 4] } });
const ck = { weights: w, config: null };

describe('registry', () => {
  it('patterns bind integer parameters; bad or duplicate names are rejected', () => {
    expect(findComponent('test.scale.12')?.params).toEqual({ K: 12 });
    expect(findComponent('test.scale.x')).toBeUndefined();
    expect(listComponents().map((c) => c.name)).toContain('text.embed');
    expect(() => registerComponent({ ...findComponent('text.embed')!.spec })).toThrow(/already registered/);
    expect(() => registerComponent({ ...findComponent('text.embed')!.spec, name: 'Text..x' })).toThrow(ValueError);
  });
});

forEachBackend(() => {
  describe('runComponent', () => {
    it('runs with parameters, F64 inputs and an I32 output, leaking nothing', async () => {
      await expectNoLeak(async () => {
        const out = await runComponent('test.scale.3', ck, { x: input('F64', [1, 2], [1, 1]) });
        expect(out.y).toEqual({ dtype: 'F32', shape: [1, 2], data: Float32Array.from([12, 18]) });
        expect(out.argmax).toEqual({ dtype: 'I32', shape: [1], data: Int32Array.from([1]) });
        const b = await runComponent('test.scale.1', ck, { x: input('F32', [1, 2], [1, 0]), bias: input('F32', [2], [10, 0]) });
        expect(Array.from(b.y.data)).toEqual([11, 2]);
      });
    });
    it('input errors: missing, undeclared, dtype, rank, named dim, int range (no leaks)', async () => {
      const run = (inputs: Record<string, ComponentTensor>, name = 'test.scale.1') => runComponent(name, ck, inputs);
      await expectThrowsNoLeak(() => run({}), ValueError, /test\.scale\.1: missing input 'x' \(rows\); given: none/);
      await expectThrowsNoLeak(() => run({ x: input('F32', [1, 2], [1, 1]), y: input('F32', [1], [1]) }), ValueError, /'y' is not an input \(inputs: x, bias\)/);
      await expectThrowsNoLeak(() => run({ x: input('I32', [1, 2], [1, 1]) }), DTypeError, /input 'x' is I32, expected F32 or F64/);
      await expectThrowsNoLeak(() => run({ x: input('F32', [2], [1, 1]) }), ShapeError, /input 'x' has shape \[2\], which does not fit \[T, D\]: rank 1, expected 2/);
      await expectThrowsNoLeak(() => run({ x: input('F32', [1, 3], [1, 1, 1]) }), ShapeError, /dim 1 \(D\) is 3, expected D = 2/);
      await expectThrowsNoLeak(() => run({ x: input('F32', [1, 2], [1, 1]), bias: input('F32', [1], [1]) }), ShapeError, /input 'bias' has shape \[1\]/);
      await expectThrowsNoLeak(() => runComponent('text.embed', ck, { input_ids: input('I64', [1], [2 ** 40]) }), CheckpointError);
      await expectThrowsNoLeak(() => run({ x: input('F32', [1, 2], [1, 1]) }, 'nope.x'), ValueError, /unknown component 'nope\.x' \(registered: .*text\.embed/);
    });
    it('missing weights and bad outputs are reported (no leaks)', async () => {
      await expectThrowsNoLeak(() => runComponent('test.scale.1', { weights: memoryWeights({}), config: null }, { x: input('F32', [1, 2], [1, 1]) }),
        CheckpointError, /component test\.scale\.1 needs 1 tensor\(s\) the checkpoint lacks: w/);
      const model = memoryWeights({ 'model.x': { dtype: 'F32', shape: [1], data: [1] } });
      await expectThrowsNoLeak(() => runComponent('test.bad', { weights: model, config: null }, {}), InternS1Error, /returned an undeclared output 'z'/);
      await expectThrowsNoLeak(() => runComponent('test.scale.1', ck, { x: input('F32', [1, 2], [1, 1]) }, 'reference'), ValueError, /has no reference implementation/);
    });
  });
  describe('text.embed', () => {
    const json = tinyConfigJson('pro', { vocabSize: 64 });
    const t = tinyTensors(json, { seed: 3, dtype: 'bf16' });
    const ckpt = { weights: memoryWeights(t), config: parseConfig(json) };
    const table = ckpt.weights.float32('model.language_model.embed_tokens.weight');
    const rows = (ids: number[]) => ids.flatMap((i) => Array.from(table.subarray(i * 16, (i + 1) * 16)));
    it('fast and reference give the embedding rows, [B, T, D] and [T, D]', async () => {
      await expectNoLeak(async () => {
        const fast = await runComponent('text.embed', ckpt, { input_ids: input('I64', [2, 2], [5, 0, 63, 5]) });
        expect(fast.embeddings.shape).toEqual([2, 2, 16]);
        expect(Array.from(fast.embeddings.data)).toEqual(rows([5, 0, 63, 5]));
        const ref = await runComponent('text.embed', ckpt, { input_ids: input('I32', [3], [1, 2, 3]) }, 'reference');
        expect(ref.embeddings.shape).toEqual([3, 16]);
        expect(Array.from(ref.embeddings.data)).toEqual(rows([1, 2, 3]));
      });
    });
    it('an id outside the vocabulary names the position and the vocabulary', async () => {
      await expectThrowsNoLeak(() => runComponent('text.embed', ckpt, { input_ids: input('I64', [2], [3, 64]) }), ValueError, /input_ids\[1\] = 64 is outside the vocabulary \[0, 64\)/);
      await expectThrowsNoLeak(() => runComponent('text.embed', ckpt, { input_ids: input('I64', [1], [2 ** 40]) }), ValueError, /input 'input_ids' value 1099511627776 \(index 0\) does not fit int32/);
      await expectThrowsNoLeak(() => runComponent('text.embed', ckpt, { input_ids: input('I64', [1, 1, 1], [3]) }), ShapeError, /does not fit \[T\]: rank 3, expected 1; \[B, T\]: rank 3, expected 2/);
    });
  });
});
