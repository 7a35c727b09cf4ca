/**
 * Browser-only checks of the browser suite (test/browser-suite/vitest.config.ts): what the page
 * offers (a WebGPU adapter, WebGL2 rendering float32, threaded wasm), the whole tiny model's
 * logits and greedy tokens for s1, mini and pro, and the tokenizer's ids, fast == reference in
 * Chromium. The Node suite's own files (ops, layers, blocks) run here too, unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as refGen from '../../reference/models/intern-s1/generate.js';
import * as ref from '../../reference/models/intern-s1/model.js';
import { InternS1Tokenizer as RefTokenizer } from '../../reference/tokenizer/tokenizer.js';
import { backendInfo } from '../../src/backend/browser.js';
import { buildDemoTokenizer } from '../../src/cli/demo/tokenizer.js';
import { DEMO_NUCLEIC, DEMO_PROTEINS, DEMO_SMILES, DEMO_TEXT } from '../../src/cli/demo/corpus.js';
import { parseConfig } from '../../src/io/configs/model.js';
import { tinyConfigJson } from '../../src/io/tiny-config.js';
import { tinyTensors } from '../../src/io/tiny-tensors.js';
import { memoryWeights } from '../../src/io/weights.js';
import { generate } from '../../src/models/intern-s1/generate.js';
import * as fast from '../../src/models/intern-s1/model.js';
import { tokenizerFilesFromSource } from '../../src/tokenizer/sources.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { mulberry32 } from '../support/arbitraries.js';
import { assertRelClose } from '../support/assert-close.js';
import { forEachBackend, useBackend } from './support/backends.js';
import { runs } from '../support/runs.js';
import { mixedArb } from '../tokenizer/support.js';

describe('the page', () => {
  it('is cross-origin isolated, so wasm loads its threaded SIMD build', async () => {
    expect((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated, 'COOP/COEP headers missing: wasm would be single-threaded').toBe(true);
    await useBackend('wasm');
    expect(backendInfo()?.wasm).toMatchObject({ simd: true, threads: true });
  });

  it('has a WebGPU adapter (reported: its name and whether it is a software one)', async () => {
    await useBackend('webgpu');
    const info = backendInfo()!;
    console.log(`webgpu adapter: ${info.adapter?.name} (software: ${info.adapter?.software})`);
    expect(info.backend).toBe('webgpu');
    expect(info.adapter?.name).toBeTruthy();
  });

  it('has WebGL2 rendering to float32 textures (a context limited to 16-bit floats fails here: tolerances are never loosened for it)', async () => {
    await useBackend('webgl');
    const info = backendInfo()!;
    const version = tf.env().getNumber('WEBGL_VERSION');
    const float32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE');
    console.log(`webgl: WebGL ${version}, renderer ${info.adapter?.name} (software: ${info.adapter?.software}), float32 render targets: ${float32}`);
    expect(version, 'WebGL2 is needed').toBe(2);
    expect(float32, `this WebGL (${info.adapter?.name}) renders only 16-bit float textures: its results are not float32, `
      + 'and the suite does not loosen its tolerances for it; run the suite where WebGL renders float32').toBe(true);
    expect(tf.env().getBool('WEBGL_FORCE_F16_TEXTURES')).toBe(false);
  });
});

declare const __PRO_FILES_URL__: string;

const V = 96;
function tiny(variant: 's1' | 'mini' | 'pro', seed = 1) {
  const json = tinyConfigJson(variant, { vocabSize: V });
  return { cfg: parseConfig(json), weights: memoryWeights(tinyTensors(json, { variant, seed })) };
}
const prompt = (T: number, seed: number): number[][] => {
  const rand = mulberry32(seed);
  return [Array.from({ length: T }, () => Math.floor(rand() * 80))];
};

// webgl and wasm (the model reads routing choices and tokens back synchronously, see support/backends.ts).
forEachBackend(() => {
  describe('the whole tiny model', () => {
    for (const variant of ['s1', 'mini', 'pro'] as const) {
      it(`${variant}: fast logits == reference logits (relative error <= 1e-4), no leak`, () => {
        const { cfg, weights } = tiny(variant);
        const opts = { vision: false, timeSeries: false };
        const model = fast.InternS1ForConditionalGeneration.fromWeights(cfg, weights, opts);
        const refModel = ref.InternS1ForConditionalGeneration.fromWeights(cfg as never, weights, opts);
        const ids = prompt(7, 3);
        const before = tf.memory().numTensors;
        const out = model.forward({ inputIds: ids });
        assertRelClose(out.logits!, refModel.forward({ inputIds: ids }).logits!, 1e-4, 'logits');
        model.disposeOutput(out);
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
      });

      it(`${variant}: greedy tokens == the float64 reference's, cached and uncached, no leak`, () => {
        const { cfg, weights } = tiny(variant, 11);
        const opts = { vision: false, timeSeries: false };
        const model = fast.InternS1ForConditionalGeneration.fromWeights(cfg, weights, opts);
        const inputs = { inputIds: [[3, 14, 15, 9, 2, 6]] };
        const before = tf.memory().numTensors;
        const a = generate(model, inputs, { maxNewTokens: 5 });
        const b = generate(model, inputs, { maxNewTokens: 5, useCache: false });
        const r = refGen.generate(ref.InternS1ForConditionalGeneration.fromWeights(cfg as never, weights, opts), inputs, { maxNewTokens: 5 });
        expect(a.tokens).toHaveLength(5);
        expect(b.tokens).toEqual(a.tokens);
        expect(r.tokens).toEqual(a.tokens);
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
      });
    }
  });
});

describe('the tokenizer (built-in tiny Intern-S1-Pro-style one: BPE, added tokens, SMILES / protein / nucleic sentencepiece)', () => {
  const { files } = buildDemoTokenizer();
  const fastTok = InternS1Tokenizer.fromFiles(files);
  const refTok = RefTokenizer.fromFiles(files);
  const same = (text: string) => expect(fastTok.encode(text).ids, JSON.stringify(text)).toEqual(refTok.encode(text).ids);

  it('gives the reference ids on the demo corpora', () => {
    for (const text of [DEMO_TEXT, ...DEMO_SMILES.map((s) => `<SMILES>${s}</SMILES>`), ...DEMO_PROTEINS.map((p) => `<protein>${p}</protein>`),
      ...DEMO_NUCLEIC.map((n) => `<dna>${n}</dna>`)]) same(text);
  });

  it('gives the reference ids on random mixed scientific text', () => {
    fc.assert(fc.property(mixedArb, (text) => {
      same(text);
    }), { numRuns: runs(60) });
  });
});

// The real Intern-S1-Pro tokenizer, fetched by the page from the folder INTERN_S1_PRO_FILES names
// (served by the suite's vite server); registered as skipped, with the reason, when it is unset.
const describeProFiles = __PRO_FILES_URL__ ? describe : describe.skip;
describeProFiles(`the real Intern-S1-Pro tokenizer read from a URL${__PRO_FILES_URL__ ? '' : ' [skipped: INTERN_S1_PRO_FILES is not set]'}`, () => {
  it('gives the reference ids (fast and reference built from the same fetched files)', async () => {
    const { files, flavour } = await tokenizerFilesFromSource(new URL(__PRO_FILES_URL__, (globalThis as unknown as { location: { href: string } }).location.href).href);
    const fastTok = InternS1Tokenizer.fromFiles(files, { flavour });
    const refTok = RefTokenizer.fromFiles(files, { flavour });
    const texts = [DEMO_TEXT, ...DEMO_SMILES.map((s) => `<SMILES>${s}</SMILES>`), ...DEMO_PROTEINS.map((p) => `<protein>${p}</protein>`)];
    for (const text of texts) expect(fastTok.encode(text).ids).toEqual(refTok.encode(text).ids);
    expect(fastTok.encode(DEMO_TEXT).ids.length).toBeGreaterThan(10);
    fc.assert(fc.property(mixedArb, (text) => {
      expect(fastTok.encode(text).ids, JSON.stringify(text)).toEqual(refTok.encode(text).ids);
    }), { numRuns: runs(40) });
  });
});
