/**
 * Issue #12 at the command line: exit codes and one-line messages for the size and file-system
 * cases (items 2, 4, 5, 6, 10, 11, 13, 14). The library-level cases are in test/io/files.test.ts,
 * test/image/limits.test.ts, test/tokenizer/limits.test.ts and test/models/pro-vision/limits.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { decodeLenient, streamed } from '../../src/cli/commands/generate.js';
import { parseCsvSeries } from '../../src/cli/commands/preprocess-series.js';
import { serializeSafetensors } from '../../src/io/safetensors-write.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { runCli } from '../support/cli.js';
import * as tf from '@tensorflow/tfjs';
import { preparePrompt } from '../../src/cli/pipeline.js';
import { InternS1ForConditionalGeneration } from '../../src/models/intern-s1/model.js';
import { TS_LMDEPLOY_MAX_SAMPLES } from '../../src/models/time-series/processor.js';
import { timeSeriesPlan } from '../../src/models/time-series/plan.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => runCli(args);
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.includes('.tmp-'));
const HANG = 60_000;

const demo = path.join(tmp, 'demo');
const mini = path.join(tmp, 'mini');
const ready = (async () => {
  expect((await cli('init-tiny', demo, '--variant', 'pro', '--demo-tokenizer')).code).toBe(0);
  expect((await cli('init-tiny', mini, '--variant', 'mini', '--vocab-size', '64')).code).toBe(0);
})();

describe('large inputs (items 2, 5)', () => {
  it('tokenize (text output) of 300,000 tokens does not overflow the stack', async () => {
    await ready;
    const r = await runCli(['tokenize', demo], { stdin: 'a,'.repeat(150_000) });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n300000 tokens: text 300000\n$/);
  });

  it('inspect --groups on 200,000 tensor names does not overflow the stack', async () => {
    const names: Record<string, { dtype: 'U8'; shape: number[]; data: number[] }> = {};
    const letters = (i: number) => i.toString(16).replace(/[0-9]/g, (d) => 'qrstuvwxyz'[Number(d)]); // distinct, no digits
    for (let i = 0; i < 200_000; i++) names[`w.${letters(i)}`] = { dtype: 'U8', shape: [1], data: [0] };
    const f = path.join(tmp, 'many.safetensors');
    writeFileSync(f, serializeSafetensors(names));
    const r = await cli('inspect', f, '--groups', '300000');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/tensors by name pattern \(200000 groups\)/);
  });

  it('init-tiny --vocab-size 1e12 is a one-line error, not "Invalid typed array length"', async () => {
    const r = await cli('init-tiny', path.join(tmp, 'huge'), '--variant', 'pro', '--vocab-size', '1000000000000');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^intern-s1: tiny: vocabSize must be an integer in \[16, 1048576\] \(TINY_MAX_VOCAB\), got 1000000000000\n$/);
    expect(existsSync(path.join(tmp, 'huge'))).toBe(false);
  });
});

describe('outputs and the file system (items 4, 6, 10)', () => {
  const ids = path.join(tmp, 'ids.safetensors');
  writeFileSync(ids, serializeSafetensors({ input_ids: { dtype: 'I64', shape: [1, 3], data: [1, 2, 3] } }));

  it("run --output naming the checkpoint's own model.safetensors is refused and the checkpoint is untouched", async () => {
    await ready;
    const own = path.join(mini, 'model.safetensors');
    const before = readFileSync(own);
    const r = await cli('run', mini, '--component', 'text.embed', '--inputs', ids, '--output', own);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^intern-s1: --output '.*model\.safetensors' is an input of this command .*refusing to overwrite it\n$/);
    expect(readFileSync(own)).toEqual(before);
    const r2 = await cli('run', mini, '--component', 'text.embed', '--inputs', ids, '--output', ids);
    expect(r2.err).toMatch(/--output '.*ids\.safetensors' is an input of this command/);
  });

  it('run --output naming a directory: exit 1, a FileError message, no DIR.tmp-PID left', async () => {
    await ready;
    const dir = path.join(tmp, 'outdir');
    mkdirSync(dir);
    const r = await cli('run', mini, '--component', 'text.embed', '--inputs', ids, '--output', dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^intern-s1: --output '.*outdir' is a directory; name a file\n$/);
    expect(leftovers(tmp)).toEqual([]);
    const ok = await cli('run', mini, '--component', 'text.embed', '--inputs', ids, '--output', path.join(dir, 'emb.safetensors'));
    expect(ok.code).toBe(0);
  });

  it('--output under a dangling symbolic link and /proc/nope: exit 1 at once', async () => {
    await ready;
    const r = await cli('run', mini, '--component', 'text.embed', '--inputs', ids, '--output', '/proc/nope/x.safetensors');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^intern-s1: cannot create folder '\/proc\/nope': /);
  }, HANG);

  it('init-tiny onto a file, onto an existing checkpoint (without --force), onto /proc/x', async () => {
    await ready;
    const f = path.join(tmp, 'plain');
    writeFileSync(f, 'x');
    expect(await cli('init-tiny', f, '--variant', 'mini', '--vocab-size', '64')).toMatchObject({ code: 1, err: expect.stringMatching(/^intern-s1: initTiny: '.*plain' exists and is not a folder\n$/) });
    const before = readFileSync(path.join(mini, 'model.safetensors'));
    const again = await cli('init-tiny', mini, '--variant', 'mini', '--vocab-size', '64', '--seed', '5');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already holds a checkpoint \(pass force \/ --force to replace it\)/);
    expect(readFileSync(path.join(mini, 'model.safetensors'))).toEqual(before);
    const demoAgain = await cli('init-tiny', demo, '--variant', 'pro', '--demo-tokenizer');
    expect(demoAgain.code).toBe(1);
    const copy = path.join(tmp, 'mini-copy');
    expect((await cli('init-tiny', copy, '--variant', 'mini', '--vocab-size', '64')).code).toBe(0);
    expect((await cli('init-tiny', copy, '--variant', 'mini', '--vocab-size', '64', '--seed', '5', '--force')).code).toBe(0);
    expect(readFileSync(path.join(copy, 'model.safetensors'))).not.toEqual(before);
    const proc = await cli('init-tiny', '/proc/x', '--variant', 'mini', '--vocab-size', '64');
    expect(proc.code).toBe(1);
    expect(proc.err).toMatch(/^intern-s1: cannot create folder '\/proc\/x': /);
  }, HANG);
});

describe('inputs that are FIFOs or folders (item 6)', () => {
  it('an image, a series and a tokenizer file that are FIFOs are refused without blocking', async () => {
    await ready;
    const fifo = path.join(tmp, 'fifo.png');
    execFileSync('mkfifo', [fifo]);
    const img = await cli('preprocess-image', fifo, '--output', path.join(tmp, 'pv.safetensors'));
    expect(img.code).toBe(1);
    expect(img.err).toMatch(/^intern-s1: image '.*fifo\.png' is not a regular file \(a FIFO\); refusing to open it\n$/);
    const csv = path.join(tmp, 'fifo.csv');
    execFileSync('mkfifo', [csv]);
    const ser = await cli('preprocess-series', csv, '--rate', '10', '--output', path.join(tmp, 'x.safetensors'));
    expect(ser.err).toMatch(/series file '.*fifo\.csv' is not a regular file \(a FIFO\)/);
    const tokDir = path.join(tmp, 'fifo-tok');
    mkdirSync(tokDir);
    for (const f of readdirSync(demo)) if (!f.endsWith('.safetensors')) writeFileSync(path.join(tokDir, f), readFileSync(path.join(demo, f)));
    rmSync(path.join(tokDir, 'vocab.json'));
    execFileSync('mkfifo', [path.join(tokDir, 'vocab.json')]);
    const tk = await runCli(['tokenize', tokDir], { stdin: 'hi' });
    expect(tk.code).toBe(1);
    expect(tk.err).toMatch(/^intern-s1: .*vocab\.json: is not a regular file \(a FIFO\); refusing to open it\n$/);
    const dirAsImage = await cli('preprocess-image', tmp, '--output', path.join(tmp, 'pv.safetensors'));
    expect(dirAsImage.err).toMatch(/image '.*' is a directory, expected a file/);
  }, HANG);
});

describe('generation (items 11, 14)', () => {
  it('ids the tokenizer cannot spell decode as <unk:ID>, the rest as usual', async () => {
    await ready;
    const tok = InternS1Tokenizer.fromDir(demo);
    const a = tok.encode('hi there').ids;
    expect(decodeLenient(tok, a)).toBe('hi there');
    expect(decodeLenient(tok, [...a, tok.size + 5, ...a])).toBe(`hi there<unk:${tok.size + 5}>hi there`);
    expect(decodeLenient(tok, [-1])).toBe('<unk:-1>');
  });

  it('generate on a checkpoint whose vocabulary is larger than the tokenizer exits 0', async () => {
    await ready;
    const big = path.join(tmp, 'big-vocab');
    expect((await cli('init-tiny', big, '--variant', 'pro', '--vocab-size', '60000', '--seed', '3')).code).toBe(0);
    for (const f of readdirSync(demo)) if (!f.endsWith('.safetensors') && f !== 'config.json') writeFileSync(path.join(big, f), readFileSync(path.join(demo, f)));
    const tok = InternS1Tokenizer.fromDir(big);
    expect(tok.size).toBeLessThan(60000);
    const r = await cli('generate', big, '--prompt', 'hi', '--max-new-tokens', '6', '--json');
    expect(r.err).not.toMatch(/intern-s1:/);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { ids: number[]; text: string };
    expect(j.ids.some((x) => x >= tok.size)).toBe(true); // the case happened (random weights over 60,000 ids)
    for (const id of j.ids.filter((x) => x >= tok.size)) expect(j.text).toContain(`<unk:${id}>`);
  });

  it('an error during streaming ends the streamed line before the error is printed', () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d));
    const io = { stdout, stderr: new PassThrough(), stdin: new PassThrough() };
    expect(() => streamed(io as never, false, (write) => {
      write('1');
      write(' 2');
      throw new ValueError('model failed');
    })).toThrow(/model failed/);
    expect(out).toBe('1 2\n');
    let quietOut = '';
    stdout.on('data', (d) => (quietOut += d));
    expect(() => streamed(io as never, true, (write) => { write('hidden'); throw new ValueError('x'); })).toThrow();
    expect(quietOut).toBe(''); // nothing streamed, nothing added
  });
});

describe('series files (items 13, 14)', () => {
  it('a first row with a number in it is data: 1,,2 and 1_000,2 are bad fields, not a header', () => {
    expect(() => parseCsvSeries('1,,2\n3,4,5\n', 'a.csv')).toThrow(ValueError);
    expect(() => parseCsvSeries('1,,2\n3,4,5\n', 'a.csv')).toThrow(/^a\.csv: line 1, column 2: empty field$/);
    expect(() => parseCsvSeries('1_000,2\n3,4\n', 'b.csv')).toThrow(/^b\.csv: line 1, column 1: '1_000' is not a number$/);
    const h = parseCsvSeries('time,value\n1,2\n3,4\n');
    expect([h.T, h.C, h.columns]).toEqual([2, 2, ['time', 'value']]);
    const nan = parseCsvSeries('nan,inf\n1,2\n');
    expect([nan.T, nan.columns]).toEqual([2, null]); // NaN / Inf spellings are numbers: data
  });

  it('--rate 1e-300 is accepted; 1e-330 (0 in float64) is refused naming what was typed', async () => {
    const csv = path.join(tmp, 's.csv');
    writeFileSync(csv, '1,2\n3,4\n5,6\n7,8\n9,10\n1,2\n3,4\n5,6\n');
    const ok = await cli('preprocess-series', csv, '--rate', '1e-300', '--output', path.join(tmp, 's.safetensors'));
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/sampling rate 1e-300 Hz/);
    const bad = await cli('preprocess-series', csv, '--rate', '1e-330', '--output', path.join(tmp, 's.safetensors'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--rate must be a positive number .* got '1e-330'/);
    const self = await cli('preprocess-series', csv, '--rate', '10', '--output', csv);
    expect(self.err).toMatch(/--output '.*s\.csv' is an input of this command/);
  });

  it('generate --series counts the tokens of the 240,000 samples kept, as preprocess-series does', async () => {
    await ready;
    const csv = path.join(tmp, 'long.csv');
    writeFileSync(csv, Array.from({ length: 250_000 }, (_, i) => String(Math.sin(i / 50))).join('\n'));
    const pre = await cli('preprocess-series', csv, '--rate', '4000', '--output', path.join(tmp, 'long.safetensors'));
    expect(pre.code).toBe(0);
    expect(pre.out).toMatch(/truncated from 250000 samples/);
    const tokens = Number(/(\d+) <TS_CONTEXT> token/.exec(pre.out)![1]);
    // the prompt side of generate (running the tower on 240,000 samples takes minutes on cpu)
    const model = InternS1ForConditionalGeneration.fromCheckpoint(demo, { vision: false, timeSeries: true });
    const tok = InternS1Tokenizer.fromDir(demo);
    const signal = tf.zeros([250_000, 1]);
    const prep = preparePrompt(model, tok, { text: 'hi', series: { signal, samplingRate: 4000 } });
    expect(prep.counts.timeSeries).toEqual([tokens]);
    expect(tokens).toBe(timeSeriesPlan(TS_LMDEPLOY_MAX_SAMPLES, 4000).numTokens);
    tf.dispose([signal, ...prep.owned]);
    model.dispose();
  });
});

describe('configs claiming huge sizes (item 7)', () => {
  it('inspect on a config.json with a million layers (a warning naming the limit), generate with head_dim 1e9 (a one-line ConfigError)', async () => {
    await ready;
    const dir = path.join(tmp, 'huge-config');
    expect((await cli('init-tiny', dir, '--variant', 'mini', '--vocab-size', '64')).code).toBe(0);
    const cfgFile = path.join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    writeFileSync(cfgFile, JSON.stringify({ ...cfg, text_config: { ...cfg.text_config, num_hidden_layers: 1_000_000 } }));
    const r = await cli('inspect', dir); // inspect falls back to the tensors alone, with a warning
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^intern-s1: warning: .*config\.json: config text_config\.num_hidden_layers: 1000000 is above the limit of 1024 \(CONFIG_LIMITS\.num_hidden_layers, docs\/guides\/limits\.md\); inspecting the tensors without the config\n$/);
    expect(r.out).toMatch(/config: none/);
    writeFileSync(cfgFile, JSON.stringify({ ...cfg, text_config: { ...cfg.text_config, head_dim: 1e9 } }));
    for (const f of readdirSync(demo)) if (!f.endsWith('.safetensors') && f !== 'config.json') writeFileSync(path.join(dir, f), readFileSync(path.join(demo, f)));
    const g = await cli('generate', dir, '--prompt', 'hi');
    expect(g.code).toBe(1);
    expect(g.err).toMatch(/head_dim: 1000000000 is above the limit of 1024/);
  });
});

describe('inspect (item 14)', () => {
  it('a config.json whose shapes contradict the weights is not called complete: exit 1, the tensors named', async () => {
    await ready;
    const dir = path.join(tmp, 'contradict');
    expect((await cli('init-tiny', dir, '--variant', 'mini', '--vocab-size', '64')).code).toBe(0);
    const cfgFile = path.join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    cfg.text_config.intermediate_size *= 2;
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const r = await cli('inspect', dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/layout: 0 missing, 0 unexpected, \d+ with another shape than config\.json implies/);
    expect(r.out).toMatch(/ {2}shape {6}model\.language_model\.layers\.0\.mlp\.\w+_proj\.weight: checkpoint \[\d+, \d+\], config\.json implies \[\d+, \d+\]/);
    expect(r.out).not.toMatch(/every tensor config\.json implies is present/);
  });
});
