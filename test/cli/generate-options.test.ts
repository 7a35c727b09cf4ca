/**
 * `intern-s1 generate` with issue #17's options, in process on the demo's tiny Intern-S1-Pro folder:
 * --image twice and --video (a folder of frames), --stop on decoded text, generation_config.json's
 * eos ids and sampling defaults (--greedy and --temperature 0 override), the processor flags.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCheckpoint, saveDemo } from '../../src/cli/demo/checkpoint.js';
import { buildDemoTokenizer } from '../../src/cli/demo/tokenizer.js';
import { runCli } from '../support/cli.js';

let dir: string;
let tmp: string;
let frames: string;
const imgs: string[] = [];

function png(file: string, w: number, h: number, seed: number): void {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i * seed * 31) % 256;
  writeFileSync(file, PNG.sync.write(p));
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'gen-opts-'));
  dir = path.join(tmp, 'pro');
  const tok = buildDemoTokenizer();
  saveDemo(dir, demoCheckpoint('pro', tok, 4), tok);
  frames = path.join(tmp, 'frames');
  mkdirSync(frames);
  for (const i of [1, 2, 10]) png(path.join(frames, `f${i}.png`), 64, 64, i); // name order: numeric
  writeFileSync(path.join(frames, 'notes.txt'), 'not a frame');
  for (const i of [1, 2]) { imgs.push(path.join(tmp, `i${i}.png`)); png(imgs[i - 1], 40 + 8 * i, 32, 7 + i); }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const gen = async (...args: string[]) => {
  const r = await runCli(['generate', dir, '--prompt', 'What changes?', '--backend', 'cpu', '--max-new-tokens', '6', ...args]);
  return { ...r, json: r.code === 0 && args.includes('--json') ? JSON.parse(r.out) : null };
};

describe('intern-s1 generate: media and stop options', () => {
  it('two --image and a --video folder: one placeholder block each, in order', async () => {
    const r = await gen('--image', imgs[0], '--image', imgs[1], '--video', frames, '--fps', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out.match(/\[image\] .* -> \d+ tokens/g)).toHaveLength(2);
    expect(r.out).toMatch(/\[video\] 3 frames -> 8 tokens/);
    expect((await gen('--video', path.join(tmp, 'nope'))).err).toMatch(/--video must be a folder/);
    expect((await gen('--fps', '2')).err).toMatch(/--fps goes with --video/);
  });

  it('--stop cuts the text at a string of the output; eos ids come from generation_config.json', async () => {
    const free = await gen('--json');
    expect(free.json.finish_reason).toBe('length');
    const text: string = free.json.text;
    const target = text.slice(2, 5);
    const s = await gen('--json', '--stop', target, '--stop', 'never-there');
    expect(s.json).toMatchObject({ finish_reason: 'stop', stop: target, text: text.slice(0, text.indexOf(target)) });
    writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [free.json.ids[3], 999999], do_sample: false }));
    const e = await gen('--json');
    const cut = free.json.ids.indexOf(free.json.ids[3]);
    expect(e.json.finish_reason).toBe('stop');
    expect(e.json.ids).toEqual(free.json.ids.slice(0, cut + 1));
  });

  it('generation_config.json sampling defaults apply; --greedy and --temperature 0 override them; flags are checked', async () => {
    writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ do_sample: true, temperature: 1.5, top_k: 0 }));
    const greedy = (await gen('--json', '--greedy')).json.ids;
    expect((await gen('--json', '--temperature', '0')).json.ids).toEqual(greedy);
    const sampled = [await gen('--json', '--seed', '1'), await gen('--json', '--seed', '2'), await gen('--json', '--seed', '3')].map((x) => x.json.ids.join());
    expect(sampled.some((x) => x !== greedy.join())).toBe(true);
    expect((await gen('--json', '--seed', '1')).json.ids.join()).toBe(sampled[0]);
    rmSync(path.join(dir, 'generation_config.json'));
    const rp: number[] = (await gen('--json', '--repetition-penalty', '1e9', '--max-new-tokens', '12')).json.ids;
    expect(new Set(rp).size).toBe(rp.length); // greedy under a huge penalty never repeats an output token
    for (const [flag, v] of [['--min-p', '2'], ['--presence-penalty', '3'], ['--frequency-penalty', 'x'], ['--repetition-penalty', '0'], ['--max-time', '-1'], ['--stop', '']]) {
      const r = await gen(flag, v);
      expect(r.code, `${flag} ${v}`).toBe(2);
      expect(r.err).toContain(flag);
    }
  });
});
