/**
 * The Qwen pre-tokenizer (tokenizer spec §1.3), ported from Python's `regex` module to a
 * JavaScript `u`-mode regular expression.
 *
 * The original pattern is
 * `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
 * Three traps of the port (spec §1.3):
 * - JavaScript has no inline `(?i:...)`: the contractions are expanded by hand, including
 *   `ſ` (U+017F), which Python's case folding matches for `s`;
 * - Python's `\s` is not JavaScript's: it includes U+0085 and excludes U+FEFF, so `\s` / `\S`
 *   are spelled out as the class {@link PY_WHITESPACE};
 * - the `u` flag is needed for `\p{L}` / `\p{N}` and to step over astral code points.
 *
 * @module
 */

/** The members of Python `regex`'s `\s` for `str` patterns, as the body of a character class. */
export const PY_WHITESPACE = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const S = PY_WHITESPACE;
/** The JavaScript source of the ported pattern (flags `gu`). */
export const PRETOKENIZE_PATTERN =
  `'(?:[sS\\u017f]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])` +
  `|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+` +
  `|\\p{N}` +
  `| ?[^${S}\\p{L}\\p{N}]+[\\r\\n]*` +
  `|[${S}]*[\\r\\n]+` +
  `|[${S}]+(?![^${S}])` +
  `|[${S}]+`;

/** A fresh instance of the pre-tokenizer regex (flags `gu` by default; `uy` for the sticky one `pieceEnd` uses). */
export function pretokenizeRegex(flags = 'gu'): RegExp {
  return new RegExp(PRETOKENIZE_PATTERN, flags);
}

const STICKY = pretokenizeRegex('uy');

/**
 * End of the pre-token that starts at `p`. The pieces of find-all matching depend only on where
 * each match starts, so the fast path may compute a match by any exact means: a hand-made
 * scanner where the deciding characters are ASCII ({@link asciiPieceEnd}), the sticky regex
 * elsewhere.
 */
export function pieceEnd(text: string, p: number, sticky: RegExp = STICKY): number {
  const e = asciiPieceEnd(text, p);
  if (e >= 0) return e;
  sticky.lastIndex = p;
  return p + sticky.exec(text)![0].length;
}

/**
 * Split `text` into pre-tokens with find-all semantics; the pieces tile the input exactly.
 *
 * @example
 * ```ts
 * import { pretokenize } from 'intern-s1-ts/internals';
 * pretokenize("Hello world, it's 42!"); // => ['Hello', ' world', ',', ' it', "'s", ' ', '4', '2', '!']
 * ```
 */
export function pretokenize(text: string): string[] {
  const out: string[] = [];
  for (let p = 0; p < text.length; ) {
    const e = pieceEnd(text, p);
    out.push(text.slice(p, e));
    p = e;
  }
  return out;
}

/** ASCII classes for the pre-token scanner: 0 other, 1 letter, 2 digit, 3 whitespace, 4 newline (\r, \n). */
const CLS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CLS[c] = /[A-Za-z]/.test(ch) ? 1 : /[0-9]/.test(ch) ? 2 : c === 10 || c === 13 ? 4 : (c >= 9 && c <= 12) || c === 32 ? 3 : 0;
}
const OTHER = 0;
const LETTER = 1;
const DIGIT = 2;
const NEWLINE = 4;

/**
 * End of the pre-token that starts at `p`, computed by hand for ASCII text, or -1 when a
 * character that decides the match is not ASCII (the caller then asks the regex). Mirrors the
 * alternatives of the pattern in order: contractions; `[^\r\n\p{L}\p{N}]?\p{L}+`; `\p{N}`;
 * ` ?[^\s\p{L}\p{N}]+[\r\n]*`; `\s*[\r\n]+`; `\s+(?!\S)`; `\s+`.
 */
export function asciiPieceEnd(text: string, p: number): number {
  const n = text.length;
  const c = text.charCodeAt(p);
  if (c >= 128) return -1;
  const k = CLS[c];
  const d = p + 1 < n ? text.charCodeAt(p + 1) : -1;
  if (c === 39 && d >= 0) {
    // 's 't 're 've 'm 'll 'd, case-insensitively ('ſ' is not ASCII: defer)
    if (d >= 128) return -1;
    const a = d | 0x20;
    if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return p + 2;
    if ((a === 0x72 || a === 0x76 || a === 0x6c) && p + 2 < n) {
      const b = text.charCodeAt(p + 2) | 0x20;
      if ((a === 0x6c && b === 0x6c) || (a !== 0x6c && b === 0x65)) return p + 3;
    }
  }
  let j = -1;
  if (k === LETTER) j = p;
  else if (k !== NEWLINE && k !== DIGIT && d >= 0) {
    if (d >= 128) return -1;
    if (CLS[d] === LETTER) j = p + 1;
  }
  if (j >= 0) {
    for (; j < n; j++) {
      const x = text.charCodeAt(j);
      if (x >= 128) return -1; // might be a letter
      if (CLS[x] !== LETTER) break;
    }
    return j;
  }
  if (k === DIGIT) return p + 1;
  j = -1;
  if (c === 32 && d >= 0) {
    if (d >= 128) return -1;
    if (CLS[d] === OTHER) j = p + 1;
  } else if (k === OTHER) j = p;
  if (j >= 0) {
    for (; j < n; j++) {
      const x = text.charCodeAt(j);
      if (x >= 128) return -1; // might be punctuation too
      if (CLS[x] !== OTHER) break;
    }
    while (j < n && CLS[text.charCodeAt(j)] === NEWLINE) j++;
    return j;
  }
  // whitespace run [p, j)
  j = p;
  for (; j < n; j++) {
    const x = text.charCodeAt(j);
    if (x >= 128) return -1; // might be whitespace (U+0085, U+00A0, ...)
    if (CLS[x] < 3) break;
  }
  for (let q = j - 1; q >= p; q--) if (CLS[text.charCodeAt(q)] === NEWLINE) return q + 1;
  if (j === n) return j;
  return j - 1 > p ? j - 1 : j;
}
