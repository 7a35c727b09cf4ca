/**
 * `intern-s1 train` (issue 16, item 4): a run on the demo-tokenizer tiny Pro checkpoint writes a
 * loadable checkpoint, the trainer state and the chart; --resume continues bit for bit; bad input
 * and a non-finite loss stop with a clear error and keep the last saved checkpoint.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => runCli(args);
const tiny = path.join(tmp, 'tiny');
const corpus = path.join(tmp, 'corpus.txt');
const common = ['--data', corpus, '--seq', '12', '--batch', '2', '--backend', 'cpu', '--router-grad', 'ste', '--seed', '3'];

beforeAll(async () => {
  expect((await cli('init-tiny', tiny, '--variant', 'pro', '--demo-tokenizer', '--seed', '1')).code).toBe(0);
  writeFileSync(corpus, ['The cat sat on the mat. The dog sat on the log.', 'Benzene is <SMILES>c1ccccc1</SMILES>, ethanol <SMILES>CCO</SMILES>.',
    'A protein: <protein>MKTAYIAKQRQISFVKSHFSRQ</protein>.', 'One two three four five six seven eight nine ten.'].join('\n\n'));
});

describe('train', () => {
  it('writes a checkpoint this library loads, the trainer state and the chart; resuming is bit-identical', async () => {
    const a = path.join(tmp, 'a');
    const r = await cli('train', tiny, ...common, '--out', a, '--steps', '4', '--save-every', '2');
    expect(r.err).toMatch(/step 4\/4 \[#+\] loss \d+\.\d+ +\d+ tokens\/s +ETA 0 s/);
    expect(r.code).toBe(0);
    const ck = openCheckpoint(a);
    expect(ck.config!.model_type).toBe('interns1_pro');
    expect(ck.weights.info('model.language_model.layers.0.mlp.gate.weight').dtype).toBe('F32');
    ck.close();
    const state = JSON.parse(readFileSync(path.join(a, 'trainer_state.json'), 'utf8'));
    expect(state.step).toBe(4);
    expect(state.history.length).toBe(4);
    expect(state.history[0].perGroup.length).toBe(2); // 2 MoE layers, 4 groups each
    const svg = readFileSync(path.join(a, 'training.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('group 3');
    // 2 steps, then --resume to 4: the same bytes as the straight run.
    const b = path.join(tmp, 'b');
    expect((await cli('train', tiny, ...common, '--out', b, '--steps', '2')).code).toBe(0);
    const resumed = await cli('train', tiny, ...common, '--out', b, '--steps', '4', '--resume');
    expect(resumed.err).not.toMatch(/step 1\//);
    expect(resumed.code).toBe(0);
    expect(Buffer.compare(readFileSync(path.join(a, 'model.safetensors')), readFileSync(path.join(b, 'model.safetensors')))).toBe(0);
    expect(Buffer.compare(readFileSync(path.join(a, 'optimizer.safetensors')), readFileSync(path.join(b, 'optimizer.safetensors')))).toBe(0);
    const other = await cli('train', tiny, ...common.map((x) => (x === '3' ? '4' : x)), '--out', b, '--steps', '5', '--resume');
    expect(other.err).toMatch(/--resume: .* was trained with .*"seed":3.*this run has .*"seed":4/);
  });

  it('a non-finite loss stops with an error and keeps the last saved checkpoint', async () => {
    const c = path.join(tmp, 'c');
    const r = await cli('train', tiny, ...common, '--out', c, '--steps', '5', '--save-every', '1', '--lr', '1e30', '--max-grad-norm', '1e30');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/train: step \d failed: trainStep: the (loss|gradient norm) is (NaN|Infinity).*the last saved checkpoint in .* is kept/);
    const step = Number(/step (\d) failed/.exec(r.err)![1]);
    expect(JSON.parse(readFileSync(path.join(c, 'trainer_state.json'), 'utf8')).step).toBe(step - 1);
  });

  it('bad input: empty corpus, no tokenizer, --seq past max_position_embeddings, missing flags', async () => {
    const empty = path.join(tmp, 'empty.txt');
    writeFileSync(empty, '\n\n  \n');
    expect((await cli('train', tiny, '--data', empty, '--out', path.join(tmp, 'd'))).err).toMatch(/corpus: no text \(the corpus is empty\)/);
    const bare = path.join(tmp, 'bare');
    expect((await cli('init-tiny', bare, '--variant', 'pro', '--vocab-size', '64')).code).toBe(0);
    expect((await cli('train', bare, '--data', corpus, '--out', path.join(tmp, 'd'))).err).toMatch(/train: no usable tokenizer in/);
    expect((await cli('train', tiny, '--data', corpus, '--out', path.join(tmp, 'd'), '--seq', '300000')).err).toMatch(/--seq 300000 is past max_position_embeddings \(262144\)/);
    expect((await cli('train', tiny, '--data', corpus, '--out', path.join(tmp, 'd'), '--seq', '4000')).err).toMatch(/fewer than one sequence of --seq 4000/);
    expect(await cli('train', tiny, '--out', path.join(tmp, 'd'))).toMatchObject({ code: 2, err: 'intern-s1: train needs --data FILE\n' });
    expect((await cli('train', tiny, '--data', corpus, '--out', path.join(tmp, 'd'), '--router-grad', 'x')).err).toMatch(/--router-grad must be one of topk, ste/);
  });
});
