/**
 * The model side of the server: a validated {@link ChatRequest} becomes a prompt (chat template,
 * images, tools), runs as a {@link GenerationSession} that yields to the event loop after every
 * token, and comes back as OpenAI events: reasoning deltas, content deltas and tool calls, parsed
 * incrementally ({@link ReasoningParser}, {@link ToolCallParser}).
 *
 * Sampling defaults come from the checkpoint's `generation_config.json` (as transformers and
 * lmdeploy use it); each request field overrides its default. `temperature: 0` is greedy.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { type GenerationConfig, HF_GENERATION_DEFAULTS, processorOptionsFromConfig } from '../generation/config.js';
import type { LogitsProcessorOptions } from '../generation/processors.js';
import { decodeLenient } from '../generation/lenient.js';
import { prepareChat } from '../generation/prompt.js';
import { ReasoningParser } from '../generation/reasoning.js';
import { type FinishReason, GenerationSession } from '../generation/session.js';
import { type ParsedToolCall, ToolCallParser } from '../generation/tool-calls.js';
import { InternS1Error } from '../errors.js';
import type { InternS1ForConditionalGeneration } from '../models/intern-s1/model.js';
import type { InternS1Tokenizer } from '../tokenizer/tokenizer.js';
import { type ChatRequest, HttpError } from './protocol.js';

/** One piece of output, in order. */
export type EngineEvent =
  | { readonly kind: 'reasoning'; readonly text: string }
  | { readonly kind: 'content'; readonly text: string }
  | { readonly kind: 'tool_call'; readonly index: number; readonly call: ParsedToolCall };

/** How a run ended. */
export interface EngineResult {
  readonly finishReason: FinishReason;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Tool calls parsed out of the output. */
  readonly toolCalls: number;
}

/** Options of {@link ChatEngine}. */
export interface ChatEngineOptions {
  /** The id `GET /v1/models` lists and responses carry. */
  readonly modelId: string;
  /** Decoding defaults (the checkpoint's `generation_config.json`); transformers' defaults if absent. */
  readonly generationConfig?: GenerationConfig;
  /** Max new tokens when a request sets none (default: the config's `max_new_tokens`, else 512). */
  readonly defaultMaxTokens?: number;
  /** Hard cap on a request's max tokens (default 4096). */
  readonly maxTokensCap?: number;
}

/** A model and its tokenizer, serving one request at a time per {@link ChatEngine.run} call. */
export class ChatEngine {
  readonly modelId: string;
  private readonly gen: GenerationConfig;
  private readonly stopIds: number[];

  constructor(readonly model: InternS1ForConditionalGeneration, readonly tokenizer: InternS1Tokenizer, private readonly opts: ChatEngineOptions) {
    this.modelId = opts.modelId;
    this.gen = opts.generationConfig ?? HF_GENERATION_DEFAULTS;
    const eos = model.text.cfg.eos_token_id;
    const ids = new Set<number>([...this.gen.eos_token_id, ...(eos === null ? [] : Array.isArray(eos) ? eos : [eos as number])]);
    const imEnd = tokenizer.tokenToId('<|im_end|>');
    if (imEnd !== undefined) ids.add(imEnd);
    this.stopIds = [...ids];
  }

  /** The processor options for a request: the config's defaults, overridden field by field. */
  samplingFor(req: ChatRequest): LogitsProcessorOptions {
    const V = this.model.text.cfg.vocab_size;
    const sampleByDefault = processorOptionsFromConfig({ ...this.gen, do_sample: true }, V);
    const base = processorOptionsFromConfig(this.gen, V);
    const sampling = req.temperature !== null ? req.temperature > 0 : this.gen.do_sample;
    const o = sampling ? sampleByDefault : base;
    return {
      temperature: sampling ? req.temperature ?? o.temperature : 0,
      topK: req.topK !== null ? Math.min(Math.max(req.topK, 0), V) : o.topK,
      topP: req.topP ?? o.topP,
      minP: req.minP ?? o.minP,
      repetitionPenalty: req.repetitionPenalty ?? o.repetitionPenalty,
      presencePenalty: req.presencePenalty,
      frequencyPenalty: req.frequencyPenalty,
    };
  }

  /**
   * Run one request to its end, calling `emit` for each event. Yields to the event loop after each
   * token; `signal` aborts (finish reason `abort`). Bad input is an HttpError 400.
   */
  async run(req: ChatRequest, emit: (e: EngineEvent) => void, signal?: AbortSignal): Promise<EngineResult> {
    let prep;
    try {
      prep = prepareChat(this.model, this.tokenizer, req.messages, { enableThinking: req.enableThinking, tools: req.tools.length ? req.tools : undefined });
    } catch (e) {
      if (e instanceof InternS1Error) throw new HttpError(400, e.message, 'invalid_request_error', 'messages');
      throw e;
    }
    const maxNew = Math.min(req.maxTokens ?? this.opts.defaultMaxTokens ?? this.gen.max_new_tokens ?? 512, this.opts.maxTokensCap ?? 4096);
    let session: GenerationSession;
    try {
      session = new GenerationSession(this.model, prep.inputs, {
        ...this.samplingFor(req), maxNewTokens: maxNew, stopTokens: this.stopIds, stopStrings: req.stop, seed: req.seed ?? undefined,
        decode: (ids) => decodeLenient(this.tokenizer, ids, { skipSpecialTokens: true }), // an unspellable id never aborts a request
      });
    } catch (e) {
      tf.dispose(prep.owned);
      if (e instanceof InternS1Error) throw new HttpError(400, e.message);
      throw e;
    }
    const reasoning = new ReasoningParser({ startInReasoning: prep.startsInReasoning });
    const tools = req.parseTools ? new ToolCallParser() : null;
    let toolCalls = 0;
    const content = (text: string) => {
      if (!text) return;
      if (!tools) return emit({ kind: 'content', text });
      for (const ev of tools.push(text)) route(ev);
    };
    const route = (ev: ReturnType<ToolCallParser['push']>[number]) => {
      if (ev.type === 'text') emit({ kind: 'content', text: ev.text });
      else if (ev.type === 'call') { toolCalls++; emit({ kind: 'tool_call', index: ev.index, call: ev.call }); }
      else emit({ kind: 'content', text: ev.raw }); // a malformed call is shown as text, never dropped
    };
    const text = (t: string) => {
      if (!t) return;
      const d = reasoning.push(t);
      if (d.reasoning) emit({ kind: 'reasoning', text: d.reasoning });
      content(d.content);
    };
    const onAbort = () => session.abort();
    signal?.addEventListener('abort', onAbort);
    try {
      if (signal?.aborted) session.abort();
      for (;;) {
        const r = session.step();
        if (!r) break;
        text(r.text);
        if (session.finishReason) break;
        await new Promise<void>((res) => setImmediate(res));
      }
      if (session.finishReason !== 'abort') {
        const d = reasoning.finish();
        if (d.reasoning) emit({ kind: 'reasoning', text: d.reasoning });
        content(d.content);
        if (tools) for (const ev of tools.finish()) route(ev);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      session.dispose();
      tf.dispose(prep.owned);
    }
    return { finishReason: session.finishReason ?? 'abort', promptTokens: session.promptTokens, completionTokens: session.tokens.length, toolCalls };
  }
}
