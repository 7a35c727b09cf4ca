/**
 * The Qwen pre-tokenizer (tokenizer spec §1.3; the first two tests moved here from bpe.test.ts):
 * the traps of porting Python's `regex` pattern to JavaScript, each on its own (the `(?i:...)`
 * contractions incl. `ſ`, Python's `\s` set = Unicode White_Space, the `u` flag for astral
 * characters), the seven alternatives, the ASCII scanner against the sticky regex, and fast
 * (scanner + regex) == reference (hand-made scanner) with pieces that tile the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as refPre from '../../reference/tokenizer/pretokenize.js';
import * as fastPre from '../../src/tokenizer/pretokenize.js';
import { textArb } from './support.js';
import { runs } from '../support/runs.js';

describe('pre-tokenizer', () => {
  it('reproduces Python regex behaviours the naive port gets wrong', () => {
    for (const impl of [fastPre, refPre]) {
      expect(impl.pretokenize('x\x85 \x85')).toEqual(['x', '\x85 \x85']); // Python \s includes U+0085
      expect(impl.pretokenize("it'ſ")).toEqual(['it', "'ſ"]); // (?i:'s) matches 'ſ
      expect(impl.pretokenize("IT'S")).toEqual(['IT', "'S"]);
      expect(impl.pretokenize('a\ufeffb')).toEqual(['a', '\ufeffb']); // U+FEFF is not Python whitespace
      expect(impl.pretokenize("Hello world, it's 42!")).toEqual(['Hello', ' world', ',', ' it', "'s", ' ', '4', '2', '!']);
      expect(impl.pretokenize('a  \n\n b   ')).toEqual(['a', '  \n\n', ' b', '   ']);
      expect(impl.pretokenize('x   y')).toEqual(['x', '  ', ' y']);
      expect(impl.pretokenize('')).toEqual([]);
    }
  });

  it('fast (ASCII scanner + sticky regex) == the ported regex == reference (hand-made scanner); the pieces tile the input', () => {
    const ascii = fc.string({ unit: fc.constantFrom(..."aZ09 \t\n\r\v\f'sStTlLrReEvVmMdD.,!?-_\x00\x1f\x7f"), maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(textArb, ascii), (s) => {
        const a = fastPre.pretokenize(s);
        expect(a).toEqual([...s.matchAll(fastPre.pretokenizeRegex())].map((m) => m[0]));
        expect(a).toEqual(refPre.pretokenize(s));
        expect(a.join('')).toBe(s);
      }),
      { numRuns: runs(600) },
    );
  });
});

describe('pre-tokenizer: the regex traps of spec §1.3, one by one', () => {
  it("PY_WHITESPACE is Unicode White_Space (Python regex's \\s); JavaScript's \\s differs exactly at U+0085 and U+FEFF", () => {
    const py = new RegExp(`^[${fastPre.PY_WHITESPACE}]$`, 'u');
    const diff: number[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      const ch = String.fromCharCode(cp);
      expect(py.test(ch), `U+${cp.toString(16)}`).toBe(/^\p{White_Space}$/u.test(ch));
      if (py.test(ch) !== /^\s$/.test(ch)) diff.push(cp);
    }
    expect(diff).toEqual([0x85, 0xfeff]);
    expect(refPre.PY_WHITESPACE).toBe(fastPre.PY_WHITESPACE);
    expect(refPre.PRETOKENIZE_PATTERN).toBe(fastPre.PRETOKENIZE_PATTERN);
  });

  it('(?i:...) contractions: any case of s t re ve m ll d, and ſ for s, split before the letters that follow', () => {
    const cases: [string, string[]][] = [
      ["'Sam", ["'S", 'am']], ["'tis", ["'t", 'is']], ["'REX", ["'RE", 'X']], ["'rEd", ["'rE", 'd']], ["'Vet", ["'Ve", 't']],
      ["'Me", ["'M", 'e']], ["'LLama", ["'LL", 'ama']], ["'lLx", ["'lL", 'x']], ["'Dog", ["'D", 'og']], ["'ſx", ["'ſ", 'x']],
      ["'xy", ["'xy"]], // not a contraction: one piece by [^\r\n\p{L}\p{N}]?\p{L}+
      ["'R", ["'R"]], ["'L", ["'L"]], // 're / 'll need both letters
    ];
    for (const impl of [fastPre, refPre]) for (const [s, want] of cases) expect(impl.pretokenize(s), JSON.stringify(s)).toEqual(want);
  });

  it("Python's \\s decides boundaries: U+0085 is whitespace, U+FEFF is not (the naive port gets both wrong)", () => {
    for (const impl of [fastPre, refPre]) {
      expect(impl.pretokenize('a \x85b')).toEqual(['a', ' ', '\x85b']); // naive JS: ['a', ' \x85', 'b']
      expect(impl.pretokenize('a \ufeffb')).toEqual(['a', ' \ufeff', 'b']); // naive JS: ['a', ' ', '\ufeffb']
      expect(impl.pretokenize('a\u3000\u3000b')).toEqual(['a', '\u3000', '\u3000b']);
    }
  });

  it('the u flag: astral letters run together, astral digits are one code point each, never half a surrogate pair', () => {
    for (const impl of [fastPre, refPre]) {
      expect(impl.pretokenize('𝐀𝐁 𝐂')).toEqual(['𝐀𝐁', ' 𝐂']); // U+1D400.. are letters
      expect(impl.pretokenize('𝟙𝟚')).toEqual(['𝟙', '𝟚']); // U+1D7D9.. are decimal digits
      expect(impl.pretokenize('🤗🤗!')).toEqual(['🤗🤗!']); // symbols: one [^\s\p{L}\p{N}]+ run
    }
  });

  it('the other alternatives: \\p{N} one at a time, punctuation runs with trailing newlines, whitespace before newlines and before words', () => {
    const cases: [string, string[]][] = [
      ['x²123', ['x', '²', '1', '2', '3']], // ² is \p{N} (No)
      ['a ...\n\nb', ['a', ' ...\n\n', 'b']], // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
      ['a \n b', ['a', ' \n', ' b']], // '\s*[\r\n]+' then ' b'
      ['\r\n\r\n', ['\r\n\r\n']],
      ['a   ', ['a', '   ']], // '\s+(?!\S)' at the end takes the whole run
      ['\t\tx', ['\t', '\tx']], // before a word: the run minus its last character, which joins the word
      ['x \t1', ['x', ' ', '\t', '1']], // before a digit: the same, and the last one alone by '\s+'
    ];
    for (const impl of [fastPre, refPre]) for (const [s, want] of cases) expect(impl.pretokenize(s), JSON.stringify(s)).toEqual(want);
  });
});

describe('pre-tokenizer: the fast path\'s pieces', () => {
  const ascii = fc.string({ unit: fc.constantFrom(..."aZ09 \t\n\r\v\f'sStTlLrReEvVmMdD.,!?-_\x00\x1f\x7f"), maxLength: 40 });

  it('asciiPieceEnd equals the sticky regex wherever it answers, and always answers on ASCII text', () => {
    fc.assert(fc.property(fc.oneof(ascii, textArb), (s) => {
      const sticky = fastPre.pretokenizeRegex('uy');
      const isAscii = /^[\x00-\x7f]*$/.test(s);
      for (let p = 0; p < s.length; ) {
        sticky.lastIndex = p;
        const end = p + sticky.exec(s)![0].length;
        const e = fastPre.asciiPieceEnd(s, p);
        if (isAscii) expect(e, `${JSON.stringify(s)} at ${p}`).toBeGreaterThanOrEqual(0);
        if (e >= 0) expect(e, `${JSON.stringify(s)} at ${p}`).toBe(end);
        expect(fastPre.pieceEnd(s, p)).toBe(end);
        p = end;
      }
    }), { numRuns: runs(400) });
  });

  it('pretokenizeRegex gives fresh instances with the requested flags', () => {
    const a = fastPre.pretokenizeRegex();
    expect(a.flags).toBe('gu');
    expect(a).not.toBe(fastPre.pretokenizeRegex());
    expect(fastPre.pretokenizeRegex('uy').sticky).toBe(true);
    expect(refPre.pretokenizeRegex().source).toBe(a.source);
  });

  it('long runs of one class tile exactly (256 Ki characters each)', () => {
    const n = 1 << 18;
    const cases: [string, number][] = [
      [' '.repeat(n) + 'x', 2], // the run minus one, then ' x'
      ['\u3000'.repeat(n) + 'x', 2], // the same through the regex path
      ['a'.repeat(n), 1],
      ['.'.repeat(n) + '\n'.repeat(n), 1],
      ['7'.repeat(n), n],
    ];
    for (const [s, pieces] of cases) {
      const out = fastPre.pretokenize(s);
      expect(out).toHaveLength(pieces);
      expect(out.join('')).toBe(s);
    }
  });
});
