/**
 * Splitting on added tokens (tokenizer spec §1.5 step 1, HF `Trie.split`): the leftmost match
 * wins and, among matches at the same place, the longest; tokens are kept as chunks and no chunk
 * is empty. Fast (one regular-expression alternation, longest first) == reference (a walk that
 * tries every token) on random token sets that are prefixes of one another, plus regex
 * metacharacters, astral characters, duplicates and empty tokens, and reuse of one splitter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/tokenizer/added.js';
import * as fast from '../../src/tokenizer/added.js';
import { runs } from '../support/runs.js';

describe('splitOnAddedTokens', () => {
  it('the doc example: the longest token at a place wins over its prefixes', () => {
    for (const impl of [fast, ref]) {
      expect(impl.splitOnAddedTokens('a<|im_start|>b<im>', ['<|im_start|>', '<|im', '<im>'])).toEqual(['a', '<|im_start|>', 'b', '<im>']);
      expect(impl.splitOnAddedTokens('abcab', ['a', 'ab', 'abc'])).toEqual(['abc', 'ab']);
      expect(impl.splitOnAddedTokens('<|im', ['<|im_start|>', '<|im'])).toEqual(['<|im']);
    }
  });

  it('the leftmost match wins even over a longer one starting later', () => {
    for (const impl of [fast, ref]) {
      expect(impl.splitOnAddedTokens('abcd', ['bcd', 'ab'])).toEqual(['ab', 'cd']);
      expect(impl.splitOnAddedTokens('xabcd', ['abcd', 'xa'])).toEqual(['xa', 'bcd']);
    }
  });

  it('keeps tokens as chunks, adjacent tokens apart, and makes no empty chunk', () => {
    for (const impl of [fast, ref]) {
      expect(impl.splitOnAddedTokens('<a><a>x<a>', ['<a>'])).toEqual(['<a>', '<a>', 'x', '<a>']);
      expect(impl.splitOnAddedTokens('<a>', ['<a>'])).toEqual(['<a>']);
      expect(impl.splitOnAddedTokens('', ['<a>'])).toEqual([]);
      expect(impl.splitOnAddedTokens('no tokens here', ['<a>'])).toEqual(['no tokens here']);
      expect(impl.splitOnAddedTokens('abc', [])).toEqual(['abc']);
    }
  });

  it('an empty token never matches; duplicates change nothing', () => {
    for (const impl of [fast, ref]) {
      expect(impl.splitOnAddedTokens('abc', [''])).toEqual(['abc']);
      expect(impl.splitOnAddedTokens('axb', ['', 'x', 'x'])).toEqual(['a', 'x', 'b']);
    }
  });

  it('regex metacharacters in tokens are literal text; astral characters are whole tokens', () => {
    const tokens = ['.*', '(', ')', '[x]', '\\d', '$', '^', '|', '/', '-', '{2}', '?', '+'];
    for (const impl of [fast, ref]) {
      expect(impl.splitOnAddedTokens('a.*b(c)[x]\\d$^|/-{2}?+', tokens)).toEqual(['a', '.*', 'b', '(', 'c', ')', '[x]', '\\d', '$', '^', '|', '/', '-', '{2}', '?', '+']);
      expect(impl.splitOnAddedTokens('a.b', ['.*'])).toEqual(['a.b']); // '.*' is not a pattern
      expect(impl.splitOnAddedTokens('1\\d2', ['\\d'])).toEqual(['1', '\\d', '2']);
      expect(impl.splitOnAddedTokens('a🤗b🤗', ['🤗'])).toEqual(['a', '🤗', 'b', '🤗']);
    }
  });

  it('one AddedTokenSplitter splits many texts (its matching state starts afresh each time)', () => {
    const s = new fast.AddedTokenSplitter(['<a>', '<b>']);
    expect(s.tokens).toEqual(['<a>', '<b>']);
    expect(s.split('x<a>y')).toEqual(['x', '<a>', 'y']);
    expect(s.split('<b>z')).toEqual(['<b>', 'z']);
    expect(s.split('x<a>y')).toEqual(['x', '<a>', 'y']);
    expect(s.split('')).toEqual([]);
  });

  it('fast == reference on random texts and token sets (tokens that are prefixes of one another); the chunks tile the text', () => {
    const unit = fc.constantFrom('<', '>', '|', 'a', 'b', '.', '*', ' ', '\n', 'é', '🤗');
    const tokenArb = fc.array(fc.string({ unit, minLength: 0, maxLength: 4 }), { maxLength: 6 });
    const pieceArb = fc.string({ unit, maxLength: 6 });
    const caseArb = tokenArb.chain((tokens) => fc.tuple(
      fc.constant(tokens),
      fc.array(tokens.length ? fc.oneof(pieceArb, fc.constantFrom(...tokens)) : pieceArb, { maxLength: 8 }), // text made of the tokens and other pieces
    ));
    fc.assert(fc.property(caseArb, ([tokens, parts]) => {
      const text = parts.join('');
      const chunks = fast.splitOnAddedTokens(text, tokens);
      expect(chunks).toEqual(ref.splitOnAddedTokens(text, tokens));
      expect(chunks.join('')).toBe(text);
      expect(chunks.every((c) => c.length > 0)).toBe(true);
    }), { numRuns: runs(400) });
  });
});
