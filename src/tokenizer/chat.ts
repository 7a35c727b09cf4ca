/**
 * Prompts in the models' ChatML format (architecture spec §8, tokenizer spec §1.10): the
 * Intern-S1-Pro `chat_template.jinja` re-implemented as code (thinking on / off, tools, tool
 * calls and responses, images and videos), and the expansion of media placeholders to the
 * number of feature rows each encoder produces.
 *
 * Intern-S1-Pro renders an image item as `Picture k: <|vision_start|><|image_pad|><|vision_end|>`
 * and the processor repeats `<|image_pad|>` once per visual token. Intern-S1 (flavour
 * `'intern-s1'`) puts `<IMG_CONTEXT>` where the image goes and the processor replaces it by
 * `<img>` + `<IMG_CONTEXT>`×N + `</img>` ([I]: the S1 chat template is not available offline; the
 * placeholder is the processor's `image_token`). A `time_series` item renders as
 * `<|ts|><TS_CONTEXT><|/ts|>` ([I]: the Pro template ignores such items; this is the placeholder
 * the lmdeploy processor expands), expanded to `<|ts|>` + `<TS_CONTEXT>`×N + `<|/ts|>` with N from
 * the time-series encoder (architecture §7.5).
 *
 * Values as Jinja sees them (issue #17): a missing `content` renders as empty text (Jinja iterates
 * an undefined value as an empty list), `content: null` is an error (Jinja raises), a text part
 * with `text: null` and a tool call with `name: null` render `None`, and `enable_thinking: null`
 * is false. What JSON cannot carry from Python, and so cannot match a Python caller byte for byte:
 * `1.0` (JSON.parse gives the number 1, which `tojson` prints as `1`, where Python prints `1.0`),
 * and the order of integer-like keys (`{"2": 0, "1": 0}` comes back from JSON.parse as
 * `{"1": 0, "2": 0}`: JavaScript orders integer-like keys first, ascending; Python keeps insertion
 * order). Pass tool schemas whose numbers are integers or non-integral floats and whose keys are
 * not integer-like, and the prompt is the one transformers renders.
 *
 * @module
 */
import { TokenizerError } from '../errors.js';

/** One item of a multi-part message content. */
export interface ChatContentItem {
  /** The item kind; an item is also an image / video / series when it has that key, whatever its type. */
  type?: 'text' | 'image' | 'video' | 'time_series' | string;
  /** Text, rendered as is (for an item that is not media); `null` renders `None`, as Jinja prints Python's None. */
  text?: string | null;
  /** Present for an image item (its value is not read; only the placeholder is rendered). */
  image?: unknown;
  /** Present for an image item given by URL (value not read). */
  image_url?: unknown;
  /** Present for a video item (value not read). */
  video?: unknown;
  /** Present for a time-series item (value not read). */
  time_series?: unknown;
}

/** A tool call of an assistant message (OpenAI style; `function` may be omitted). */
export interface ChatToolCall {
  /** The called function; when absent, `name` and `arguments` are read from the call itself. */
  function?: {
    /** Function name (`null` renders `None`, as Jinja does). */
    name: string | null;
    /** Arguments: a JSON string rendered verbatim, or an object serialised like Python's `json.dumps`. */
    arguments: string | Record<string, unknown>;
  };
  /** Function name (when `function` is omitted). */
  name?: string | null;
  /** Arguments (when `function` is omitted): a JSON string, or an object to serialise. */
  arguments?: string | Record<string, unknown>;
}

/** One chat message of a conversation: its role and its content. */
export interface ChatMessage {
  /** Who speaks; `tool` messages render as `<tool_response>` blocks in a user turn. */
  role: 'system' | 'user' | 'assistant' | 'tool' | string;
  /**
   * Plain text, or a list of text and media items. May be left out (an assistant turn with only
   * `tool_calls`, the usual OpenAI shape): Jinja iterates the undefined value as an empty list, so
   * it renders as empty text. `null` is an error, as in Jinja (`'NoneType' object is not iterable`).
   */
  content?: string | ChatContentItem[] | null;
  /** Reasoning of an assistant turn, rendered inside `<think>…</think>` when it is kept (not a string: split from the content). */
  reasoning_content?: string | null;
  /** Tool calls of an assistant turn, each rendered as a `<tool_call>` block. */
  tool_calls?: ChatToolCall[];
}

/** The generation prompt, thinking switch, tools and flavour options of {@link applyChatTemplate}. */
export interface ChatTemplateOptions {
  /** End with `<|im_start|>assistant\n` (and the think prefix). Default false, as in transformers. */
  addGenerationPrompt?: boolean;
  /** `enable_thinking`: undefined or true opens `<think>`; false or null (Jinja: defined and falsy) writes an empty `<think></think>\n\n`. */
  enableThinking?: boolean | null;
  /** Tool (function) schemas; rendered in the system turn with `tojson`. */
  tools?: readonly unknown[];
  /** How media items render: `'intern-s1-pro'` (default) or `'intern-s1'`. */
  flavour?: 'intern-s1-pro' | 'intern-s1';
}

/** Python's `json.dumps(x, ensure_ascii=False)` (the template's `tojson`): `", "` and `": "` separators, keys in insertion order. */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(pyJsonDumps).join(', ') + ']';
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return '{' + entries.map(([k, v]) => `${JSON.stringify(k)}: ${pyJsonDumps(v)}`).join(', ') + '}';
  }
  throw new TokenizerError(`applyChatTemplate: cannot serialise a ${typeof value} to JSON`);
}

/** A number as Python prints it: integers exactly, other floats with `repr` (exponent below 1e-4 and from 1e16). */
function pyNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(x)) return BigInt(x).toString();
  const [mant, expStr] = x.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) {
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(x);
}

/** A JS `in` check on a plain object (the template's `'image' in item`). */
const has = (item: object, key: string): boolean => Object.prototype.hasOwnProperty.call(item, key);

/** Python `str.strip(chars)` family for the single character `\n`. */
const lstripNl = (s: string): string => s.replace(/^\n+/, '');
const rstripNl = (s: string): string => s.replace(/\n+$/, '');

/**
 * Render messages with the Intern-S1-Pro chat template (chat_template.jinja), byte for byte.
 *
 * @example
 * ```ts
 * import { applyChatTemplate } from 'intern-s1-ts';
 * applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true, enableThinking: false });
 * // => '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think></think>\n\n'
 * ```
 */
export function applyChatTemplate(messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  if (messages.length === 0) throw new TokenizerError('applyChatTemplate: no messages');
  const s1 = opts.flavour === 'intern-s1';
  let imageCount = 0;
  let videoCount = 0;
  const render = (content: ChatMessage['content'], count: boolean, where: number): string => {
    if (typeof content === 'string') return content;
    if (content === undefined) return ''; // Jinja: iterating an undefined value yields nothing
    if (content === null) throw new TokenizerError(`applyChatTemplate: messages[${where}].content is null, which the template cannot iterate (Jinja raises "'NoneType' object is not iterable"); leave the key out instead`);
    let out = '';
    for (const item of content) {
      if (has(item, 'image') || has(item, 'image_url') || item.type === 'image') {
        if (count) imageCount++;
        out += s1 ? '<IMG_CONTEXT>' : `Picture ${imageCount}: <|vision_start|><|image_pad|><|vision_end|>`;
      } else if (has(item, 'video') || item.type === 'video') {
        if (count) videoCount++;
        out += s1 ? '<video>' : `Video ${videoCount}: <|vision_start|><|video_pad|><|vision_end|>`;
      } else if (has(item, 'time_series') || item.type === 'time_series') {
        out += '<|ts|><TS_CONTEXT><|/ts|>';
      } else if (has(item, 'text')) {
        out += item.text === null ? 'None' : item.text ?? ''; // Jinja prints None as 'None'
      }
    }
    return out;
  };

  let out = '';
  if (opts.tools && opts.tools.length > 0) {
    out += '<|im_start|>system\n';
    if (messages[0].role === 'system') out += render(messages[0].content, false, 0) + '\n\n';
    out += '# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>';
    for (const tool of opts.tools) out += '\n' + pyJsonDumps(tool);
    out += '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n';
  } else if (messages[0].role === 'system') {
    out += '<|im_start|>system\n' + render(messages[0].content, false, 0) + '<|im_end|>\n';
  }

  // The last user turn that is not a wrapped tool response.
  let multiStepTool = true;
  let lastQueryIndex = messages.length - 1;
  for (let index = messages.length - 1; index >= 0; index--) {
    const m = messages[index];
    if (multiStepTool && m.role === 'user') {
      const c = render(m.content, false, index);
      if (!(c.startsWith('<tool_response>') && c.endsWith('</tool_response>'))) {
        multiStepTool = false;
        lastQueryIndex = index;
      }
    }
  }

  messages.forEach((m, i) => {
    const first = i === 0;
    const last = i === messages.length - 1;
    let content = render(m.content, true, i);
    if (m.role === 'user' || (m.role === 'system' && !first)) {
      out += '<|im_start|>' + m.role + '\n' + content + '<|im_end|>\n';
    } else if (m.role === 'assistant') {
      let reasoning = '';
      if (typeof m.reasoning_content === 'string') {
        reasoning = m.reasoning_content;
      } else if (content.includes('</think>')) {
        const before = content.split('</think>')[0];
        const parts = rstripNl(before).split('<think>');
        reasoning = lstripNl(parts[parts.length - 1]);
        const after = content.split('</think>');
        content = lstripNl(after[after.length - 1]);
      }
      if (i > lastQueryIndex && (last || reasoning)) {
        out += '<|im_start|>' + m.role + '\n<think>' + lstripNl(rstripNl(reasoning)) + '</think>\n\n' + lstripNl(content);
      } else {
        out += '<|im_start|>' + m.role + '\n' + content;
      }
      (m.tool_calls ?? []).forEach((call, k) => {
        if ((k === 0 && content) || k > 0) out += '\n';
        const fn = call.function ?? call;
        out += '<tool_call>\n{"name": "' + (fn.name === null ? 'None' : fn.name ?? '') + '", "arguments": ';
        out += typeof fn.arguments === 'string' ? fn.arguments : pyJsonDumps(fn.arguments);
        out += '}\n</tool_call>';
      });
      out += '<|im_end|>\n';
    } else if (m.role === 'tool') {
      if (first || messages[i - 1].role !== 'tool') out += '<|im_start|>user';
      out += '\n<tool_response>\n' + content + '\n</tool_response>';
      if (last || messages[i + 1].role !== 'tool') out += '<|im_end|>\n';
    }
  });

  if (opts.addGenerationPrompt) {
    out += '<|im_start|>assistant\n';
    if (opts.enableThinking === false || opts.enableThinking === null) out += '<think></think>\n\n';
    else out += '<think>';
  }
  return out;
}

/** One temporal group of a Pro video: its mean timestamp (seconds) and its number of visual tokens. */
export interface VideoGroup {
  /** Mean timestamp of the group's frames, in seconds (rendered with one decimal). */
  seconds: number;
  /** Visual tokens of the group (`<|video_pad|>` repeats). */
  tokens: number;
}

/** Token counts for {@link expandMediaPlaceholders}, in prompt order. */
export interface MediaTokenCounts {
  /** Visual tokens per image (Pro: `t·gh·gw/4`; S1: 256 per tile). */
  images?: readonly number[];
  /** Pro: the temporal groups of each video. S1: visual tokens of each frame of each video. */
  videos?: readonly (readonly VideoGroup[] | readonly number[])[];
  /** Time-series tokens per series (architecture §7.5). */
  timeSeries?: readonly number[];
}

const PRO_IMAGE = '<|vision_start|><|image_pad|><|vision_end|>';
const PRO_VIDEO = '<|vision_start|><|video_pad|><|vision_end|>';
const TS = '<|ts|><TS_CONTEXT><|/ts|>';

function count(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0) throw new TokenizerError(`expandMediaPlaceholders: ${what} token count must be a non-negative integer, found ${n}`);
  return n;
}

/** Python `format(x, '.1f')`: correctly rounded, ties to even (JS toFixed rounds ties up). */
function pyFixed1(x: number): string {
  const t = x * 10;
  if (Math.abs(t - Math.trunc(t)) === 0.5 && Number.isFinite(t)) {
    const lo = Math.floor(t);
    const r = lo % 2 === 0 ? lo : lo + 1;
    return (r / 10).toFixed(1);
  }
  return x.toFixed(1);
}

/**
 * The image placeholder of one image with `n` visual tokens.
 *
 * @example
 * ```ts
 * import { imagePlaceholder } from 'intern-s1-ts';
 * imagePlaceholder(2); // => '<|vision_start|><|image_pad|><|image_pad|><|vision_end|>'
 * imagePlaceholder(2, 'intern-s1'); // => '<img><IMG_CONTEXT><IMG_CONTEXT></img>'
 * ```
 */
export function imagePlaceholder(n: number, flavour: 'intern-s1-pro' | 'intern-s1' = 'intern-s1-pro'): string {
  count(n, 'image');
  return flavour === 'intern-s1' ? '<img>' + '<IMG_CONTEXT>'.repeat(n) + '</img>' : '<|vision_start|>' + '<|image_pad|>'.repeat(n) + '<|vision_end|>';
}

/**
 * The time-series placeholder with `n` tokens: `<|ts|>` + `<TS_CONTEXT>`×n + `<|/ts|>`.
 *
 * @example
 * ```ts
 * import { timeSeriesPlaceholder } from 'intern-s1-ts';
 * timeSeriesPlaceholder(2); // => '<|ts|><TS_CONTEXT><TS_CONTEXT><|/ts|>'
 * ```
 */
export function timeSeriesPlaceholder(n: number): string {
  return '<|ts|>' + '<TS_CONTEXT>'.repeat(count(n, 'time-series')) + '<|/ts|>';
}

/** Replace each occurrence of `unit` in order by `make(k)`; the number of occurrences must equal `n`. */
function replaceEach(prompt: string, unit: string, n: number, what: string, make: (k: number) => string): string {
  const parts = prompt.split(unit);
  if (parts.length - 1 !== n) throw new TokenizerError(`expandMediaPlaceholders: the prompt has ${parts.length - 1} ${what} placeholder(s) but ${n} token count(s) were given`);
  let out = parts[0];
  for (let k = 0; k < n; k++) out += make(k) + parts[k + 1];
  return out;
}

/**
 * Expand the media placeholders of a rendered prompt to the given token counts (architecture
 * §8): each image, video and time series, in prompt order. The number of placeholders of a kind
 * must equal the number of counts given for it.
 *
 * @example
 * ```ts
 * import { applyChatTemplate, expandMediaPlaceholders } from 'intern-s1-ts';
 * const p = applyChatTemplate([{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is it?' }] }]);
 * expandMediaPlaceholders(p, { images: [3] });
 * // => '<|im_start|>user\nPicture 1: <|vision_start|><|image_pad|><|image_pad|><|image_pad|><|vision_end|>What is it?<|im_end|>\n'
 * ```
 */
export function expandMediaPlaceholders(prompt: string, counts: MediaTokenCounts, flavour: 'intern-s1-pro' | 'intern-s1' = 'intern-s1-pro'): string {
  const s1 = flavour === 'intern-s1';
  if (counts.images) {
    const imgs = counts.images;
    prompt = replaceEach(prompt, s1 ? '<IMG_CONTEXT>' : PRO_IMAGE, imgs.length, 'image', (k) => imagePlaceholder(imgs[k], flavour));
  }
  if (counts.videos) {
    const vids = counts.videos;
    prompt = replaceEach(prompt, s1 ? '<video>' : PRO_VIDEO, vids.length, 'video', (k) => {
      const v = vids[k];
      if (s1) return (v as readonly number[]).map((n, f) => `Frame${f + 1}: ${imagePlaceholder(count(n as number, 'video frame'), 'intern-s1')}`).join('\n');
      return (v as readonly VideoGroup[])
        .map((g) => `<${pyFixed1(g.seconds)} seconds><|vision_start|>${'<|video_pad|>'.repeat(count(g.tokens, 'video'))}<|vision_end|>`)
        .join('');
    });
  }
  if (counts.timeSeries) {
    const ts = counts.timeSeries;
    prompt = replaceEach(prompt, TS, ts.length, 'time-series', (k) => timeSeriesPlaceholder(ts[k]));
  }
  return prompt;
}
