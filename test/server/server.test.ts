/**
 * The OpenAI-compatible server against the official `openai` client, on 127.0.0.1 with a free
 * port: the demo's tiny checkpoint for real generations (unstreamed, streamed, images, the load
 * test), and a scripted model double for outputs a random model never writes (reasoning then a
 * tool call, malformed calls, stop strings).
 */
import * as tf from '@tensorflow/tfjs';
import OpenAI from 'openai';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { parseGenerationConfig } from '../../src/generation/config.js';
import { prepareChat } from '../../src/generation/prompt.js';
import { splitReasoning } from '../../src/generation/reasoning.js';
import { GenerationSession } from '../../src/generation/session.js';
import type { InternS1ForConditionalGeneration } from '../../src/models/intern-s1/model.js';
import { ChatEngine } from '../../src/server/engine.js';
import { type ChatServerHandle, startChatServer } from '../../src/server/server.js';
import type { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { demoTokenizer, ScriptedModel, tinyModel } from './support.js';

let tokenizer: InternS1Tokenizer;
let model: InternS1ForConditionalGeneration;
let srv: ChatServerHandle;
let client: OpenAI;
let baseline: number;

const MODEL_ID = 'tiny-mini';
/** OpenAI's error body. */
type ErrBody = { error: { message: string; type: string; param: string | null; code: string | null } };

function clientFor(url: string): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
}

/** What the in-process API gives for the same conversation (the server must agree). */
function inProcess(messages: Parameters<typeof prepareChat>[2], opts: { maxNewTokens: number; seed?: number; temperature?: number; topP?: number; topK?: number; enableThinking?: boolean }) {
  const prep = prepareChat(model, tokenizer, messages, { enableThinking: opts.enableThinking });
  const imEnd = tokenizer.tokenToId('<|im_end|>')!;
  const s = new GenerationSession(model, prep.inputs, {
    maxNewTokens: opts.maxNewTokens, temperature: opts.temperature ?? 0, topP: opts.topP, topK: opts.topK, seed: opts.seed, stopTokens: [imEnd],
    decode: (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }),
  });
  while (s.step()) { /* run */ }
  tf.dispose(prep.owned);
  return { text: s.text, tokens: s.tokens, finish: s.finishReason, prompt: prep.inputs.inputIds[0].length, startsInReasoning: prep.startsInReasoning };
}

beforeAll(async () => {
  await initBackend('cpu');
  tokenizer = demoTokenizer().tokenizer;
  model = tinyModel('mini');
  baseline = tf.memory().numTensors;
  // Greedy by default (do_sample false), as the file says; requests override.
  srv = await startChatServer(new ChatEngine(model, tokenizer, { modelId: MODEL_ID, generationConfig: parseGenerationConfig({ do_sample: false }) }), { port: 0, maxQueue: 8 });
  client = clientFor(srv.url);
});

afterAll(async () => {
  await srv?.close();
  model?.dispose();
});

describe('serve: the tiny model through the openai client', () => {
  it('lists the model', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual([MODEL_ID]);
  });

  it('unstreamed chat equals the in-process API (greedy, thinking off), with usage', async () => {
    const messages = [{ role: 'user' as const, content: 'Hello there' }];
    const r = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 6, chat_template_kwargs: { enable_thinking: false } } as never) as OpenAI.ChatCompletion;
    const e = inProcess(messages, { maxNewTokens: 6, enableThinking: false });
    const split = splitReasoning(e.text, { startInReasoning: false });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe(MODEL_ID);
    expect(r.choices[0].message.content).toBe(split.content);
    expect(r.choices[0].finish_reason).toBe(e.finish === 'length' ? 'length' : 'stop');
    expect(r.usage).toEqual({ prompt_tokens: e.prompt, completion_tokens: e.tokens.length, total_tokens: e.prompt + e.tokens.length });
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('streamed chat: the deltas add up to the unstreamed answer (seeded sampling, thinking on)', async () => {
    const messages = [{ role: 'user' as const, content: 'Tell me about water.' }];
    const params = { model: MODEL_ID, messages, max_tokens: 8, temperature: 0.9, top_p: 0.95, seed: 7 };
    const whole = await client.chat.completions.create(params);
    const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
    let content = '';
    let reasoning = '';
    let finish: string | null = null;
    let usage: unknown = null;
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      if (c.usage) usage = c.usage;
      const ch = c.choices[0];
      if (!ch) continue;
      content += ch.delta.content ?? '';
      reasoning += (ch.delta as { reasoning_content?: string }).reasoning_content ?? '';
      if (ch.finish_reason) finish = ch.finish_reason;
    }
    expect(chunks).toBeGreaterThan(2);
    const msg = whole.choices[0].message as { content: string | null; reasoning_content?: string };
    expect(content).toBe(msg.content ?? '');
    expect(reasoning).toBe(msg.reasoning_content ?? '');
    expect(finish).toBe(whole.choices[0].finish_reason);
    expect(usage).toEqual(whole.usage);
    // Thinking on: the prompt ends in <think>, so the output is reasoning until a </think>.
    // Sampling with no top_k in the request: transformers' default 50 (the config does not set one).
    const e = inProcess(messages, { maxNewTokens: 8, temperature: 0.9, topP: 0.95, topK: 50, seed: 7 });
    expect(e.startsInReasoning).toBe(true);
    expect({ reasoning: msg.reasoning_content ?? '', content: msg.content ?? '' }).toEqual(splitReasoning(e.text, { startInReasoning: true }));
  });

  it('a different seed gives different tokens, the same seed the same', async () => {
    const params = { model: MODEL_ID, messages: [{ role: 'user' as const, content: 'Count.' }], max_tokens: 8, temperature: 1.5 };
    const a = await client.chat.completions.create({ ...params, seed: 1 });
    const b = await client.chat.completions.create({ ...params, seed: 1 });
    const c = await client.chat.completions.create({ ...params, seed: 2 });
    const text = (r: OpenAI.ChatCompletion) => (r.choices[0].message as { reasoning_content?: string }).reasoning_content! + r.choices[0].message.content;
    expect(text(a)).toBe(text(b));
    expect(text(c)).not.toBe(text(a));
  });

  it('OpenAI-style errors with 4xx codes', async () => {
    const bad = async (p: Record<string, unknown>) => {
      try {
        await client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'x' }], ...p } as never);
      } catch (e) {
        return e as InstanceType<typeof OpenAI.APIError>;
      }
      throw new Error('no error');
    };
    const t = await bad({ temperature: 3 });
    expect(t).toBeInstanceOf(OpenAI.BadRequestError);
    expect(t.status).toBe(400);
    expect(t.param).toBe('temperature');
    expect((await bad({ messages: [] })).param).toBe('messages');
    expect((await bad({ messages: [{ role: 'wizard', content: 'x' }] })).status).toBe(400);
    expect((await bad({ n: 2 })).param).toBe('n');
    expect((await bad({ stop: ['a', 'b', 'c', 'd', 'e'] })).param).toBe('stop');
    expect((await bad({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] })).message).toMatch(/data: URLs/);
    const nf = await bad({ model: 'gpt-4' });
    expect(nf).toBeInstanceOf(OpenAI.NotFoundError);
    expect(nf.code).toBe('model_not_found');
    // Plain HTTP: a body that is not JSON, a wrong method, an unknown route.
    const post = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } });
    expect(post.status).toBe(400);
    expect(((await post.json()) as ErrBody).error.type).toBe('invalid_request_error');
    expect((await fetch(`${srv.url}/v1/chat/completions`)).status).toBe(405);
    const nr = await fetch(`${srv.url}/v2/nothing`);
    expect(nr.status).toBe(404);
    expect(((await nr.json()) as ErrBody).error.message).toMatch(/no route/);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('load: 50 concurrent requests each complete or get 429, nothing crashes, memory returns to baseline', async () => {
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => client.chat.completions.create({
      model: MODEL_ID, messages: [{ role: 'user', content: `request ${i}` }], max_tokens: 2, ...(i % 2 ? { stream: false } : {}),
    })));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as { status?: number }).status === 429).length;
    expect(ok + refused).toBe(50);
    expect(ok).toBeGreaterThanOrEqual(9); // one running + a queue of 8, at least
    expect(srv.stats()).toMatchObject({ running: 0, queued: 0 });
    expect(tf.memory().numTensors).toBe(baseline);
    // Still serving.
    expect((await client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'still there?' }], max_tokens: 1 })).choices).toHaveLength(1);
  });
});

describe('serve: images as data URLs (tiny Pro model with its vision tower)', () => {
  it('the image is preprocessed and its placeholder expanded; prompt tokens match the in-process count', async () => {
    await initBackend('cpu');
    const pro = tinyModel('pro', true);
    const before = tf.memory().numTensors;
    const s = await startChatServer(new ChatEngine(pro, tokenizer, { modelId: 'tiny-pro' }), { port: 0 });
    try {
      const png = new PNG({ width: 40, height: 30 });
      for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 37) % 256;
      const url = `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
      const c = clientFor(s.url);
      const r = await c.chat.completions.create({
        model: 'tiny-pro', max_tokens: 2,
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }, { type: 'text', text: 'What is this?' }] }],
      });
      const decoded = PNG.sync.read(PNG.sync.write(png));
      const rgb = new Uint8Array(40 * 30 * 3);
      for (let p = 0; p < 40 * 30; p++) for (let ch = 0; ch < 3; ch++) rgb[p * 3 + ch] = decoded.data[p * 4 + ch];
      const prep = prepareChat(pro, tokenizer, [{ role: 'user', content: [{ type: 'image', image: { width: 40, height: 30, data: rgb } }, { type: 'text', text: 'What is this?' }] }]);
      const text = prepareChat(pro, tokenizer, [{ role: 'user', content: 'What is this?' }]);
      expect(r.usage!.prompt_tokens).toBe(prep.inputs.inputIds[0].length);
      expect(r.usage!.prompt_tokens).toBeGreaterThan(text.inputs.inputIds[0].length + 10);
      tf.dispose([...prep.owned, ...text.owned]);
      const bad = await c.chat.completions.create({ model: 'tiny-pro', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }] }).catch((e) => e);
      expect(bad.status).toBe(400);
      expect(bad.message).toMatch(/does not decode/);
    } finally {
      await s.close();
    }
    expect(tf.memory().numTensors).toBe(before);
    pro.dispose();
  });
});

describe('serve: parsed output (a scripted model)', () => {
  let scripted: ScriptedModel;
  let s: ChatServerHandle;
  let c: OpenAI;
  const ids = (text: string) => tokenizer.encode(text).ids;
  let imEnd: number;

  beforeAll(async () => {
    imEnd = tokenizer.tokenToId('<|im_end|>')!;
    scripted = new ScriptedModel(demoTokenizer().files.vocabSize, []);
    s = await startChatServer(new ChatEngine(scripted.asModel(), tokenizer, { modelId: 'scripted' }), { port: 0 });
    c = clientFor(s.url);
  });
  afterAll(async () => s?.close());

  const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

  it('a tool-call round trip: reasoning_content, tool_calls, then the tool result rendered back', async () => {
    scripted.script = [...ids('I need the weather.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'), imEnd];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const r = await c.chat.completions.create({ model: 'scripted', messages, tools });
    const m = r.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(r.choices[0].finish_reason).toBe('tool_calls');
    expect(m.reasoning_content).toBe('I need the weather.\n');
    expect(m.content).toBeNull();
    expect(m.tool_calls).toHaveLength(1);
    const call = m.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.type).toBe('function');
    expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    // The prompt carried the tool schema.
    expect(tokenizer.decode(scripted.prompts.at(-1)!)).toContain('"name": "get_weather"');

    // Round trip: the assistant turn (no content, tool_calls) and the tool's answer.
    scripted.script = [...ids('It is sunny in Paris.'), imEnd];
    messages.push({ role: 'assistant', content: null, tool_calls: [call] } as OpenAI.ChatCompletionMessageParam, { role: 'tool', tool_call_id: call.id, content: '{"sky": "clear"}' });
    const r2 = await c.chat.completions.create({ model: 'scripted', messages, tools, chat_template_kwargs: { enable_thinking: false } } as never) as OpenAI.ChatCompletion;
    expect(r2.choices[0].message.content).toBe('It is sunny in Paris.');
    expect(r2.choices[0].finish_reason).toBe('stop');
    const seen = tokenizer.decode(scripted.prompts.at(-1)!);
    expect(seen).toContain('<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city":"Paris"}}\n</tool_call><|im_end|>\n');
    expect(seen).toContain('<|im_start|>user\n<tool_response>\n{"sky": "clear"}\n</tool_response><|im_end|>\n');
    expect(seen.endsWith('<|im_start|>assistant\n<think></think>\n\n')).toBe(true);
  });

  it('an id the tokenizer cannot spell is shown as <unk:ID> and never aborts the request (issue 17 item 2)', async () => {
    const V = demoTokenizer().files.vocabSize;
    const unknown = V + 3; // the model's vocabulary is larger than the tokenizer's, as in the tiny Pro checkpoint
    expect(tokenizer.idToToken(unknown)).toBeUndefined();
    const wide = new ScriptedModel(V + 8, [...ids('ok '), unknown, ...ids(' done'), imEnd]);
    const w = await startChatServer(new ChatEngine(wide.asModel(), tokenizer, { modelId: 'wide' }), { port: 0 });
    try {
      const r = await clientFor(w.url).chat.completions.create({ model: 'wide', messages: [{ role: 'user', content: 'hi' }], chat_template_kwargs: { enable_thinking: false } } as never) as OpenAI.ChatCompletion;
      expect(r.choices[0].finish_reason).toBe('stop');
      expect(r.choices[0].message.content).toBe(`ok <unk:${unknown}> done`);
    } finally {
      await w.close();
    }
  });

  it('streams the tool call as a delta, reasoning first', async () => {
    scripted.script = [...ids('Hmm.</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>'), imEnd];
    const stream = await c.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'Oslo?' }], tools, stream: true });
    const kinds: string[] = [];
    let reasoning = '';
    const calls: unknown[] = [];
    let finish = null;
    for await (const ch of stream) {
      const d = ch.choices[0]?.delta as { reasoning_content?: string; content?: string; tool_calls?: unknown[] } | undefined;
      if (d?.reasoning_content) { kinds.push('r'); reasoning += d.reasoning_content; }
      if (d?.content) kinds.push('c');
      if (d?.tool_calls) { kinds.push('t'); calls.push(...d.tool_calls); }
      finish = ch.choices[0]?.finish_reason ?? finish;
    }
    expect(reasoning).toBe('Hmm.');
    expect(kinds.indexOf('t')).toBeGreaterThan(kinds.lastIndexOf('r'));
    expect(kinds).not.toContain('c');
    expect(calls).toMatchObject([{ index: 0, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }]);
    expect(finish).toBe('tool_calls');
  });

  it('a malformed tool call comes back as content, not dropped', async () => {
    scripted.script = [...ids('<tool_call>\n{"name": "get_weather", "arguments": {city: Paris}}\n</tool_call>'), imEnd];
    const r = await c.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'x' }], tools, chat_template_kwargs: { enable_thinking: false } } as never) as OpenAI.ChatCompletion;
    expect(r.choices[0].message.tool_calls ?? []).toEqual([]);
    expect(r.choices[0].message.content).toBe('<tool_call>\n{"name": "get_weather", "arguments": {city: Paris}}\n</tool_call>');
    expect(r.choices[0].finish_reason).toBe('stop');
  });

  it('stop strings end the answer, across token boundaries, streamed and not', async () => {
    scripted.script = [...ids('One, two, three, four'), imEnd];
    const p = { model: 'scripted', messages: [{ role: 'user' as const, content: 'count' }], stop: ['three'], chat_template_kwargs: { enable_thinking: false } };
    const r = await c.chat.completions.create(p as never) as OpenAI.ChatCompletion;
    expect(r.choices[0].message.content).toBe('One, two, ');
    expect(r.choices[0].finish_reason).toBe('stop');
    const st = await c.chat.completions.create({ ...p, stream: true } as never) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>;
    let text = '';
    for await (const ch of st) text += ch.choices[0]?.delta.content ?? '';
    expect(text).toBe('One, two, ');
  });

  it('a client that disconnects stops its generation', async () => {
    scripted.script = [...ids('a b c d e f g h i j k l m n o p q r s t u v w x y z'.repeat(20))];
    const before = scripted.forwards;
    const ac = new AbortController();
    const st = await c.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'go' }], max_tokens: 2000, stream: true }, { signal: ac.signal });
    let n = 0;
    try {
      for await (const _ of st) if (++n === 3) ac.abort();
    } catch { /* aborted */ }
    await new Promise((r) => setTimeout(r, 200));
    expect(s.stats()).toMatchObject({ running: 0, queued: 0 });
    expect(scripted.forwards - before).toBeLessThan(500);
  });

  it('a full queue refuses at once with 429 and Retry-After; the others complete', async () => {
    scripted.script = [...ids('word '.repeat(400))];
    const s2 = await startChatServer(new ChatEngine(scripted.asModel(), tokenizer, { modelId: 'scripted' }), { port: 0, maxQueue: 2 });
    const c2 = clientFor(s2.url);
    const ac = new AbortController();
    const long = c2.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'go' }], max_tokens: 2000, stream: true }, { signal: ac.signal });
    const first = await long;
    const it0 = first[Symbol.asyncIterator]();
    await it0.next(); // running
    const short = () => c2.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'short' }], max_tokens: 2 });
    const queued = [short(), short()];
    await new Promise((r) => setTimeout(r, 50));
    expect(s2.stats()).toMatchObject({ running: 1, queued: 2 });
    const refused = await fetch(`${s2.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as ErrBody).error.type).toBe('rate_limit_exceeded');
    ac.abort();
    const done = await Promise.all(queued);
    expect(done.map((r) => r.usage!.completion_tokens)).toEqual([2, 2]);
    expect(s2.stats()).toMatchObject({ running: 0, queued: 0, refused: 1 });
    await s2.close();
  });

  it('shuts down cleanly: queued requests get 503, new connections are refused', async () => {
    scripted.script = [...ids('word '.repeat(400))];
    const s2 = await startChatServer(new ChatEngine(scripted.asModel(), tokenizer, { modelId: 'scripted' }), { port: 0, maxQueue: 4 });
    const c2 = clientFor(s2.url);
    const running = c2.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'go' }], max_tokens: 2000 }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 50));
    const queued = c2.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'wait' }], max_tokens: 2 }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 50));
    expect(s2.stats().queued).toBe(1);
    await s2.close();
    expect((await queued).status).toBe(503);
    expect((await running).status).toBe(503);
    await expect(fetch(`${s2.url}/v1/models`)).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
