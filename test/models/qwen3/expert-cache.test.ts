/**
 * Experts on demand (issue 19 item 2): a MoE block whose experts come from an LRU cache gives
 * results identical (bit for bit) to the resident block, on the tiny Intern-S1 (BF16) and
 * Intern-S1-Pro (FP8 block-wise, plain and fused experts) MoE configs and on random specs, for
 * every capacity from 0 experts to all; the cache's hits, misses, evictions and resident set follow
 * an independent LRU simulation; evicted experts are disposed (no tensor leaks).
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointError, ValueError } from '../../../src/errors.js';
import { measureModel } from '../../../src/io/budget.js';
import { parseConfig, textConfigOf } from '../../../src/io/config.js';
import type { Qwen3MoeTextConfig, TextConfig } from '../../../src/io/configs/text.js';
import { tinyConfigJson, tinyTensors } from '../../../src/io/tiny.js';
import { memoryWeights, type TensorInput, type WeightSource } from '../../../src/io/weights.js';
import { generate } from '../../../src/models/intern-s1/generate.js';
import { InternS1ForConditionalGeneration } from '../../../src/models/intern-s1/model.js';
import { ExpertCache, expertCacheStats } from '../../../src/models/qwen3/expert-cache.js';
import { Qwen3TextModel } from '../../../src/models/qwen3/model.js';
import { Qwen3MoeSparseBlock } from '../../../src/models/qwen3/moe.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToTf } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { runs } from '../../support/runs.js';
import { disposeRouter, normalData, specArb, tinyConfig, tinyWeights } from './helpers.js';

const P = 'model.language_model.layers.0.mlp';

type Case = { cfg: TextConfig; w: WeightSource; what: string };

/** The tiny release-shaped checkpoints: Intern-S1 in BF16, Intern-S1-Pro in FP8 (block 8), experts plain or fused. */
function releaseCase(kind: 's1-bf16' | 'pro-fp8' | 'pro-fp8-fused', seed: number): Case {
  const json = tinyConfigJson(kind === 's1-bf16' ? 's1' : 'pro', { vocabSize: 64, ...(kind === 's1-bf16' ? {} : { fp8Block: 8 }) });
  const t = tinyTensors(json, { seed, dtype: kind === 's1-bf16' ? 'bf16' : 'fp8', fp8Block: 8, fusedExperts: kind === 'pro-fp8-fused' });
  return { cfg: textConfigOf(parseConfig(json)), w: memoryWeights(t, { fp8BlockSize: 8 }), what: kind };
}

const caseArb = fc.oneof(
  fc.record({ kind: fc.constantFrom('s1-bf16' as const, 'pro-fp8' as const, 'pro-fp8-fused' as const), seed: fc.nat(1000) })
    .map(({ kind, seed }) => releaseCase(kind, seed)),
  fc.record({ spec: specArb(['moe', 'pro']), seed: fc.nat(1000) })
    .map(({ spec, seed }): Case => ({ cfg: tinyConfig(spec), w: tinyWeights(spec, seed), what: `random ${spec.kind} E=${spec.E} K=${spec.K} G=${spec.G}` })),
);

/** An independent LRU over expert ids (most recent last): the expected hits, misses, evictions and resident set. */
function simulateLru(uses: number[], capacity: number): { hits: number; misses: number; evictions: number; resident: number[] } {
  const lru: number[] = [];
  let hits = 0;
  let misses = 0;
  let evictions = 0;
  for (const e of uses) {
    const at = lru.indexOf(e);
    if (at >= 0) {
      hits++;
      lru.splice(at, 1);
      lru.push(e);
      continue;
    }
    misses++;
    if (capacity < 1) continue;
    if (lru.length >= capacity) {
      lru.shift();
      evictions++;
    }
    lru.push(e);
  }
  return { hits, misses, evictions, resident: lru };
}

forEachBackend(() => {
  describe('experts on demand (ExpertCache)', () => {
    it('gives outputs and routing identical to the resident block, and counts hits and misses as an LRU does, for capacities 0..E', async () => {
      await fc.assert(fc.asyncProperty(caseArb, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.nat(), fc.nat(), async (c, N, steps, capPick, seed) => {
        const cfg = c.cfg as Qwen3MoeTextConfig;
        const E = cfg.num_experts;
        const K = cfg.num_experts_per_tok;
        const G = (c.cfg as { router_n_groups?: number | null }).router_n_groups ?? 1;
        const capExperts = capPick % (E + 2); // 0..E experts, or E + 1: Infinity
        const expertBytes = 3 * cfg.hidden_size * cfg.moe_intermediate_size * 4;
        const capacityBytes = capExperts > E ? Infinity : capExperts * expertBytes + (capPick % 3) * 7; // a few spare bytes hold no extra expert
        await expectNoLeak(() => {
          const resident = Qwen3MoeSparseBlock.fromWeights(cfg, c.w, P);
          const lazy = Qwen3MoeSparseBlock.fromWeights(cfg, c.w, P, { expertsOnDemand: { capacityBytes } });
          expect(lazy.experts.length).toBe(0);
          const uses: number[] = [];
          for (let s = 0; s < steps; s++) {
            const x = dataToTf(normalData([N, cfg.hidden_size], seed + 31 * s));
            const a = resident.forward(x);
            const b = lazy.forward(x);
            const idx = Array.from(a.router.indices.dataSync());
            expect(Array.from(b.router.indices.dataSync()), c.what).toEqual(idx);
            expect(Array.from(b.router.weights.dataSync()), c.what).toEqual(Array.from(a.router.weights.dataSync()));
            expect(Array.from(b.output.dataSync()), `${c.what}: output`).toEqual(Array.from(a.output.dataSync()));
            uses.push(...[...new Set(idx)].sort((p, q) => p - q)); // the block runs each active expert once, in ascending order
            tf.dispose([x, a.output, b.output]);
            disposeRouter(a.router);
            disposeRouter(b.router);
          }
          const st = lazy.expertCache!.stats();
          const want = simulateLru(uses, capExperts > E ? Infinity : capExperts);
          expect({ hits: st.hits, misses: st.misses, evictions: st.evictions }).toEqual({ hits: want.hits, misses: want.misses, evictions: want.evictions });
          expect(lazy.expertCache!.resident()).toEqual(want.resident);
          expect(st.residentBytes).toBeLessThanOrEqual(capacityBytes);
          expect(st.bytesRead).toBe(st.misses * st.storedExpertBytes);
          expect(st.bytesDecoded).toBe(st.misses * expertBytes);
          expect(st.tokens).toBe(N * steps);
          expect(st.perExpert.reduce((p, q) => p + q, 0)).toBe(N * steps * K);
          expect(st.perGroup.length).toBe(G);
          if (G > 1) expect(st.perGroup).toEqual(new Array(G).fill((N * steps * K) / G)); // grouped routing: K/G per group per token
          resident.dispose();
          lazy.dispose();
        }, c.what);
      }), { numRuns: runs(12) });
    });

    it('reads each expert in its stored dtype: bytes per expert for BF16 and FP8 (with scales)', () => {
      const s1 = releaseCase('s1-bf16', 1);
      const pro = releaseCase('pro-fp8', 1);
      const [D, I] = [16, 8];
      const a = new ExpertCache(s1.w, P, { D, I, E: 8, G: 1 }, { capacityBytes: 0 });
      expect(a.storedExpertBytes).toBe(3 * D * I * 2); // BF16
      const b = new ExpertCache(pro.w, P, { D, I, E: 8, G: 4 }, { capacityBytes: 0 });
      const scales = (2 + 2 + 2) * 4; // gate, up [8, 16]: 1×2 blocks of 8 each; down [16, 8]: 2×1; float32 scales
      expect(b.storedExpertBytes).toBe(3 * D * I + scales);
      expect(a.expertBytes).toBe(3 * D * I * 4);
    });

    it('keeps at most the capacity resident and disposes what it evicts (tensor count), leaking nothing after dispose', async () => {
      const c = releaseCase('pro-fp8', 4);
      const cfg = c.cfg as Qwen3MoeTextConfig;
      const expertBytes = 3 * cfg.hidden_size * cfg.moe_intermediate_size * 4;
      await expectNoLeak(() => {
        const base = tf.memory().numTensors;
        const lazy = Qwen3MoeSparseBlock.fromWeights(cfg, c.w, P, { expertsOnDemand: { capacityBytes: 2 * expertBytes } });
        const gateOnly = tf.memory().numTensors - base;
        expect(gateOnly).toBe(1); // the router alone
        for (let i = 0; i < 20; i++) {
          const x = dataToTf(normalData([5, cfg.hidden_size], 100 + i));
          const r = lazy.forward(x);
          tf.dispose([x, r.output]);
          disposeRouter(r.router);
          expect(tf.memory().numTensors - base).toBe(1 + 2 * lazy.expertCache!.resident().length); // gate + two tensors per resident expert
          expect(lazy.expertCache!.resident().length).toBeLessThanOrEqual(2);
        }
        expect(lazy.expertCache!.stats().evictions).toBeGreaterThan(0);
        lazy.dispose();
      });
    });

    it('a whole text model with experts on demand equals the resident model; per-layer counters', async () => {
      const c = releaseCase('s1-bf16', 7);
      const cfg = c.cfg as Qwen3MoeTextConfig;
      const expertBytes = 3 * cfg.hidden_size * cfg.moe_intermediate_size * 4;
      await expectNoLeak(() => {
        const a = Qwen3TextModel.fromWeights(cfg, c.w);
        const b = Qwen3TextModel.fromWeights(cfg, c.w, { expertsOnDemand: { capacityBytes: 2 * 3 * expertBytes } }); // 3 experts per layer
        const ids = [[1, 5, 9, 20, 33, 2]];
        const ra = a.forward(ids);
        const rb = b.forward(ids);
        expect(Array.from(rb.logits!.dataSync())).toEqual(Array.from(ra.logits!.dataSync()));
        const stats = expertCacheStats(b.layers);
        expect(stats.length).toBe(2);
        expect(expertCacheStats(a.layers)).toEqual([null, null]);
        for (const [l, s] of stats.entries()) {
          expect(s!.layer).toBe(`model.language_model.layers.${l}.mlp`);
          expect(s!.capacityBytes).toBe(3 * expertBytes);
          expect(s!.tokens).toBe(6);
          expect(s!.misses).toBeGreaterThan(0);
          expect(s!.residentExperts).toBeLessThanOrEqual(3);
        }
        tf.dispose([ra.logits!, ra.hidden, rb.logits!, rb.hidden]);
        a.dispose();
        b.dispose();
      });
    });

    it('generate with the whole Intern-S1 / -Pro model holding its experts on demand (resident or streamed layers) gives the resident model\'s tokens', async () => {
      for (const variant of ['s1', 'pro'] as const) {
        const json = tinyConfigJson(variant, { vocabSize: 64, ...(variant === 'pro' ? { fp8Block: 8 } : {}) });
        const w = memoryWeights(tinyTensors(json, { seed: 3, dtype: variant === 'pro' ? 'fp8' : 'bf16', fp8Block: 8 }), { fp8BlockSize: 8 });
        const cfg = parseConfig(json);
        await expectNoLeak(() => {
          const a = InternS1ForConditionalGeneration.fromWeights(cfg, w, { vision: false, timeSeries: false });
          const b = InternS1ForConditionalGeneration.fromWeights(cfg, w, { vision: false, timeSeries: false, expertsOnDemand: { capacityBytes: 0 } });
          // and with the layers streamed under a memory budget that holds at most one layer (issue 19 item 1)
          const sz = measureModel(cfg, w);
          const f = (ts: readonly { elements: number }[]) => ts.reduce((p, t) => p + t.elements * 4, 0);
          const budget = f(sz.fixed) + Math.max(...sz.layers.map((l) => f(l.dense) + f(l.experts)));
          const c = InternS1ForConditionalGeneration.fromWeights(cfg, w, { vision: false, timeSeries: false, memoryBudget: budget, expertsOnDemand: { capacityBytes: 0 } });
          const inputs = { inputIds: [[3, 14, 15, 9, 26]] };
          const ra = generate(a, inputs, { maxNewTokens: 4 });
          const rb = generate(b, inputs, { maxNewTokens: 4 });
          const rc = generate(c, inputs, { maxNewTokens: 4 });
          expect(rb.tokens, variant).toEqual(ra.tokens);
          expect(rc.tokens, `${variant}, streamed`).toEqual(ra.tokens);
          expect(c.text.layers.length, 'some layers stream').toBeLessThan(textConfigOf(cfg).num_hidden_layers);
          expect(expertCacheStats(b.text.layers).every((s) => s !== null && s.misses > 0 && s.residentExperts === 0)).toBe(true);
          a.dispose();
          b.dispose();
          c.dispose();
        }, variant);
      }
    });

    it('rejects a bad capacity, a missing expert (at load), gradients and a throwing use, leaking nothing', async () => {
      const c = releaseCase('pro-fp8', 2);
      const cfg = c.cfg as Qwen3MoeTextConfig;
      await expectThrowsNoLeak(() => Qwen3MoeSparseBlock.fromWeights(cfg, c.w, P, { expertsOnDemand: { capacityBytes: -1 } }), ValueError, /capacityBytes/);
      await expectThrowsNoLeak(() => Qwen3MoeSparseBlock.fromWeights(cfg, c.w, P, { expertsOnDemand: { capacityBytes: NaN } }), ValueError, /capacityBytes/);
      await expectThrowsNoLeak(() => Qwen3TextModel.fromWeights(cfg, c.w, { expertsOnDemand: { capacityBytes: -5 } }), ValueError, /capacityBytes/);
      const partial: Record<string, TensorInput> = {};
      for (const n of c.w.names()) if (!n.includes('layers.0.mlp.experts.7.down_proj')) partial[n] = { dtype: 'F32', shape: c.w.info(n).shape, data: c.w.float32(n) };
      await expectThrowsNoLeak(() => Qwen3MoeSparseBlock.fromWeights(cfg, memoryWeights(partial), P, { expertsOnDemand: { capacityBytes: 0 } }), CheckpointError, /experts\.7\.down_proj/);
      const lazy = Qwen3MoeSparseBlock.fromWeights(cfg, c.w, P, { expertsOnDemand: { capacityBytes: 0 } });
      const x = dataToTf(normalData([3, cfg.hidden_size], 9));
      await expectThrowsNoLeak(() => tf.grad((xx: tf.Tensor) => lazy.forward(xx).output)(x), ValueError, /inference/);
      await expectThrowsNoLeak(() => lazy.expertCache!.use(3, () => { throw new ValueError('boom'); }), ValueError, /boom/);
      await expectThrowsNoLeak(() => lazy.expertCache!.use(8, () => 0), ValueError, /outside \[0, 8\)/);
      expect(lazy.expertCache!.resident()).toEqual([]);
      x.dispose();
      lazy.dispose();
    });
  });
});
