/**
 * Expert parallelism (issue 15, item 3): placement of experts on threads, per-thread load with
 * grouped and plain routing, and the MoE block with its experts spread over the worker pool equal
 * to the one-thread block (and to the float64 reference), without leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as refMoe from '../../../reference/models/qwen3/moe.js';
import { softmax as refSoftmax } from '../../../reference/ops/softmax.js';
import { SPLIT_LIMITS } from '../../../src/backend/split.js';
import { setThreads, shutdownThreads } from '../../../src/backend/threads.js';
import { ValueError } from '../../../src/errors.js';
import type { Qwen3MoeTextConfig } from '../../../src/io/configs/text.js';
import { Qwen3MoeSparseBlock } from '../../../src/models/qwen3/moe.js';
import { placeExperts, threadLoad } from '../../../src/models/qwen3/moe-parallel.js';
import { assertClose, assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { expectNoLeak } from '../../support/leak.js';
import { runs } from '../../support/runs.js';
import { normalData, routingMargin, specArb, tinyConfig, tinyWeights } from './helpers.js';

const P = 'model.language_model.layers.0.mlp';
const saved = { ...SPLIT_LIMITS };
afterEach(() => {
  Object.assign(SPLIT_LIMITS, saved);
  setThreads(undefined);
});
afterAll(() => shutdownThreads());

describe('placeExperts', () => {
  it('gives each thread whole routing groups when the groups divide among the threads', () => {
    expect(placeExperts(512, 8, 2)).toEqual({ ranges: [[0, 256], [256, 512]], wholeGroups: true });
    expect(placeExperts(64, 4, 4).ranges).toEqual([[0, 16], [16, 32], [32, 48], [48, 64]]); // one group per thread
    expect(placeExperts(12, 3, 2)).toEqual({ ranges: [[0, 6], [6, 12]], wholeGroups: false }); // 3 groups on 2 threads
    expect(placeExperts(8, 1, 3).ranges).toEqual([[0, 3], [3, 5], [5, 8]]);
    expect(placeExperts(2, 1, 4).ranges).toEqual([[0, 1], [1, 2]]); // no more threads than experts
  });

  it('rejects bad counts with a ValueError', () => {
    expect(() => placeExperts(8, 3, 2)).toThrow(ValueError);
    expect(() => placeExperts(8, 1, 0)).toThrow(/'threads' must be a positive integer, got 0/);
  });
});

describe('threadLoad', () => {
  it('counts pairs, distinct tokens and FLOPs per thread', () => {
    // 3 tokens, K = 2, experts 0-3 on two threads ([0, 2), [2, 4))
    const idx = new Int32Array([0, 1, 0, 3, 2, 3]);
    const load = threadLoad(idx, 2, placeExperts(4, 1, 2), 10, 5);
    expect(load.map((l) => l.pairs)).toEqual([3, 3]);
    expect(load.map((l) => l.tokens)).toEqual([2, 2]);
    expect(load.map((l) => l.flops)).toEqual([3 * 6 * 10 * 5, 3 * 6 * 10 * 5]);
    expect(() => threadLoad(new Int32Array([0, 4]), 2, placeExperts(4, 1, 2), 1, 1)).toThrow(/id 4 at flat position 1 is outside \[0, 4\)/);
  });

  it('grouped routing puts exactly N·K/threads pairs on each thread holding whole groups; plain routing need not', () => {
    const N = 64; const E = 16; const K = 4; const G = 4;
    const rand = fc.sample(fc.integer({ min: 0, max: E - 1 }), { numRuns: N * K, seed: 3 });
    // grouped choice: K/G = 1 pick inside each group of 4 experts
    const grouped = new Int32Array(N * K).map((_, i) => (i % K) * (E / G) + (rand[i] % (E / G)));
    const plainSkewed = new Int32Array(N * K).map((_, i) => i % K); // every token picks experts 0-3: all on thread 0
    const p = placeExperts(E, G, 2);
    expect(threadLoad(grouped, K, p, 8, 8).map((l) => l.pairs)).toEqual([N * K / 2, N * K / 2]);
    expect(threadLoad(plainSkewed, K, p, 8, 8).map((l) => l.pairs)).toEqual([N * K, 0]);
  });
});

const caseArb = fc.record({ spec: specArb(['moe', 'pro']), N: fc.integer({ min: 1, max: 24 }), seed: fc.nat(), threads: fc.constantFrom(2, 3) });

forEachBackend(() => {
  describe('Qwen3MoeSparseBlock on the thread pool', () => {
    it('equals the one-thread block, and the reference (property)', async () => {
      await fc.assert(fc.asyncProperty(caseArb, async ({ spec, N, seed, threads }) => {
        const cfg = tinyConfig(spec) as Qwen3MoeTextConfig;
        const w = tinyWeights(spec, seed);
        const x = normalData([N, spec.D], seed + 7);
        const want = refMoe.Qwen3MoeSparseBlock.fromWeights(cfg, w, P).forward(dataToNd(x));
        fc.pre(routingMargin(refSoftmax(want.router.logits, -1), spec.K, spec.G) > 1e-4);
        const moe = Qwen3MoeSparseBlock.fromWeights(cfg, w, P);
        const xt = dataToTf(x);
        setThreads(1);
        const one = moe.forward(xt);
        SPLIT_LIMITS.minMacs = 0; // spread every layer, however small
        setThreads(threads);
        await expectNoLeak(() => {
          const par = moe.forward(xt);
          assertClose(par.output, one.output, { rtol: 1e-6, atol: 1e-7 }, 'threads vs one thread');
          assertRelClose(par.output, want.output, 1e-4, 'threads vs reference');
          expect(Array.from(par.router.indices.dataSync())).toEqual(Array.from(one.router.indices.dataSync()));
          tf.dispose([par.output, par.router.logits, par.router.indices, par.router.weights]);
        }, 'parallel MoE');
        tf.dispose([xt, one.output, one.router.logits, one.router.indices, one.router.weights]);
        moe.dispose();
      }), { numRuns: runs(12) });
    });
  });
});
