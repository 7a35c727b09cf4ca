/**
 * Tool calls in Intern-S1 output, streaming-safe. The Intern-S1-Pro chat template asks the model
 * for one block per call:
 *
 * ```
 * <tool_call>
 * {"name": <function-name>, "arguments": <args-json-object>}
 * </tool_call>
 * ```
 *
 * (the Hermes / Qwen format that vLLM's `hermes` and lmdeploy's Intern-S1 tool parsers read).
 * {@link ToolCallParser} takes the content text (after the reasoning split) as deltas of any size
 * and emits plain text outside the blocks, one event per complete call, and, for a block whose JSON
 * does not parse or lacks a string `name`, an `invalid` event carrying the raw block and the
 * reason: a malformed call is reported, never dropped. A block left open at the end of the output
 * is reported as invalid too. Text that might be the start of `<tool_call>` is held back until
 * settled, so streamed text never shows half a tag.
 *
 * Decisions: `arguments` may be a JSON object or a string holding one (some models quote it); it
 * is returned as a JSON string, as OpenAI's `function.arguments` is; a missing `arguments` is `{}`.
 * Text between and after blocks that is only white space (the template's `\n` separators) is not
 * reported as text.
 *
 * Pure data: no tfjs, no Node built-ins.
 *
 * @module
 */
import { partialTagLength } from './reasoning.js';

const OPEN = '<tool_call>';
const CLOSE = '</tool_call>';

/** A parsed call, in OpenAI's shape (`arguments` as JSON text). */
export interface ParsedToolCall {
  /** The function name. */
  readonly name: string;
  /** Its arguments as JSON text (an object). */
  readonly arguments: string;
}

/** What the parser reports, in output order. */
export type ToolCallEvent =
  | {
    /** Plain text outside the blocks. */
    readonly type: 'text';
    /** The text. */
    readonly text: string;
  }
  | {
    /** A parsed call. */
    readonly type: 'call';
    /** Its position among the calls, from 0. */
    readonly index: number;
    /** Name and arguments. */
    readonly call: ParsedToolCall;
  }
  | {
    /** A block that is not a valid call. */
    readonly type: 'invalid';
    /** The block as the model wrote it, tags included. */
    readonly raw: string;
    /** Why it is not a call. */
    readonly error: string;
  };

/** Parse one block's inner text; a string is the reason it is not a call. */
export function parseToolCallBody(body: string): ParsedToolCall | string {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (e) {
    return `tool call is not valid JSON: ${(e as Error).message}`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'tool call must be a JSON object';
  const o = v as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name === '') return "tool call lacks a string 'name'";
  let args = o.arguments ?? {};
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args);
    } catch {
      return `'arguments' of ${o.name} is a string that is not JSON`;
    }
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return `'arguments' of ${o.name} must be a JSON object`;
  return { name: o.name, arguments: JSON.stringify(args) };
}

/**
 * An incremental parser of `<tool_call>` blocks, fed text chunk by chunk.
 *
 * @example
 * ```ts
 * import { ToolCallParser } from 'intern-s1-ts';
 * const p = new ToolCallParser();
 * const ev = [...p.push('Let me check.\n<tool_call>\n{"name": "weather", "argu'), ...p.push('ments": {"city": "Oslo"}}\n</tool_call>'), ...p.finish()];
 * console.log(ev); // [{ type: 'text', text: 'Let me check.\n' }, { type: 'call', index: 0, call: { name: 'weather', arguments: '{"city":"Oslo"}' } }]
 * ```
 */
export class ToolCallParser {
  private inCall = false;
  private buf = '';
  private calls = 0;
  /** Blocks seen (calls and invalid ones): after one, blank text is a separator. */
  private blocks = 0;
  private readonly all: ToolCallEvent[] = [];

  /** Add a text delta; returns the events it completes. */
  push(delta: string): ToolCallEvent[] {
    this.buf += delta;
    const out: ToolCallEvent[] = [];
    for (;;) {
      if (!this.inCall) {
        const at = this.buf.indexOf(OPEN);
        if (at >= 0) {
          this.text(out, this.buf.slice(0, at));
          this.buf = this.buf.slice(at + OPEN.length);
          this.inCall = true;
          continue;
        }
        const keep = partialTagLength(this.buf, OPEN);
        const ready = this.buf.slice(0, this.buf.length - keep);
        // White space may be the separator before another block: hold it while it could be.
        if (ready.trim() === '' && this.blocks > 0) break;
        this.text(out, ready);
        this.buf = this.buf.slice(this.buf.length - keep);
        break;
      }
      const end = this.buf.indexOf(CLOSE);
      if (end < 0) break;
      const body = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + CLOSE.length);
      this.inCall = false;
      this.blocks++;
      const parsed = parseToolCallBody(body.trim());
      if (typeof parsed === 'string') out.push({ type: 'invalid', raw: OPEN + body + CLOSE, error: parsed });
      else out.push({ type: 'call', index: this.calls++, call: parsed });
    }
    this.all.push(...out);
    return out;
  }

  /** End of output: held text is text; an unclosed block is reported invalid. */
  finish(): ToolCallEvent[] {
    const out: ToolCallEvent[] = [];
    if (this.inCall) out.push({ type: 'invalid', raw: OPEN + this.buf, error: `tool call not closed with ${CLOSE}` });
    else this.text(out, this.buf);
    this.buf = '';
    this.inCall = false;
    this.all.push(...out);
    return out;
  }

  /** Every event so far. */
  events(): readonly ToolCallEvent[] {
    return this.all;
  }

  private text(out: ToolCallEvent[], t: string): void {
    if (t === '' || (this.blocks > 0 && t.trim() === '')) return;
    out.push({ type: 'text', text: t });
  }
}

/** The text, the calls and the invalid blocks of a whole output (one-shot). */
export function parseToolCalls(text: string): {
  /** The text outside the blocks. */
  text: string;
  /** The valid calls, in order. */
  calls: ParsedToolCall[];
  /** The invalid blocks, in order. */
  invalid: {
    /** The block as written. */
    raw: string;
    /** Why it is not a call. */
    error: string;
  }[];
} {
  const p = new ToolCallParser();
  p.push(text);
  p.finish();
  let t = '';
  const calls: ParsedToolCall[] = [];
  const invalid: { raw: string; error: string }[] = [];
  for (const e of p.events()) {
    if (e.type === 'text') t += e.text;
    else if (e.type === 'call') calls.push(e.call);
    else invalid.push({ raw: e.raw, error: e.error });
  }
  return { text: t, calls, invalid };
}
