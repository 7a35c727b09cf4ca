/**
 * The byte-level alphabet and UTF-8 layer (tokenizer spec §1.3, §1.8; moved here from
 * bpe.test.ts): GPT-2's byte → character table and its inverse, byte-level encoding (lone
 * surrogates as U+FFFD), UTF-8 decoding with Python's errors="replace" (a BOM kept), and
 * byte-level decoding, fast (TextEncoder / TextDecoder) == reference (hand-written codec).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as refBytes from '../../reference/tokenizer/bytes.js';
import { TokenizerError } from '../../src/errors.js';
import * as fastBytes from '../../src/tokenizer/bytes.js';
import { textArb } from './support.js';
import { runs } from '../support/runs.js';

describe('byte-level alphabet', () => {
  it('keeps the 188 printable bytes and maps the rest to U+0100.. in order', () => {
    const t = fastBytes.bytesToUnicode();
    expect(t[0x20]).toBe('Ġ');
    expect(t[0x0a]).toBe('Ċ');
    expect(t[0x00]).toBe('\u0100');
    expect(t[0x41]).toBe('A');
    expect(t[0xad]).toBe('\u0143'); // soft hyphen is the 68th non-printable byte
    expect(t.filter((c, b) => c.charCodeAt(0) === b)).toHaveLength(188);
    expect(new Set(t).size).toBe(256);
    expect(t).toEqual(refBytes.bytesToUnicode());
    expect([...fastBytes.unicodeToBytes()]).toEqual([...refBytes.unicodeToBytes()]);
  });

  it('byteLevelEncode: fast == reference on random strings', () => {
    fc.assert(fc.property(textArb, (s) => {
      expect(fastBytes.byteLevelEncode(s)).toBe(refBytes.byteLevelEncode(s));
    }));
  });

  it("UTF-8 decoding replaces like Python's errors='replace'", () => {
    const cases: [number[], string][] = [
      [[0x61, 0xc3], 'a\uFFFD'],
      [[0xe2, 0x82], '\uFFFD'], // truncated 3-byte sequence: one replacement
      [[0xf0, 0x9f, 0x98, 0x41], '\uFFFDA'],
      [[0xed, 0xa0, 0x80], '\uFFFD\uFFFD\uFFFD'], // encoded surrogate
      [[0xc0, 0xaf], '\uFFFD\uFFFD'], // overlong
      [[0xf4, 0x90, 0x80, 0x80], '\uFFFD\uFFFD\uFFFD\uFFFD'], // above U+10FFFF
      [[0xe4, 0xb8, 0xad, 0xf0, 0x9f, 0xa4, 0x97], '中🤗'],
      [[0x80, 0xbf, 0x61], '\uFFFD\uFFFDa'],
    ];
    for (const [bytes, want] of cases) {
      expect(fastBytes.utf8DecodeReplace(Uint8Array.from(bytes))).toBe(want);
      expect(refBytes.utf8DecodeReplace(Uint8Array.from(bytes))).toBe(want);
    }
  });

  it('utf8DecodeReplace: fast (TextDecoder) == reference (hand-written) on random bytes', () => {
    const biased = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0x80, 0xbf, 0x9f, 0xa0));
    fc.assert(
      fc.property(fc.array(biased, { maxLength: 24 }), (a) => {
        const u = Uint8Array.from(a);
        expect(fastBytes.utf8DecodeReplace(u)).toBe(refBytes.utf8DecodeReplace(u));
      }),
      { numRuns: runs(300) },
    );
  });

  it('byteLevelDecode inverts byteLevelEncode; ▁ and \\n decode as space and newline', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (s) => {
      expect(fastBytes.byteLevelDecode(fastBytes.byteLevelEncode(s))).toBe(s);
    }));
    expect(fastBytes.byteLevelDecode('a\u2581b\nc')).toBe('a b\nc');
    expect(refBytes.byteLevelDecode('a\u2581b\nc')).toBe('a b\nc');
    expect(() => fastBytes.byteLevelDecode('a b')).toThrow(TokenizerError); // a raw space is not a byte symbol
    expect(() => refBytes.byteLevelDecode('a b')).toThrow(/byte-level alphabet/);
  });
});

describe('byte-level alphabet: tables and encoding', () => {
  it('the inverse table undoes the table; every stand-in is below U+0144; callers get copies', () => {
    const t = fastBytes.bytesToUnicode();
    const inv = fastBytes.unicodeToBytes();
    expect(inv.size).toBe(256);
    t.forEach((c, b) => expect(inv.get(c)).toBe(b));
    expect(Math.max(...t.map((c) => c.charCodeAt(0)))).toBe(0x143);
    t[0x20] = 'x';
    inv.set('Ġ', 0);
    expect(fastBytes.bytesToUnicode()[0x20]).toBe('Ġ');
    expect(fastBytes.unicodeToBytes().get('Ġ')).toBe(0x20);
  });

  it('byteLevelEncode maps the UTF-8 bytes: the doc example, astral characters, lone surrogates as U+FFFD (EF BF BD)', () => {
    for (const impl of [fastBytes, refBytes]) {
      expect(impl.byteLevelEncode(' é')).toBe('ĠÃ©');
      expect(impl.byteLevelEncode('a\n\t')).toBe('aĊĉ');
      expect(impl.byteLevelEncode('🤗')).toBe('ðŁ¤Ĺ'); // F0 9F A4 97
      expect(impl.byteLevelEncode('\ud800')).toBe('ï¿½');
      expect(impl.byteLevelEncode('x\udc00y')).toBe('xï¿½y');
      expect(impl.byteLevelEncode('')).toBe('');
    }
  });
});

describe('UTF-8 decoding and byte-level decoding', () => {
  it('utf8DecodeReplace keeps a leading BOM (Python\'s "utf-8" codec does; TextDecoder strips it by default)', () => {
    for (const impl of [fastBytes, refBytes]) {
      expect(impl.utf8DecodeReplace(Uint8Array.from([0xef, 0xbb, 0xbf, 0x61]))).toBe('\ufeffa');
      expect(impl.utf8DecodeReplace(new Uint8Array(0))).toBe('');
    }
  });

  it('utf8DecodeReplace inverts UTF-8 encoding of well-formed strings, in both paths', () => {
    const encoder = new TextEncoder();
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
      const bytes = encoder.encode(s);
      expect(fastBytes.utf8DecodeReplace(bytes)).toBe(s);
      expect(refBytes.utf8DecodeReplace(bytes)).toBe(s);
    }), { numRuns: runs(200) });
  });

  it('byteLevelDecode: fast == reference on random stand-in strings (any bytes, with ▁ and \\n)', () => {
    const table = refBytes.bytesToUnicode();
    const symbolArb = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => table[b]) }, { weight: 1, arbitrary: fc.constantFrom('\u2581', '\n') });
    fc.assert(fc.property(fc.array(symbolArb, { maxLength: 30 }), (symbols) => {
      const s = symbols.join('');
      expect(fastBytes.byteLevelDecode(s)).toBe(refBytes.byteLevelDecode(s));
    }), { numRuns: runs(300) });
  });

  it('byteLevelDecode names a character outside the alphabet and its position', () => {
    const cases: [string, RegExp][] = [
      ['ab€', /^decode: character U\+20AC at position 2 of a token string is not in the byte-level alphabet$/],
      ['\u0144', /character U\+0144 at position 0/], // one past the last stand-in
      ['Ġ🤗', /character U\+D83E at position 1/], // a UTF-16 unit of an astral character
      ['x\t', /character U\+0009 at position 1/], // a raw control character is not a stand-in
    ];
    for (const [s, re] of cases) {
      expect(() => fastBytes.byteLevelDecode(s)).toThrow(TokenizerError);
      expect(() => fastBytes.byteLevelDecode(s)).toThrow(re);
      expect(() => refBytes.byteLevelDecode(s)).toThrow(/byte-level alphabet/);
    }
    expect(fastBytes.byteLevelDecode('\u0143')).toBe('\uFFFD'); // U+0143 is byte 0xAD, a lone continuation byte
  });
});
