/**
 * The OpenAI chat-completions request, validated: every field this server reads is checked and a
 * bad one is an {@link HttpError} (400, `invalid_request_error`, naming the parameter), which the
 * server sends as OpenAI's JSON error object. Unknown fields are ignored, as OpenAI-compatible
 * servers (vLLM, lmdeploy) do, so clients that send extra options keep working.
 *
 * Extensions beyond OpenAI, as vLLM and lmdeploy accept them: `top_k`, `min_p`,
 * `repetition_penalty`, and `chat_template_kwargs.enable_thinking` (also accepted at top level).
 *
 * @module
 */
import { decodeImage } from '../image/decode.js';
import type { ChatContentItem, ChatMessage } from '../tokenizer/chat.js';

/** An error with an HTTP status and OpenAI's error `type` / `param` / `code`. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly type = 'invalid_request_error', readonly param: string | null = null, readonly code: string | null = null) {
    super(message);
    this.name = 'HttpError';
  }

  /** OpenAI's error body. */
  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A tool the client offers (OpenAI `tools[i]`). */
export interface ToolSpec {
  readonly type: 'function';
  readonly function: { readonly name: string; readonly description?: string; readonly parameters?: unknown };
}

/** A validated request. */
export interface ChatRequest {
  readonly model: string | null;
  readonly messages: ChatMessage[];
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly maxTokens: number | null;
  readonly temperature: number | null;
  readonly topP: number | null;
  readonly topK: number | null;
  readonly minP: number | null;
  readonly repetitionPenalty: number | null;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  readonly stop: string[];
  readonly seed: number | null;
  /** The tools rendered into the prompt (after `tool_choice`), or empty. */
  readonly tools: ToolSpec[];
  /** Parse `<tool_call>` blocks out of the output (false for `tool_choice: 'none'` or no tools). */
  readonly parseTools: boolean;
  readonly enableThinking: boolean | undefined;
}

const bad = (param: string, message: string) => new HttpError(400, message, 'invalid_request_error', param);

function optNumber(b: Record<string, unknown>, key: string, ok: (v: number) => boolean, range: string): number | null {
  const v = b[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw bad(key, `'${key}' must be ${range}, got ${JSON.stringify(v)}`);
  return v;
}

/** `data:image/...;base64,...` → decoded image item. Other URLs are refused: the server fetches nothing. */
function imageItem(part: Record<string, unknown>, where: string): ChatContentItem {
  const iu = part.image_url as { url?: unknown } | string | undefined;
  const url = typeof iu === 'string' ? iu : iu?.url;
  if (typeof url !== 'string') throw bad(where, `${where}: 'image_url.url' must be a string`);
  const m = /^data:image\/[\w.+-]+;base64,(.*)$/s.exec(url);
  if (!m) throw bad(where, `${where}: only data: URLs (data:image/png;base64,...) are accepted; this server fetches no URLs`);
  let image;
  try {
    image = decodeImage(new Uint8Array(Buffer.from(m[1], 'base64')));
  } catch (e) {
    throw bad(where, `${where}: the image does not decode: ${(e as Error).message}`);
  }
  return { type: 'image', image };
}

function content(v: unknown, where: string): string | ChatContentItem[] {
  if (v === undefined || v === null) return ''; // an assistant turn with tool calls only
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) throw bad(where, `${where}: 'content' must be a string or an array of parts`);
  return v.map((p, j) => {
    const w = `${where}.content[${j}]`;
    if (typeof p !== 'object' || p === null) throw bad(w, `${w}: a content part must be an object`);
    const part = p as Record<string, unknown>;
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw bad(w, `${w}: 'text' must be a string`);
      return { type: 'text', text: part.text };
    }
    if (part.type === 'image_url') return imageItem(part, w);
    throw bad(w, `${w}: unsupported content part type ${JSON.stringify(part.type)} (text and image_url are)`);
  });
}

function message(v: unknown, i: number): ChatMessage {
  const where = `messages[${i}]`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(where, `${where} must be an object`);
  const m = v as Record<string, unknown>;
  const role = m.role === 'developer' ? 'system' : m.role;
  if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'tool') throw bad(where, `${where}: unknown role ${JSON.stringify(m.role)}`);
  const out: ChatMessage = { role, content: content(m.content, where) };
  if (role === 'assistant') {
    if (m.reasoning_content !== undefined && m.reasoning_content !== null) {
      if (typeof m.reasoning_content !== 'string') throw bad(where, `${where}: 'reasoning_content' must be a string`);
      out.reasoning_content = m.reasoning_content;
    }
    if (m.tool_calls !== undefined && m.tool_calls !== null) {
      if (!Array.isArray(m.tool_calls)) throw bad(where, `${where}: 'tool_calls' must be an array`);
      out.tool_calls = m.tool_calls.map((tc, j) => {
        const f = (tc as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
        if (!f || typeof f.name !== 'string' || (typeof f.arguments !== 'string' && (typeof f.arguments !== 'object' || f.arguments === null))) {
          throw bad(where, `${where}.tool_calls[${j}] must be { function: { name: string, arguments: string } }`);
        }
        return { function: { name: f.name, arguments: f.arguments as string | Record<string, unknown> } };
      });
    }
  }
  return out;
}

function tools(b: Record<string, unknown>): { tools: ToolSpec[]; parse: boolean } {
  const t = b.tools;
  if (t === undefined || t === null) {
    if (b.tool_choice !== undefined && b.tool_choice !== null && b.tool_choice !== 'none' && b.tool_choice !== 'auto') throw bad('tool_choice', "'tool_choice' needs 'tools'");
    return { tools: [], parse: false };
  }
  if (!Array.isArray(t)) throw bad('tools', "'tools' must be an array");
  const specs = t.map((x, i) => {
    const f = (x as { type?: unknown; function?: { name?: unknown } } | null);
    if (f?.type !== 'function' || typeof f.function?.name !== 'string') throw bad(`tools[${i}]`, `tools[${i}] must be { type: 'function', function: { name, ... } }`);
    return x as ToolSpec;
  });
  const c = b.tool_choice ?? 'auto';
  if (c === 'none') return { tools: [], parse: false };
  if (c === 'auto' || c === 'required') return { tools: specs, parse: specs.length > 0 };
  const name = (c as { function?: { name?: unknown } }).function?.name;
  if (typeof c !== 'object' || typeof name !== 'string') throw bad('tool_choice', "'tool_choice' must be 'none', 'auto', 'required' or { type: 'function', function: { name } }");
  const chosen = specs.filter((s) => s.function.name === name);
  if (!chosen.length) throw bad('tool_choice', `'tool_choice' names ${JSON.stringify(name)}, which is not in 'tools'`);
  return { tools: chosen, parse: true };
}

/**
 * Validate a parsed JSON body.
 *
 * @throws HttpError (400) naming the bad parameter.
 */
export function parseChatRequest(body: unknown): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('body', 'the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (b.model !== undefined && typeof b.model !== 'string') throw bad('model', "'model' must be a string");
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw bad('messages', "'messages' must be a non-empty array");
  if (b.n !== undefined && b.n !== null && b.n !== 1) throw bad('n', "only 'n': 1 is supported");
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') throw bad('stream', "'stream' must be true or false");
  const maxTokens = optNumber(b, 'max_completion_tokens', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1') ?? optNumber(b, 'max_tokens', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  let stop: string[] = [];
  if (typeof b.stop === 'string') stop = [b.stop];
  else if (Array.isArray(b.stop)) stop = b.stop as string[];
  else if (b.stop !== undefined && b.stop !== null) throw bad('stop', "'stop' must be a string or an array of strings");
  if (stop.length > 4 || stop.some((s) => typeof s !== 'string' || s === '')) throw bad('stop', "'stop' holds at most 4 non-empty strings");
  const kwargs = b.chat_template_kwargs as Record<string, unknown> | undefined;
  const thinking = kwargs?.enable_thinking ?? b.enable_thinking;
  if (thinking !== undefined && thinking !== null && typeof thinking !== 'boolean') throw bad('chat_template_kwargs', "'enable_thinking' must be true or false");
  const t = tools(b);
  return {
    model: (b.model as string | undefined) ?? null,
    messages: b.messages.map(message),
    stream: b.stream === true,
    includeUsage: (b.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
    maxTokens,
    temperature: optNumber(b, 'temperature', (v) => v >= 0 && v <= 2, 'in [0, 2]'),
    topP: optNumber(b, 'top_p', (v) => v > 0 && v <= 1, 'in (0, 1]'),
    topK: optNumber(b, 'top_k', (v) => Number.isInteger(v) && v >= -1, 'an integer >= -1 (-1 or 0: off)'),
    minP: optNumber(b, 'min_p', (v) => v >= 0 && v <= 1, 'in [0, 1]'),
    repetitionPenalty: optNumber(b, 'repetition_penalty', (v) => v > 0, '> 0'),
    presencePenalty: optNumber(b, 'presence_penalty', (v) => v >= -2 && v <= 2, 'in [-2, 2]') ?? 0,
    frequencyPenalty: optNumber(b, 'frequency_penalty', (v) => v >= -2 && v <= 2, 'in [-2, 2]') ?? 0,
    stop,
    seed: optNumber(b, 'seed', (v) => Number.isInteger(v), 'an integer'),
    tools: t.tools,
    parseTools: t.parse,
    enableThinking: (thinking as boolean | null | undefined) ?? undefined,
  };
}
