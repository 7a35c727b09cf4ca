/**
 * The chat template's edge cases (issue #17 item 6) against jinja2: prompts rendered from the real
 * Intern-S1-Pro chat_template.jinja by test/fixtures/tokenizer/make_chat_edge_fixtures.py, plus
 * the hand-written cases where Python and JSON differ (what a JSON client cannot send).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from '../../src/errors.js';
import { applyChatTemplate, type ChatMessage, type ChatTemplateOptions, pyJsonDumps } from '../../src/tokenizer/chat.js';

type Fixture = { name: string; messages: ChatMessage[]; options: { add_generation_prompt?: boolean; enable_thinking?: boolean | null; tools?: unknown[] }; expected: string };
const fixtures = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/tokenizer/chat_edge_fixtures.json', import.meta.url)), 'utf8')) as Fixture[];
const opts = (o: Fixture['options']): ChatTemplateOptions => ({ addGenerationPrompt: o.add_generation_prompt, enableThinking: o.enable_thinking, tools: o.tools });

describe('applyChatTemplate edge cases', () => {
  it('has the jinja2-rendered edge fixtures', () => expect(fixtures.length).toBe(7));

  for (const f of fixtures) {
    it(`renders like chat_template.jinja: ${f.name}`, () => {
      expect(applyChatTemplate(f.messages, opts(f.options))).toBe(f.expected);
    });
  }

  it('content: null is an error, as in Jinja (TypeError: NoneType is not iterable); a missing key is empty', () => {
    const m: ChatMessage[] = [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ function: { name: 'f', arguments: '{}' } }] }];
    expect(() => applyChatTemplate(m)).toThrow(TokenizerError);
    expect(() => applyChatTemplate(m)).toThrow(/messages\[1\]\.content is null/);
    const { content: _, ...noKey } = m[1];
    expect(applyChatTemplate([m[0], noKey])).toBe('<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n<think></think>\n\n<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call><|im_end|>\n');
  });

  it('what JSON cannot carry from Python: 1.0 prints as 1, integer-like keys come first', () => {
    // Python json.dumps({"b": 1.0, "2": 0, "1": 0}) == '{"b": 1.0, "2": 0, "1": 0}'; JSON.parse loses both.
    const parsed = JSON.parse('{"b": 1.0, "2": 0, "1": 0}');
    expect(pyJsonDumps(parsed)).toBe('{"1": 0, "2": 0, "b": 1}');
    // Floats that are not integers print as Python's repr.
    expect(pyJsonDumps({ x: 0.5, y: 1e-5, z: 1e16 + 2 })).toBe('{"x": 0.5, "y": 1e-05, "z": 10000000000000002}');
  });
});
