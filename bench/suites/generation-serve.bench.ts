/**
 * Batched decode and serving: decode tokens/s of `generateBatch` at batch 1, 4 and 8 on the
 * 300M-shaped random dense decoder (the generation suite's: hidden 1024, 20 layers, 16/8 heads,
 * ffn 3072, vocab 16384; about 285M parameters) with prompts of different lengths; and, over HTTP
 * (`intern-s1 serve`'s server on 127.0.0.1, SSE streaming), time to first token and tokens/s
 * against the same generation in process, on the demo's tiny Intern-S1-mini with its tokenizer.
 * Validation before timing: every batch row's tokens equal its prompt generated alone; the HTTP
 * answer's text equals the in-process text.
 */
import { demoCheckpoint } from '../../src/cli/demo/checkpoint.js';
import { buildDemoTokenizer } from '../../src/cli/demo/tokenizer.js';
import { prepareChat } from '../../src/generation/prompt.js';
import { splitReasoning } from '../../src/generation/reasoning.js';
import { GenerationSession } from '../../src/generation/session.js';
import { generate } from '../../src/models/intern-s1/generate.js';
import { generateBatch } from '../../src/models/intern-s1/generate-batch.js';
import { InternS1ForConditionalGeneration } from '../../src/models/intern-s1/model.js';
import { ChatEngine } from '../../src/server/engine.js';
import { startChatServer } from '../../src/server/server.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { mulberry32 } from '../../src/util/random.js';
import * as refProc from '../../reference/generation/processors.js';
import { nextTokenDistribution } from '../../src/generation/processors.js';
import { type BenchRow, type Suite, time, useBackend } from '../harness.js';
import { bigConfig, randomWeights } from './generation.bench.js';

/** Stream one chat completion; returns ms to the first delta with text, total ms and the text. */
async function httpStream(url: string, body: Record<string, unknown>): Promise<{ ttft: number; ms: number; text: string; tokens: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }) });
  if (!res.ok || !res.body) throw new Error(`generation-serve: HTTP ${res.status}`);
  let ttft = NaN;
  let text = '';
  let tokens = 0;
  let buf = '';
  const dec = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const line = buf.slice(0, i).replace(/^data: /, '');
      buf = buf.slice(i + 2);
      if (line === '[DONE]') continue;
      const ev = JSON.parse(line) as { choices: { delta: { content?: string; reasoning_content?: string } }[]; usage?: { completion_tokens: number } };
      if (ev.usage) tokens = ev.usage.completion_tokens;
      const d = ev.choices[0]?.delta;
      const t = (d?.content ?? '') + (d?.reasoning_content ?? '');
      if (t && Number.isNaN(ttft)) ttft = performance.now() - t0;
      text += t;
    }
  }
  return { ttft, ms: performance.now() - t0, text, tokens };
}

export const suite: Suite = {
  name: 'generation-serve',
  title: 'Batched decode and serving over HTTP (wasm)',
  description:
    'The logits processors (penalties, temperature, top-k, top-p, min-p) on one row of 151,936 logits, fast vs float64 reference. ' +
    'Decode tokens/s of generateBatch (left-padded prompts of 16 to 64 tokens, greedy, KV cache) at batch 1, 4 and 8 on the ' +
    '300M-shaped random dense decoder, counting every row\'s new tokens after the first; then the OpenAI-compatible server ' +
    '(SSE) against the in-process GenerationSession on the demo\'s tiny Intern-S1-mini: time to first token (request sent → ' +
    'first text delta; in process: session start → first token) and tokens/s over the whole request. Validation: batch rows ' +
    '== each prompt alone; HTTP text == in-process text.',
  async run({ quick, log }) {
    await useBackend('wasm');
    const rows: BenchRow[] = [];
    const newTokens = quick ? 4 : 16;

    // The logits processors on one Intern-S1-sized row (V = 151,936) with a 512-id history.
    {
      const V = 151_936;
      const r = mulberry32(3);
      const z = Float32Array.from({ length: V }, () => (r() - 0.5) * 20);
      const hist = { prompt: Array.from({ length: 448 }, () => Math.floor(r() * V)), generated: Array.from({ length: 64 }, () => Math.floor(r() * V)) };
      const o = { temperature: 0.7, topK: 50, topP: 0.95, minP: 0.02, repetitionPenalty: 1.1, presencePenalty: 0.3, frequencyPenalty: 0.2 };
      const a = nextTokenDistribution(z, o, hist);
      const e = refProc.nextTokenDistribution(z, o, hist);
      if (a.tokens.join() !== e.tokens.join() || a.probs.some((p, i) => Math.abs(p - e.probs[i]) > 1e-9)) throw new Error('generation-serve: fast and reference processors differ');
      const f = await time(() => nextTokenDistribution(z, o, hist), { iterations: quick ? 3 : 20 });
      const rf = await time(() => refProc.nextTokenDistribution(z, o, hist), { iterations: quick ? 1 : 3, timeMs: 0 });
      for (const [impl, t] of [['fast (host, O(V log k))', f], ['reference (full sort, float64)', rf]] as const) {
        rows.push({ task: 'logits processors, V 151936, history 512', impl, ms: t.ms, p50: t.p50, samples: t.samples, derived: { 'rows/s': 1000 / t.ms, speedup: rf.ms / t.ms } });
      }
      log('processors: validated');
    }

    const cfg = bigConfig(quick ? 4 : 20);
    log('building the 300M-shaped random decoder');
    const { weights, params } = randomWeights(cfg);
    const big = InternS1ForConditionalGeneration.fromWeights(cfg, weights);
    const rand = mulberry32(11);
    const prompts = Array.from({ length: 8 }, (_, b) => Array.from({ length: 16 + ((b * 7) % 49) }, () => Math.floor(rand() * 16000)));
    generateBatch(big, prompts.slice(0, 2), { maxNewTokens: 2 }); // warm-up
    for (const B of [1, 4, 8]) {
      const ps = prompts.slice(0, B);
      const r = generateBatch(big, ps, { maxNewTokens: newTokens });
      const check = quick ? [0, B - 1] : ps.map((_, b) => b);
      for (const b of new Set(check)) {
        const alone = generate(big, { inputIds: [ps[b]] }, { maxNewTokens: newTokens });
        if (alone.tokens.join() !== r.rows[b].tokens.join()) throw new Error(`generation-serve: batch ${B} row ${b} differs from the prompt alone`);
      }
      const decoded = r.rows.reduce((s, x) => s + x.tokens.length - 1, 0);
      rows.push({
        task: `${(params / 1e6).toFixed(0)}M dense, batch ${B}`, impl: 'fast (wasm), generateBatch', ms: r.prefillMs + r.decodeMs,
        derived: { 'decode tokens/s': decoded / (r.decodeMs / 1000), 'prefill tokens/s': ps.reduce((s, p) => s + p.length, 0) / (r.prefillMs / 1000) },
        extra: { 'prompt tokens': ps.map((p) => p.length).join('/'), 'new tokens per row': newTokens },
      });
      log(`batch ${B}: validated`);
    }
    big.dispose();

    const dt = buildDemoTokenizer();
    const tok = InternS1Tokenizer.fromFiles(dt.files);
    const ck = demoCheckpoint('mini', dt, 0);
    const model = InternS1ForConditionalGeneration.fromWeights(ck.config, ck.weights, { vision: false });
    const messages = [{ role: 'user', content: 'Describe C1=CC=C(C=C1)C=O in a few words.' }];
    const maxTokens = quick ? 8 : 32;
    const imEnd = tok.tokenToId('<|im_end|>')!;
    const inProcess = () => {
      const prep = prepareChat(model, tok, messages);
      const t0 = performance.now();
      const s = new GenerationSession(model, prep.inputs, { maxNewTokens: maxTokens, stopTokens: [imEnd], decode: (ids) => tok.decode(ids, { skipSpecialTokens: true }) });
      let ttft = NaN;
      for (let r = s.step(); r; r = s.step()) if (Number.isNaN(ttft)) ttft = performance.now() - t0;
      return { ttft, ms: performance.now() - t0, text: s.text, tokens: s.tokens.length };
    };
    inProcess(); // warm-up
    const a = inProcess();
    const srv = await startChatServer(new ChatEngine(model, tok, { modelId: 'tiny' }), { port: 0 });
    try {
      const body = { messages, max_tokens: maxTokens, temperature: 0 };
      await httpStream(srv.url, body); // warm-up
      const h = await httpStream(srv.url, body);
      const split = splitReasoning(a.text, { startInReasoning: true }); // the server reports reasoning and content apart
      if (h.text !== split.reasoning + split.content || h.tokens !== a.tokens) throw new Error('generation-serve: HTTP text differs from the in-process text');
      for (const [impl, r] of [['in process (GenerationSession)', a], ['HTTP + SSE (intern-s1 serve)', h]] as const) {
        rows.push({ task: `tiny mini, ${maxTokens} tokens`, impl, ms: r.ms, derived: { 'TTFT ms': r.ttft, 'tokens/s': r.tokens / (r.ms / 1000) }, extra: { 'new tokens': r.tokens } });
      }
    } finally {
      await srv.close();
      model.dispose();
    }
    return { rows };
  },
};
