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

/** A fresh global (`gu`) instance of the pre-tokenizer regex; the fast path keeps one and resets `lastIndex`. */
export function pretokenizeRegex(): RegExp {
  return new RegExp(PRETOKENIZE_PATTERN, 'gu');
}

const RE = pretokenizeRegex();

/**
 * Split `text` into pre-tokens with find-all semantics; the pieces tile the input exactly.
 *
 * @example
 * ```ts
 * import { pretokenize } from 'intern-s1-ts';
 * pretokenize("Hello world, it's 42!"); // ['Hello', ' world', ',', ' it', "'s", ' ', '4', '2', '!']
 * ```
 */
export function pretokenize(text: string): string[] {
  const out: string[] = [];
  RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = RE.exec(text)) !== null) out.push(m[0]);
  return out;
}
