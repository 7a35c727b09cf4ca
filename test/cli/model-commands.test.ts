/**
 * `intern-s1 demo` and `intern-s1 generate` as a user runs them: spawned processes, exit codes,
 * and what they print. The demo's checkpoint, written by `init-tiny --demo-tokenizer`, feeds
 * `generate` (the whole path: tokenizer files, config.json, safetensors, chat template, media
 * preprocessing, streamed decoding).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../support/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'intern-s1-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


const cli = (...args: string[]) => spawnCli(args, { env: { INTERN_S1_BACKEND: 'wasm' } });

describe('intern-s1 demo', () => {
  const saved = path.join(tmp, 'tiny-pro');
  it('runs every stage on the built-in tiny Intern-S1-Pro', () => {
    const r = cli('demo', '--max-new-tokens', '3');
    expect(r.err).not.toMatch(/internal error|at .*\.ts:\d+/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\[tokenizer\] built-in tiny dynamic tokenizer/);
    expect(r.out).toMatch(/\[image\] built-in 320x240 PNG -> t=1 gh=16 gw=20 .* -> 80 image tokens/);
    expect(r.out).toMatch(/\[signal\] built-in 2000 samples x 3 channels at 100 Hz -> stride 24, 21 time-series tokens/);
    expect(r.out).toMatch(/SMILES/);
    expect(r.out).toMatch(/PROT/);
    expect(r.out).toMatch(/\[media rows\] image: 80, time_series: 21/);
    expect(r.out).toMatch(/\[layer 0 experts\] .*group imbalance 1\.00/);
    expect(r.out).toMatch(/\[generate\] (\d+ ){3}/);
    expect(r.out).toMatch(/\[timing\] prefill \d+ ms .* 3 tokens in/);
  });

  it('is deterministic: the same generated tokens on a second run', () => {
    const gen = (o: string) => o.match(/\[generate\] ([\d ]+)/)?.[1];
    const a = cli('demo', '--variant', 'mini', '--max-new-tokens', '4');
    const b = cli('demo', '--variant', 'mini', '--max-new-tokens', '4');
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/\[image\] built-in 320x240 PNG -> 4x3 tiles \+ thumbnail = 13 tiles of 448x448 -> 3328 image tokens/);
    expect(a.out).toMatch(/\[signal\] skipped/);
    expect(a.out).toMatch(/\[experts\] dense decoder/);
    expect(gen(a.out)).toBeDefined();
    expect(gen(b.out)).toBe(gen(a.out));
  });

  it('init-tiny --demo-tokenizer writes the demo checkpoint; generate streams text from it, with an image and a series', async () => {
    const w = await runCli(['init-tiny', saved, '--variant', 'pro', '--demo-tokenizer']);
    expect(w.code).toBe(0);
    expect(w.out).toMatch(/^wrote .*tiny-pro: pro \(interns1_pro\), \d+ tensors, .* in 1 file\(s\), with the demo tokenizer \(\d+ ids\)$/m);
    expect((await runCli(['init-tiny', path.join(tmp, 'y'), '--variant', 'pro', '--demo-tokenizer', '--shards', '2'])).err).toMatch(/cannot be combined with --shards/);
    const png = new PNG({ width: 64, height: 300 });
    png.data.fill(200);
    const img = path.join(tmp, 'img.png');
    writeFileSync(img, PNG.sync.write(png));
    const csv = path.join(tmp, 'sig.csv');
    writeFileSync(csv, 'a,b\n' + Array.from({ length: 200 }, (_, i) => `${Math.sin(i / 5)},${Math.cos(i / 7)}`).join('\n'));
    const r = cli('generate', saved, '--prompt', 'Describe <SMILES>CCO</SMILES>.', '--image', img, '--series', csv, '--rate', '50', '--max-new-tokens', '4', '--json');
    expect(r.err).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out);
    expect(res.ids).toHaveLength(res.finish_reason === 'stop' ? res.ids.length : 4);
    expect(typeof res.text).toBe('string');
  });

  it('errors are one line with a non-zero exit code', () => {
    const a = cli('generate', saved);
    expect(a.code).toBe(2);
    expect(a.err.trim().split('\n')).toHaveLength(1);
    expect(a.err).toMatch(/--prompt/);
    const b = cli('generate', path.join(tmp, 'nope'), '--prompt', 'x');
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/^intern-s1: .*nope/);
    expect(b.err).not.toMatch(/at .*\.ts/);
    const c = cli('demo', '--variant', 'huge');
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--variant must be one of pro, s1, mini, got 'huge'/);
    const d = cli('generate', saved, '--prompt', 'x', '--image', path.join(tmp, 'sig.csv'));
    expect(d.code).toBe(1);
    expect(d.err.trim().split('\n')).toHaveLength(1);
  });
});
