import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseToolCallBody, parseToolCalls, ToolCallParser } from '../../src/generation/tool-calls.js';

/** What the chat template renders for an assistant turn with tool calls (content, then blocks). */
function rendered(content: string, calls: { name: string; arguments: Record<string, unknown> }[]): string {
  let s = content;
  calls.forEach((c, i) => {
    if ((i === 0 && content) || i > 0) s += '\n';
    s += `<tool_call>\n{"name": "${c.name}", "arguments": ${JSON.stringify(c.arguments)}}\n</tool_call>`;
  });
  return s;
}

function feed(text: string, cuts: number[]) {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const p = new ToolCallParser();
  let prev = 0;
  const events = [];
  for (const cut of [...at, text.length]) {
    events.push(...p.push(text.slice(prev, cut)));
    prev = cut;
  }
  events.push(...p.finish());
  return events;
}

const nameArb = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);
const argsArb = fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null)), { maxKeys: 3 });

describe('ToolCallParser', () => {
  it('parses what the chat template renders, under any chunking', () => {
    fc.assert(fc.property(
      fc.oneof(fc.constant(''), fc.string({ maxLength: 12 }).filter((s) => !s.includes('<tool_call>') && s.trim() !== '')),
      fc.array(fc.record({ name: nameArb, arguments: argsArb }), { maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (content, calls, cuts) => {
        const text = rendered(content, calls);
        const ev = feed(text, cuts);
        const texts = ev.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text).join('');
        expect(texts).toBe(content + (calls.length && content ? '\n' : ''));
        const got = ev.filter((e) => e.type === 'call').map((e) => (e as { call: { name: string; arguments: string } }).call);
        expect(got).toEqual(calls.map((c) => ({ name: c.name, arguments: JSON.stringify(c.arguments) })));
        expect(ev.filter((e) => e.type === 'invalid')).toEqual([]);
        expect(ev.filter((e) => e.type === 'call').map((e) => (e as { index: number }).index)).toEqual(calls.map((_, i) => i));
        // One character at a time gives the same calls.
        const slow = feed(text, Array.from({ length: text.length }, (_, i) => i));
        expect(slow.filter((e) => e.type !== 'text')).toEqual(ev.filter((e) => e.type !== 'text'));
      },
    ), { numRuns: 200 });
  });

  it('reports malformed and unclosed blocks with their raw text, never drops them', () => {
    const r = parseToolCalls('A<tool_call>\n{"name": "f", "arguments": {oops}}\n</tool_call>\n<tool_call>\n{"name": "g", "arguments": {"x": 1}}\n</tool_call>\n<tool_call>\n{"name": "h"');
    expect(r.text).toBe('A');
    expect(r.calls).toEqual([{ name: 'g', arguments: '{"x":1}' }]);
    expect(r.invalid).toHaveLength(2);
    expect(r.invalid[0].raw).toBe('<tool_call>\n{"name": "f", "arguments": {oops}}\n</tool_call>');
    expect(r.invalid[0].error).toMatch(/not valid JSON/);
    expect(r.invalid[1]).toEqual({ raw: '<tool_call>\n{"name": "h"', error: 'tool call not closed with </tool_call>' });
  });

  it('checks the call object', () => {
    expect(parseToolCallBody('[1]')).toMatch(/object/);
    expect(parseToolCallBody('{"arguments": {}}')).toMatch(/name/);
    expect(parseToolCallBody('{"name": "f", "arguments": [1]}')).toMatch(/arguments/);
    expect(parseToolCallBody('{"name": "f", "arguments": "{\\"a\\": 2}"}')).toEqual({ name: 'f', arguments: '{"a":2}' });
    expect(parseToolCallBody('{"name": "f", "arguments": "nope"}')).toMatch(/not JSON/);
    expect(parseToolCallBody('{"name": "f"}')).toEqual({ name: 'f', arguments: '{}' });
  });

  it('holds a split <tool_call> tag back while streaming', () => {
    const p = new ToolCallParser();
    expect(p.push('Hi <tool_')).toEqual([{ type: 'text', text: 'Hi ' }]);
    expect(p.push('call>{"name": "f"}</tool_call>')).toEqual([{ type: 'call', index: 0, call: { name: 'f', arguments: '{}' } }]);
    expect(p.push('\n')).toEqual([]);
    expect(p.push('bye <tool')).toEqual([{ type: 'text', text: '\nbye ' }]);
    expect(p.finish()).toEqual([{ type: 'text', text: '<tool' }]);
  });
});
