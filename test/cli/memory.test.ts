/**
 * The CLI under a memory budget (issue 19): `inspect`'s memory section (the plan on the active
 * backend, the limit named), `generate --memory-budget` (same tokens, a [memory] line), and
 * `run --memory-budget` (same output file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { writeSafetensors } from '../../src/io/safetensors-write.js';
import { SafetensorsFile } from '../../src/io/safetensors.js';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureModel } from '../../src/io/budget.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-memory-'));
const dir = path.join(tmp, 'mini');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const demo = path.join(tmp, 'demo-mini');
beforeAll(async () => {
  expect((await runCli(['init-tiny', dir, '--variant', 'mini', '--vocab-size', '64', '--dtype', 'bf16'])).code).toBe(0);
  expect((await runCli(['init-tiny', demo, '--variant', 'mini', '--demo-tokenizer'])).code).toBe(0);
});

/** Float32 bytes of the always-resident part plus the largest layer: the smallest budget that streams. */
function smallest(): { budget: number; layer: number; head: number; row: number } {
  const ck = openCheckpoint(dir);
  const s = measureModel(ck.config!, ck.weights);
  const f = (ts: readonly { elements: number }[]) => ts.reduce((a, t) => a + t.elements * 4, 0);
  const layer = Math.max(...s.layers.map((l) => f(l.dense)));
  return { budget: f(s.fixed) + layer, layer, head: s.lmHead.storedBytes, row: s.embed.storedBytes / s.vocab };
}

describe('inspect: memory', () => {
  it('everything resident under a large budget', async () => {
    const r = await runCli(['inspect', dir, '--groups', '0', '--backend', 'cpu', '--memory-budget', '1G']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/memory \(backend cpu; text model .* as float32, towers .* more when media are given\):\n {2}budget 1\.00 GiB \(the memoryBudget option\)\n {2}resident .*: 2 of 2 layers, embeddings resident, lm_head resident\n {2}streamed: nothing\n {2}per generated token: 0 B read/);
  });

  it('the smallest budget streams every layer and slices lm_head; --json carries the plan', async () => {
    const s = smallest();
    const r = await runCli(['inspect', dir, '--groups', '0', '--backend', 'cpu', '--memory-budget', String(s.budget)]);
    expect(r.out).toMatch(/resident .*: 0 of 2 layers, embeddings read by rows, lm_head read in \d+ slices of \d+ rows/);
    expect(r.out).toMatch(/streamed: layers 0-1, one at a time/);
    const j = JSON.parse((await runCli(['inspect', dir, '--json', '--backend', 'wasm', '--memory-budget', String(s.budget)])).out);
    expect(j.memory).toMatchObject({ backend: 'wasm', error: null, plan: { residentLayers: 0, streamedLayers: [0, 1], embeddings: 'rows', lmHead: { mode: 'sliced' } } });
    // BF16 checkpoint: per token, both layers' stored bytes (half their float32 bytes), lm_head and one embedding row
    const ck = openCheckpoint(dir);
    const layers = measureModel(ck.config!, ck.weights).layers.reduce((a, l) => a + l.dense.reduce((x, t) => x + t.storedBytes, 0), 0);
    expect(j.memory.plan.readBytesPerToken).toBe(layers + s.head + s.row);
  });

  it('a budget below one tensor: the section names the tensor and the budget; a bad --memory-budget exits 2', async () => {
    const r = await runCli(['inspect', dir, '--groups', '0', '--backend', 'cpu', '--memory-budget', '1K']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/cannot run: tensor 'model\.language_model\.layers\.\d\.[a-z_.]+' needs [\d.]+ KiB as float32 but the memory budget is 1\.00 KiB/);
    const bad = await runCli(['inspect', dir, '--memory-budget', 'lots']);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.err).toMatch(/--memory-budget: expected a positive byte count/);
  });
});

describe('generate and run under --memory-budget', () => {
  it('generate: the same tokens with every layer streamed, and a [memory] line saying so', async () => {
    const ck = openCheckpoint(demo);
    const m = measureModel(ck.config!, ck.weights);
    const f = (ts: readonly { elements: number }[]) => ts.reduce((a, t) => a + t.elements * 4, 0);
    const budget = f(m.fixed) + Math.max(...m.layers.map((l) => f(l.dense)));
    const args = ['generate', demo, '--prompt', 'Name a gas.', '--max-new-tokens', '4', '--backend', 'cpu'];
    const a = await runCli([...args, '--memory-budget', '1G']);
    const b = await runCli([...args, '--memory-budget', String(budget)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.out).not.toMatch(/\[memory\]/);
    expect(b.out).toMatch(new RegExp(`\\[memory\\] budget [\\d.]+ KiB \\(the memoryBudget option\\): 0 of ${m.layers.length} layers resident, ${m.layers.length} streamed, lm_head in \\d+ slices; .* read per token`));
    const json = async (x: string) => JSON.parse((await runCli([...args, '--memory-budget', x, '--json'])).out).ids;
    expect(await json(String(budget))).toEqual(await json('1G'));
    expect((await runCli([...args, '--memory-budget', '0'])).code).toBe(2);
  });

  it('run --component text: the same output file streamed; a budget below one tensor exits 1 naming it', async () => {
    const ids = path.join(tmp, 'ids.safetensors');
    writeSafetensors(ids, { input_ids: { dtype: 'I64', shape: [1, 5], data: [1, 5, 9, 2, 7] } });
    const read = (f: string) => {
      const sf = SafetensorsFile.open(f);
      try {
        return Object.fromEntries(sf.names().map((n) => [n, Array.from(sf.read(n))]));
      } finally {
        sf.close();
      }
    };
    const s = smallest();
    const outA = path.join(tmp, 'a.safetensors');
    const outB = path.join(tmp, 'b.safetensors');
    expect((await runCli(['run', dir, '--component', 'text', '--inputs', ids, '--output', outA, '--backend', 'cpu', '--memory-budget', '1G'])).code).toBe(0);
    expect((await runCli(['run', dir, '--component', 'text', '--inputs', ids, '--output', outB, '--backend', 'cpu', '--memory-budget', String(s.budget)])).code).toBe(0);
    expect(read(outB)).toEqual(read(outA));
    const r = await runCli(['run', dir, '--component', 'text', '--inputs', ids, '--output', path.join(tmp, 'c.safetensors'), '--backend', 'cpu', '--memory-budget', '1K']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tensor '.*' needs .* as float32 but the memory budget is 1\.00 KiB/);
    expect(process.env.INTERN_S1_MEMORY_BUDGET).toBeUndefined();
  });
});
