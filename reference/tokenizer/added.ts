/**
 * Reference added-token split (tokenizer spec §1.5 step 1): walk the text; at each position take
 * the longest token that starts there; the leftmost such match wins (Hugging Face `Trie.split`).
 *
 * @module
 */

/** A splitter for a fixed set of tokens. */
export class AddedTokenSplitter {
  constructor(
    /** The tokens to split on (an empty string never matches). */
    readonly tokens: readonly string[],
  ) {}

  /** Split `text` into chunks: the tokens as their own chunks, the text between them; no empty chunks. */
  split(text: string): string[] {
    const chunks: string[] = [];
    let pending = '';
    let i = 0;
    while (i < text.length) {
      let longest = '';
      for (const t of this.tokens) {
        if (t.length > longest.length && text.startsWith(t, i)) longest = t;
      }
      if (longest === '') {
        pending += text[i];
        i += 1;
      } else {
        if (pending !== '') chunks.push(pending);
        pending = '';
        chunks.push(longest);
        i += longest.length;
      }
    }
    if (pending !== '') chunks.push(pending);
    return chunks;
  }
}

/** Split `text` on any of `tokens` (leftmost, then longest match), keeping the tokens as chunks. */
export function splitOnAddedTokens(text: string, tokens: readonly string[]): string[] {
  return new AddedTokenSplitter(tokens).split(text);
}
