/**
 * Reference Qwen pre-tokenizer (tokenizer spec §1.3), written as a hand-made scanner that tries
 * the seven alternatives of the original pattern in order, so that the fast path's ported regular
 * expression is checked against an independent reading of the same pattern:
 *
 * `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 *
 * `\s` is Python's whitespace set ({@link PY_WHITESPACE}); positions are code points.
 *
 * @module
 */

/** The members of Python `regex`'s `\s` for `str` patterns, as the body of a character class. */
export const PY_WHITESPACE = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** The JavaScript source of the ported pattern, as in the fast path (kept for documentation and the test). */
export const PRETOKENIZE_PATTERN =
  `'(?:[sS\\u017f]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])` +
  `|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+` +
  `|\\p{N}` +
  `| ?[^${PY_WHITESPACE}\\p{L}\\p{N}]+[\\r\\n]*` +
  `|[${PY_WHITESPACE}]*[\\r\\n]+` +
  `|[${PY_WHITESPACE}]+(?![^${PY_WHITESPACE}])` +
  `|[${PY_WHITESPACE}]+`;

/** A fresh regex of {@link PRETOKENIZE_PATTERN} (flags `gu` by default). */
export function pretokenizeRegex(flags = 'gu'): RegExp {
  return new RegExp(PRETOKENIZE_PATTERN, flags);
}

const isLetter = (c: string | undefined): boolean => c !== undefined && /\p{L}/u.test(c);
const isNumber = (c: string | undefined): boolean => c !== undefined && /\p{N}/u.test(c);
const isSpace = (c: string | undefined): boolean => c !== undefined && new RegExp(`[${PY_WHITESPACE}]`, 'u').test(c);
const isNewline = (c: string | undefined): boolean => c === '\r' || c === '\n';
/** `[^\s\p{L}\p{N}]`: punctuation, symbols, controls that are not whitespace... */
const isOther = (c: string | undefined): boolean => c !== undefined && !isSpace(c) && !isLetter(c) && !isNumber(c);

/** Length (in code points) of the match of the pattern at position `i` of `cps`. Always ≥ 1. */
function matchAt(cps: string[], i: number): number {
  const c = cps[i];
  // 1. contractions, case-insensitive ('ſ' folds to 's')
  if (c === "'") {
    const a = cps[i + 1]?.toLowerCase();
    const b = cps[i + 2]?.toLowerCase();
    if (a === 'r' && b === 'e') return 3;
    if (a === 'v' && b === 'e') return 3;
    if (a === 'l' && b === 'l') return 3;
    if (a === 's' || a === '\u017f' || a === 't' || a === 'm' || a === 'd') return 2;
  }
  // 2. [^\r\n\p{L}\p{N}]?\p{L}+
  let start = -1;
  if (!isNewline(c) && !isLetter(c) && !isNumber(c) && isLetter(cps[i + 1])) start = i + 1;
  else if (isLetter(c)) start = i;
  if (start >= 0) {
    let j = start;
    while (isLetter(cps[j])) j++;
    return j - i;
  }
  // 3. \p{N}
  if (isNumber(c)) return 1;
  // 4. " ?[^\s\p{L}\p{N}]+[\r\n]*"
  let k = -1;
  if (c === ' ' && isOther(cps[i + 1])) k = i + 1;
  else if (isOther(c)) k = i;
  if (k >= 0) {
    while (isOther(cps[k])) k++;
    while (isNewline(cps[k])) k++;
    return k - i;
  }
  // From here c is whitespace. Let [i, j) be the whole whitespace run.
  let j = i;
  while (isSpace(cps[j])) j++;
  // 5. \s*[\r\n]+ : backtracking leaves the match ending after the last newline of the run.
  for (let p = j - 1; p >= i; p--) if (isNewline(cps[p])) return p + 1 - i;
  // 6. \s+(?!\S) : the whole run at the end of the text, else the run minus its last character.
  if (j === cps.length) return j - i;
  if (j - 1 > i) return j - 1 - i;
  // 7. \s+
  return j - i;
}

/** Split `text` into pre-tokens; the pieces tile the input exactly. */
export function pretokenize(text: string): string[] {
  const cps = Array.from(text);
  const out: string[] = [];
  let i = 0;
  while (i < cps.length) {
    const n = matchAt(cps, i);
    out.push(cps.slice(i, i + n).join(''));
    i += n;
  }
  return out;
}
