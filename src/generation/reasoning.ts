/**
 * The reasoning split of Intern-S1 output, streaming-safe: text inside `<think> ... </think>`
 * becomes `reasoning`, the rest `content` (OpenAI-style `reasoning_content` / `content`, as
 * lmdeploy's and vLLM's reasoning parsers report it).
 *
 * With thinking on, the Intern-S1 chat template ends the prompt with `<think>`, so the model's
 * output starts inside the reasoning and only closes it with `</think>`: construct the parser with
 * `{ startInReasoning: true }` (the DeepSeek-R1 convention that vLLM's `deepseek_r1` parser, the one
 * vLLM's Intern-S1 recipe uses, follows). An output that opens with `<think>` itself is handled
 * either way. Text after `</think>` loses its leading newlines, and reasoning its leading ones,
 * exactly as the chat template strips them when the turn is rendered back
 * (`content.split('</think>')[-1].lstrip('\n')`). If `</think>` never comes (the length limit hit
 * while thinking), everything is reasoning and content stays empty.
 *
 * Tags split over tokens (`</thi` + `nk>`) are held back until settled: feed text deltas of any
 * size, including one character at a time; the concatenated outputs equal the one-shot split.
 *
 * Pure data: no tfjs, no Node built-ins.
 *
 * @module
 */

const OPEN = '<think>';
const CLOSE = '</think>';

/** One step of output: new reasoning text and new content text (either may be empty). */
export interface ReasoningDelta {
  /** New reasoning text. */
  readonly reasoning: string;
  /** New content text. */
  readonly content: string;
}

/** Length of the longest suffix of `s` that is a proper prefix of `tag`. */
export function partialTagLength(s: string, tag: string): number {
  for (let k = Math.min(tag.length - 1, s.length); k > 0; k--) if (s.endsWith(tag.slice(0, k))) return k;
  return 0;
}

/**
 * An incremental splitter of `<think>...</think>` reasoning from the answer, fed chunk by chunk.
 *
 * @example
 * ```ts
 * import { ReasoningParser } from 'intern-s1-ts';
 * const p = new ReasoningParser({ startInReasoning: true });
 * p.push('Water boils at 100 C.</th');
 * p.push('ink>\n\nAt sea level.');
 * console.log(p.result()); // { reasoning: 'Water boils at 100 C.', content: 'At sea level.' }
 * ```
 */
export class ReasoningParser {
  private state: 'start' | 'reasoning' | 'content';
  private held = '';
  private reasoning = '';
  private content = '';
  /** Leading newlines of the current section are still being dropped. */
  private atSectionStart = true;

  constructor(opts: { startInReasoning?: boolean } = {}) {
    this.state = opts.startInReasoning ? 'reasoning' : 'start';
  }

  /** Add a text delta; returns the settled reasoning / content text it adds. */
  push(delta: string): ReasoningDelta {
    let buf = this.held + delta;
    this.held = '';
    let r = '';
    let c = '';
    for (;;) {
      if (this.state === 'start') {
        // Only a `<think>` at the very start (after blank space) opens reasoning.
        const trimmed = buf.replace(/^\s+/, '');
        if (trimmed.startsWith(OPEN)) { buf = trimmed.slice(OPEN.length); this.state = 'reasoning'; this.atSectionStart = true; continue; }
        if (OPEN.startsWith(trimmed)) { this.held = buf; break; } // maybe the tag, undecided
        this.state = 'content';
        continue;
      }
      if (this.state === 'reasoning') {
        if (this.atSectionStart) { buf = buf.replace(/^\n+/, ''); if (buf) this.atSectionStart = false; }
        const end = buf.indexOf(CLOSE);
        if (end >= 0) { r += buf.slice(0, end); buf = buf.slice(end + CLOSE.length); this.state = 'content'; this.atSectionStart = true; continue; }
        const keep = partialTagLength(buf, CLOSE);
        r += buf.slice(0, buf.length - keep);
        this.held = buf.slice(buf.length - keep);
        break;
      }
      // content: leading newlines after `</think>` dropped, the rest passed through.
      if (this.atSectionStart) { buf = buf.replace(/^\n+/, ''); if (buf) this.atSectionStart = false; }
      c += buf;
      break;
    }
    this.reasoning += r;
    this.content += c;
    return { reasoning: r, content: c };
  }

  /** End of output: release held text (an unfinished tag is text of the current section). */
  finish(): ReasoningDelta {
    const held = this.held;
    this.held = '';
    if (!held) return { reasoning: '', content: '' };
    if (this.state === 'reasoning') { this.reasoning += held; return { reasoning: held, content: '' }; }
    this.content += held; // in 'start', a lone partial `<think>` (or blank space) is content
    this.state = 'content';
    return { reasoning: '', content: held };
  }

  /** Everything so far (call after {@link finish} for the final split). */
  result(): ReasoningDelta {
    return { reasoning: this.reasoning, content: this.content };
  }
}

/**
 * One-shot split of a whole output (the same rules as the incremental parser).
 *
 * @example
 * ```ts
 * import { splitReasoning } from 'intern-s1-ts';
 * console.log(splitReasoning('<think>\nhmm\n</think>\n\nYes.')); // { reasoning: 'hmm\n', content: 'Yes.' }
 * ```
 */
export function splitReasoning(text: string, opts: { startInReasoning?: boolean } = {}): ReasoningDelta {
  const p = new ReasoningParser(opts);
  p.push(text);
  p.finish();
  return p.result();
}
