/**
 * `intern-s1 init-tiny`, `inspect` and `run`: in process through `main()` (outputs, exit codes,
 * error lines), and spawned as a real process for the exit codes a shell sees.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../../src/io/safetensors.js';
import { writeSafetensors } from '../../src/io/safetensors-write.js';
import { typedValues } from '../../src/io/dtype.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { runCli, spawnCli as spawnCliProcess } from '../support/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-ckpt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));



const cli = (...args: string[]) => runCli(args);
const spawnCli = (...args: string[]) => spawnCliProcess(args, { env: { INTERN_S1_BACKEND: 'cpu' } });

const tiny = path.join(tmp, 'tiny-pro');

describe('init-tiny', () => {
  it('writes a checkpoint and reports it (--json)', async () => {
    const r = await cli('init-tiny', tiny, '--variant', 'pro', '--seed', '2', '--vocab-size', '256', '--dtype', 'fp8', '--shards', '2', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ variant: 'pro', tensors: 221 });
    expect(j.files).toHaveLength(2);
    expect(openCheckpoint(tiny).weights.info('model.language_model.layers.1.mlp.experts.7.down_proj.weight')).toEqual({ shape: [16, 8], dtype: 'F8_E4M3' });
  });
  it('usage errors exit 2 with one line', async () => {
    expect(await cli('init-tiny', path.join(tmp, 'x'))).toMatchObject({ code: 2, err: 'intern-s1: init-tiny needs --variant s1|mini|pro\n' });
    expect((await cli('init-tiny', path.join(tmp, 'x'), '--variant', 'pro', '--dtype', 'f16')).err).toMatch(/--dtype must be one of f32, bf16, fp8, got 'f16'/);
    expect((await cli('init-tiny', path.join(tmp, 'x'), '--variant', 'pro', '--seed', '-1')).code).toBe(2);
    expect((await cli('init-tiny', '--variant', 'pro')).err).toMatch(/exactly one output folder/);
  });
});

describe('inspect', () => {
  it('prints the config, parameters per component, dtypes and grouped tensors', async () => {
    const r = await cli('inspect', tiny);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/config: interns1_pro \(pro\)/);
    expect(r.out).toMatch(/MoE 8 experts top-4 in 4 groups/);
    expect(r.out).toMatch(/FoPE K 6/);
    expect(r.out).toMatch(/^ {2}experts +6\.14 K$/m);
    expect(r.out).toMatch(/^ {2}time_series +\d/m);
    expect(r.out).toMatch(/layout: every tensor config\.json implies is present/);
    expect(r.out).toMatch(/model\.language_model\.layers\.\*\.mlp\.experts\.\*\.gate_proj\.weight +x16 +\[8, 16\] +F8_E4M3/);
  });
  it('--json parameter counts add up, FP8 scales are not parameters, --progress draws on stderr', async () => {
    const r = await cli('inspect', tiny, '--json', '--progress');
    const j = JSON.parse(r.out);
    const p = j.parameters;
    expect(p.text + p.experts + p.vision + p.projector + p.time_series + p.other).toBe(p.total);
    expect(p.experts).toBe(2 * 8 * 3 * 16 * 8);
    expect(j.scales.tensors).toBe(2 * (4 + 8 * 3));
    expect(j.layout).toEqual({ missing: [], unexpected: [], mismatched: [] });
    expect(r.err).toMatch(/reading headers \[#+\] 2\/2 files/);
  });
  it('a missing tensor: exit 1 and named', async () => {
    const dir = path.join(tmp, 'partial');
    await cli('init-tiny', dir, '--variant', 'mini', '--vocab-size', '64');
    const f = SafetensorsFile.open(path.join(dir, 'model.safetensors'));
    const keep = Object.fromEntries(f.names().filter((n) => n !== 'lm_head.weight').map((n) => [n, { dtype: f.entry(n).dtype, shape: f.entry(n).shape, bytes: f.read(n) }]));
    f.close();
    writeSafetensors(path.join(dir, 'model.safetensors'), keep);
    const r = await cli('inspect', dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/layout: 1 missing, 0 unexpected\n {2}missing {4}lm_head\.weight/);
  });
  it('an unparsable config.json is a warning; the tensors are still inspected', async () => {
    const dir = path.join(tmp, 'odd-config');
    await cli('init-tiny', dir, '--variant', 'mini', '--vocab-size', '64');
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'llama' }));
    const r = await cli('inspect', dir);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: .*config\.json: config model_type: must be one of .* got 'llama'; inspecting the tensors without the config/);
    expect(r.out).toMatch(/config: none/);
    expect(r.out).toMatch(/^ {2}vision +\d/m);
  });
  it('a bad path or file is one error line, exit 1', async () => {
    const bad = path.join(tmp, 'bad.safetensors');
    writeFileSync(bad, new Uint8Array(4));
    expect(await cli('inspect', bad)).toMatchObject({ code: 1, err: `intern-s1: ${bad}: byte 0: truncated: 4 bytes, a safetensors file starts with an 8-byte header length\n` });
    expect((await cli('inspect', path.join(tmp, 'none'))).err).toMatch(/no such file or folder/);
  });
});

const ids = path.join(tmp, 'ids.safetensors');
writeSafetensors(ids, { input_ids: { dtype: 'I64', shape: [1, 3], data: [5, 0, 255] } });

describe('run', () => {
  it('--list shows text.embed with its inputs and outputs', async () => {
    const r = await cli('run', '--list');
    expect(r.out).toMatch(/^text\.embed\n {2}token embedding lookup/m);
    expect(r.out).toMatch(/in {3}input_ids I64\|I32 \[T\] or \[B, T\]/);
    const j = JSON.parse((await cli('run', '--list', '--json')).out);
    expect(j.find((c: { name: string }) => c.name === 'text.embed').reference).toBe(true);
  });
  it('runs text.embed and writes F32 outputs with metadata; the reference implementation agrees', async () => {
    const out = path.join(tmp, 'emb.safetensors');
    const r = await cli('run', tiny, '--component', 'text.embed', '--inputs', ids, '--output', out, '--backend', 'cpu');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/embeddings: F32 \[1, 3, 16\]/);
    const f = SafetensorsFile.open(out);
    expect(f.metadata).toMatchObject({ component: 'text.embed', backend: 'cpu' });
    const got = typedValues('F32', f.read('embeddings')) as Float32Array;
    const table = openCheckpoint(tiny).weights.rows('model.language_model.embed_tokens.weight', [5, 0, 255]);
    expect(Array.from(got)).toEqual(Array.from(table));
    f.close();
    const refOut = path.join(tmp, 'emb-ref.safetensors');
    expect((await cli('run', tiny, '--component', 'text.embed', '--inputs', ids, '--output', refOut, '--impl', 'reference')).code).toBe(0);
    const g = SafetensorsFile.open(refOut);
    expect(Array.from(typedValues('F32', g.read('embeddings')) as Float32Array)).toEqual(Array.from(table));
    g.close();
  });
  it('clear errors: unknown component (2), missing input, wrong dtype, wrong shape, bad backend', async () => {
    const out = path.join(tmp, 'o.safetensors');
    const unknown = await cli('run', tiny, '--component', 'text.embd', '--inputs', ids, '--output', out);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.err).toMatch(/unknown component 'text\.embd'; registered: .*text\.embed/);
    const wrongName = path.join(tmp, 'wrong-name.safetensors');
    writeSafetensors(wrongName, { ids: { dtype: 'I64', shape: [3], data: [1, 2, 3] } });
    expect((await cli('run', tiny, '--component', 'text.embed', '--inputs', wrongName, '--output', out)).err).toMatch(/'ids' is not an input \(inputs: input_ids\)/);
    const wrongType = path.join(tmp, 'wrong-type.safetensors');
    writeSafetensors(wrongType, { input_ids: { dtype: 'F32', shape: [3], data: [1, 2, 3] } });
    expect((await cli('run', tiny, '--component', 'text.embed', '--inputs', wrongType, '--output', out)).err).toMatch(/input 'input_ids' is F32, expected I64 or I32/);
    const wrongShape = path.join(tmp, 'wrong-shape.safetensors');
    writeSafetensors(wrongShape, { input_ids: { dtype: 'I32', shape: [1, 1, 3], data: [1, 2, 3] } });
    const ws = await cli('run', tiny, '--component', 'text.embed', '--inputs', wrongShape, '--output', out);
    expect(ws).toMatchObject({ code: 1 });
    expect(ws.err).toMatch(/input 'input_ids' has shape \[1, 1, 3\]/);
    expect((await cli('run', tiny, '--component', 'text.embed', '--inputs', ids, '--output', out, '--backend', 'gpu')).code).toBe(2);
    expect((await cli('run', tiny, '--component', 'text.embed', '--inputs', ids)).err).toMatch(/run needs --output/);
  });
});

describe('as a process', () => {
  it('init-tiny and run exit 0; a bad file exits 1 (a bad option, 2, is checked in process)', async () => {
    const dir = path.join(tmp, 'spawned');
    const a = spawnCli('init-tiny', dir, '--variant', 's1', '--vocab-size', '300', '--dtype', 'bf16');
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/^wrote .*spawned: s1 \(intern_s1\), 109 tensors/);
    const out = path.join(tmp, 'spawned-emb.safetensors');
    const c = spawnCli('run', dir, '--component', 'text.embed', '--inputs', ids, '--output', out);
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/text\.embed on cpu/);
    expect((await cli('inspect', dir, '--bogus')).code).toBe(2);
    const bad = path.join(tmp, 'spawned-bad.safetensors');
    writeFileSync(bad, new Uint8Array(3));
    const d = spawnCli('inspect', bad);
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/^intern-s1: .*spawned-bad\.safetensors: byte 0: truncated/);
  });
});
