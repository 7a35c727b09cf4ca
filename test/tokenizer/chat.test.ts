/**
 * The chat template against prompts rendered by jinja2 from the real Intern-S1-Pro
 * chat_template.jinja (test/fixtures/tokenizer/chat_fixtures.json, made by
 * make_chat_fixtures.py), media placeholder expansion, and the rendered prompt through the
 * tokenizer. The template is pure string building with no reference twin (DESIGN.md: one module
 * both trees import), so every expectation here is a jinja2 output or written by hand.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from '../../src/errors.js';
import * as fast from '../../src/tokenizer/chat.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { describePro } from './support.js';

type Fixture = { name: string; messages: fast.ChatMessage[]; options: { add_generation_prompt?: boolean; enable_thinking?: boolean; tools?: unknown[] }; expected: string };
const fixtures = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/tokenizer/chat_fixtures.json', import.meta.url)), 'utf8')) as Fixture[];
const opts = (o: Fixture['options']): fast.ChatTemplateOptions => ({ addGenerationPrompt: o.add_generation_prompt, enableThinking: o.enable_thinking, tools: o.tools });

describe('applyChatTemplate', () => {
  it('has the jinja2-rendered fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(12));

  for (const f of fixtures) {
    it(`renders like chat_template.jinja: ${f.name}`, () => {
      expect(fast.applyChatTemplate(f.messages, opts(f.options))).toBe(f.expected);
    });
  }

  it('generation prompt: thinking on opens <think>, off writes an empty think block', () => {
    const m: fast.ChatMessage[] = [{ role: 'user', content: 'Hi' }];
    expect(fast.applyChatTemplate(m, { addGenerationPrompt: true })).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>');
    expect(fast.applyChatTemplate(m, { addGenerationPrompt: true, enableThinking: false })).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think></think>\n\n');
  });

  it('the Intern-S1 flavour renders images as <IMG_CONTEXT>; time series as <|ts|><TS_CONTEXT><|/ts|>', () => {
    const m: fast.ChatMessage[] = [{ role: 'user', content: [{ type: 'image' }, { type: 'time_series' }, { type: 'text', text: 'Explain.' }] }];
    expect(fast.applyChatTemplate(m, { flavour: 'intern-s1' })).toBe('<|im_start|>user\n<IMG_CONTEXT><|ts|><TS_CONTEXT><|/ts|>Explain.<|im_end|>\n');
  });

  it('pyJsonDumps writes Python json.dumps text', () => {
    expect(fast.pyJsonDumps({ a: [1, 2.5, null, true], b: 'é"\n', c: {}, d: [] })).toBe('{"a": [1, 2.5, null, true], "b": "é\\"\\n", "c": {}, "d": []}');
    expect(fast.pyJsonDumps(1e-5)).toBe('1e-05');
    expect(fast.pyJsonDumps(1.5e-7)).toBe('1.5e-07');
    expect(fast.pyJsonDumps(12345678901234567890)).toBe('12345678901234567168');
  });

  it('rejects an empty conversation', () => {
    expect(() => fast.applyChatTemplate([])).toThrow(TokenizerError);
  });
});

describe('media placeholders', () => {
  it('expands Pro images, videos and time series in order', () => {
    const prompt = fast.applyChatTemplate([{ role: 'user', content: [{ type: 'image' }, { type: 'video' }, { type: 'image' }, { type: 'time_series' }] }]);
    const out = fast.expandMediaPlaceholders(prompt, {
      images: [2, 1],
      videos: [[{ seconds: 0.25, tokens: 1 }, { seconds: 1.75, tokens: 2 }]],
      timeSeries: [3],
    });
    expect(out).toBe(
      '<|im_start|>user\nPicture 1: <|vision_start|><|image_pad|><|image_pad|><|vision_end|>' +
        'Video 1: <0.2 seconds><|vision_start|><|video_pad|><|vision_end|><1.8 seconds><|vision_start|><|video_pad|><|video_pad|><|vision_end|>' +
        'Picture 2: <|vision_start|><|image_pad|><|vision_end|>' +
        '<|ts|><TS_CONTEXT><TS_CONTEXT><TS_CONTEXT><|/ts|><|im_end|>\n',
    );
  });

  it('expands Intern-S1 images and video frames', () => {
    const prompt = fast.applyChatTemplate([{ role: 'user', content: [{ type: 'image' }, { type: 'video' }] }], { flavour: 'intern-s1' });
    expect(fast.expandMediaPlaceholders(prompt, { images: [2], videos: [[1, 2]] }, 'intern-s1')).toBe(
      '<|im_start|>user\n<img><IMG_CONTEXT><IMG_CONTEXT></img>Frame1: <img><IMG_CONTEXT></img>\nFrame2: <img><IMG_CONTEXT><IMG_CONTEXT></img><|im_end|>\n',
    );
    expect(fast.imagePlaceholder(3, 'intern-s1')).toBe('<img>' + '<IMG_CONTEXT>'.repeat(3) + '</img>');
    expect(fast.timeSeriesPlaceholder(0)).toBe('<|ts|><|/ts|>');
  });

  it('count mismatches and bad counts are errors', () => {
    const prompt = fast.applyChatTemplate([{ role: 'user', content: [{ type: 'image' }] }]);
    expect(() => fast.expandMediaPlaceholders(prompt, { images: [1, 2] })).toThrow(/1 image placeholder\(s\) but 2/);
    expect(() => fast.expandMediaPlaceholders(prompt, { images: [-1] })).toThrow(TokenizerError);
    expect(() => fast.timeSeriesPlaceholder(1.5)).toThrow(/non-negative integer/);
    expect(() => fast.expandMediaPlaceholders(prompt, { images: [] })).toThrow(/1 image placeholder\(s\) but 0/);
  });
});

describePro('a rendered prompt through the tokenizer', (dir) => {
  it('special tokens of the template and the expanded placeholders get their ids', () => {
    const tok = InternS1Tokenizer.fromDir(dir);
    const prompt = fast.expandMediaPlaceholders(
      fast.applyChatTemplate([{ role: 'user', content: [{ type: 'image' }, { type: 'time_series' }, { type: 'text', text: 'Describe <SMILES>CCO</SMILES>.' }] }], { addGenerationPrompt: true, enableThinking: false }),
      { images: [4], timeSeries: [2] },
    );
    const ids = tok.encode(prompt).ids;
    const count = (id: number) => ids.filter((x) => x === id).length;
    expect(ids[0]).toBe(151644); // <|im_start|>
    expect(count(151655)).toBe(4); // <|image_pad|>
    expect(count(151685)).toBe(2); // <TS_CONTEXT>
    expect([count(151683), count(151684)]).toEqual([1, 1]); // <|ts|>, <|/ts|>
    expect([count(151667), count(151668)]).toEqual([1, 1]); // <think></think>
    expect(count(151686)).toBe(1); // <SMILES>
    expect(tok.decode(ids)).toBe(prompt);
  });
});
