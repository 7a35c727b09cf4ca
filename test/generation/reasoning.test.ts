import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReasoningParser, splitReasoning } from '../../src/generation/reasoning.js';

function feed(text: string, cuts: number[], startInReasoning: boolean) {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const p = new ReasoningParser({ startInReasoning });
  let r = '';
  let c = '';
  let prev = 0;
  for (const cut of [...at, text.length]) {
    const d = p.push(text.slice(prev, cut));
    r += d.reasoning;
    c += d.content;
    prev = cut;
  }
  const d = p.finish();
  return { reasoning: r + d.reasoning, content: c + d.content, result: p.result() };
}

/** The chat template's own split of an assistant turn (`content.split('</think>')` ...). */
function templateSplit(s: string) {
  if (!s.includes('</think>')) return null;
  return { reasoning: s.split('</think>')[0].split('<think>').at(-1)!.replace(/^\n+/, ''), content: s.split('</think>').at(-1)!.replace(/^\n+/, '') };
}

describe('ReasoningParser', () => {
  it('any chunking (down to one character) gives the one-shot split, which is the chat template split', () => {
    const piece = fc.constantFrom('<think>', '</think>', '<th', 'ink>', '\n', 'a', 'b c', '<', '>', '</');
    fc.assert(fc.property(fc.array(piece, { maxLength: 12 }).map((a) => a.join('')), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (text, cuts, sir) => {
      const once = splitReasoning(text, { startInReasoning: sir });
      const inc = feed(text, cuts, sir);
      expect({ reasoning: inc.reasoning, content: inc.content }).toEqual(once);
      expect(inc.result).toEqual(once);
      const chars = feed(text, Array.from({ length: text.length }, (_, i) => i), sir);
      expect({ reasoning: chars.reasoning, content: chars.content }).toEqual(once);
    }), { numRuns: 300 });
  });

  it('matches the chat template on thinking output with one </think>', () => {
    fc.assert(fc.property(fc.string({ maxLength: 10 }).filter((s) => !s.includes('<')), fc.string({ maxLength: 10 }).filter((s) => !s.includes('<')), (r, c) => {
      const out = `${r}</think>${c}`;
      const t = templateSplit(out)!;
      expect(splitReasoning(out, { startInReasoning: true })).toEqual(t);
      expect(splitReasoning(`<think>${out}`, { startInReasoning: false })).toEqual(t);
    }));
  });

  it('the usual shapes', () => {
    expect(splitReasoning('Let me think.\n</think>\n\nThe answer is 4.', { startInReasoning: true })).toEqual({ reasoning: 'Let me think.\n', content: 'The answer is 4.' });
    expect(splitReasoning('<think>\nhmm</think>ok')).toEqual({ reasoning: 'hmm', content: 'ok' });
    expect(splitReasoning('no thinking here')).toEqual({ reasoning: '', content: 'no thinking here' });
    expect(splitReasoning('  <think>x</think>y')).toEqual({ reasoning: 'x', content: 'y' });
    // Cut off while thinking: all reasoning.
    expect(splitReasoning('still thinking </thi', { startInReasoning: true })).toEqual({ reasoning: 'still thinking </thi', content: '' });
    // A <think> later in the text is content.
    expect(splitReasoning('a <think>b</think>')).toEqual({ reasoning: '', content: 'a <think>b</think>' });
    expect(splitReasoning('<thi')).toEqual({ reasoning: '', content: '<thi' });
  });

  it('streams the tag split over deltas without showing it', () => {
    const p = new ReasoningParser({ startInReasoning: true });
    expect(p.push('abc</th')).toEqual({ reasoning: 'abc', content: '' });
    expect(p.push('ink>\n')).toEqual({ reasoning: '', content: '' });
    expect(p.push('\nhi')).toEqual({ reasoning: '', content: 'hi' });
  });
});
