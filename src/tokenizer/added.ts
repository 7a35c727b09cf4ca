/**
 * Splitting text on added tokens before anything else (tokenizer spec §1.5 step 1), with the
 * rule of Hugging Face's `Trie.split`: the leftmost match wins, and among matches starting at the
 * same place the longest. The fast path compiles the tokens, longest first, into one regular
 * expression alternation, whose leftmost-first semantics give exactly that rule.
 *
 * @module
 */

/** Escape a string for use inside a regular expression. */
function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** A reusable splitter for a fixed set of tokens. */
export class AddedTokenSplitter {
  private readonly re: RegExp | null;

  constructor(
    /** The tokens to split on, as given (duplicates and empty strings are ignored). */
    readonly tokens: readonly string[],
  ) {
    const sorted = [...new Set(tokens)].filter((t) => t.length > 0).sort((a, b) => b.length - a.length);
    this.re = sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : null;
  }

  /** Split `text` into chunks: the matched tokens as their own chunks, the text between them; no empty chunks. */
  split(text: string): string[] {
    if (!this.re || text.length === 0) return text.length ? [text] : [];
    const out: string[] = [];
    const re = this.re;
    re.lastIndex = 0;
    let cur = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      if (m.index > cur) out.push(text.slice(cur, m.index));
      out.push(m[0]);
      cur = m.index + m[0].length;
    }
    if (cur < text.length) out.push(cur === 0 ? text : text.slice(cur));
    return out;
  }
}

/**
 * Split `text` on any of `tokens` (leftmost, then longest match), keeping the tokens as chunks.
 *
 * @example
 * ```ts
 * import { splitOnAddedTokens } from 'intern-s1-ts/internals';
 * splitOnAddedTokens('a<|im_start|>b<im>', ['<|im_start|>', '<|im', '<im>']); // => ['a', '<|im_start|>', 'b', '<im>']
 * ```
 */
export function splitOnAddedTokens(text: string, tokens: readonly string[]): string[] {
  return new AddedTokenSplitter(tokens).split(text);
}
