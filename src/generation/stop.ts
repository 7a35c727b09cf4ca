/**
 * Stop rules on text: stop strings matched on the decoded text, across token boundaries (a stop
 * string may be split over several tokens, or end inside one), and an incremental detokenizer that
 * turns a growing id sequence into stable text deltas for streaming.
 *
 * Semantics (OpenAI `stop`, HF `stop_strings`): generation ends at the first occurrence of any
 * stop string in the generated text; the text returned stops just before it (the stop string is
 * not included). While streaming, text that could be the start of a stop string is held back
 * until the next token settles it, so a streamed client never sees part of a stop string.
 *
 * Pure data: no tfjs, no Node built-ins.
 *
 * @module
 */
import { ValueError } from '../errors.js';

/** What one {@link StopStringMatcher.push} gives back. */
export interface StopMatch {
  /** Text now safe to show (never part of a stop string). */
  readonly text: string;
  /** The stop string found, or null. Once set, everything after it is dropped. */
  readonly stop: string | null;
}

/**
 * Incremental stop-string matcher over text deltas.
 *
 * @example
 * ```ts
 * import { StopStringMatcher } from 'intern-s1-ts';
 * const m = new StopStringMatcher(['\nUser:']);
 * console.log(m.push('Hi!\nUs'));   // { text: 'Hi!', stop: null }  ('\nUs' is held back)
 * console.log(m.push('er: more')); // { text: '', stop: '\nUser:' }
 * ```
 */
export class StopStringMatcher {
  private held = '';
  private done: string | null = null;
  private readonly stops: readonly string[];

  constructor(stops: readonly string[]) {
    for (const s of stops) if (typeof s !== 'string' || s.length === 0) throw new ValueError(`stop: each stop string must be a non-empty string, got ${JSON.stringify(s)}`);
    this.stops = [...stops];
  }

  /** The stop string that ended the text, or null. */
  get stopped(): string | null {
    return this.done;
  }

  /** Add a text delta; returns what may be emitted and whether a stop string completed. */
  push(delta: string): StopMatch {
    if (this.done !== null) return { text: '', stop: this.done };
    const buf = this.held + delta;
    let at = -1;
    let which: string | null = null;
    for (const s of this.stops) {
      const i = buf.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) [at, which] = [i, s];
    }
    if (which !== null) {
      this.done = which;
      this.held = '';
      return { text: buf.slice(0, at), stop: which };
    }
    const keep = this.heldLength(buf);
    this.held = buf.slice(buf.length - keep);
    return { text: buf.slice(0, buf.length - keep), stop: null };
  }

  /** End of generation: release the held text (it never completed a stop string). */
  flush(): string {
    const t = this.done === null ? this.held : '';
    this.held = '';
    return t;
  }

  /** Length of the longest suffix of `buf` that is a proper prefix of some stop string. */
  private heldLength(buf: string): number {
    let best = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, buf.length); k > best; k--) {
        if (buf.endsWith(s.slice(0, k))) { best = k; break; }
      }
    }
    return best;
  }
}

/**
 * Incremental detokenizer: `push(id)` returns the new text since the last call. Decodes the whole
 * generated sequence at each step (O(n) per token: simple and exact for every tokenizer, byte-level
 * BPE and sentencepiece alike) and holds back a trailing U+FFFD, the mark of a UTF-8 character whose
 * bytes are split over tokens, until the next token completes it. {@link IncrementalDetokenizer.finish}
 * releases whatever is held.
 *
 * @example
 * ```ts
 * import { IncrementalDetokenizer } from 'intern-s1-ts';
 * const d = new IncrementalDetokenizer((ids) => ids.map((i) => 'ab'[i]).join(''));
 * console.log(d.push(0), d.push(1)); // 'a' 'b'
 * ```
 */
export class IncrementalDetokenizer {
  private readonly ids: number[] = [];
  private emitted = '';

  constructor(private readonly decode: (ids: readonly number[]) => string) {}

  /** The ids pushed so far. */
  get tokens(): readonly number[] {
    return this.ids;
  }

  /** Add one id; returns the text it settles (maybe empty). */
  push(id: number): string {
    this.ids.push(id);
    let text = this.decode(this.ids);
    while (text.endsWith('\uFFFD')) text = text.slice(0, -1);
    return this.advance(text);
  }

  /** The rest of the text (including a trailing U+FFFD that no later token completed). */
  finish(): string {
    return this.advance(this.decode(this.ids));
  }

  private advance(text: string): string {
    // Decoding more ids only appends text for the tokenizers of this library; if a decoder ever
    // rewrote earlier text, the new text is emitted from the first difference on (never lost).
    let common = 0;
    const n = Math.min(text.length, this.emitted.length);
    while (common < n && text.charCodeAt(common) === this.emitted.charCodeAt(common)) common++;
    if (common < this.emitted.length) {
      this.emitted = text;
      return text.slice(common);
    }
    const delta = text.slice(this.emitted.length);
    this.emitted = text;
    return delta;
  }
}
