/**
 * An OpenAI-compatible HTTP server on `node:http`: `GET /v1/models`, `POST /v1/chat/completions`
 * (unstreamed JSON, or server-sent events with `stream: true`), `GET /health`.
 *
 * Concurrency (decision): the model computes on one thread, so at most `concurrency` generations
 * run at once (default 1; more interleave token by token, each with its own KV cache), and up to
 * `maxQueue` more wait in a FIFO queue (default 16). A request that finds the queue full is refused
 * at once with 429 (`rate_limit_exceeded`, `Retry-After: 1`); while the server shuts down new
 * requests get 503. A client that disconnects (queued or running) is dropped and its generation
 * stops after the current token, freeing its cache.
 *
 * Errors are OpenAI's JSON error object with a 4xx status: 400 for a bad body or parameter, 404 for
 * an unknown route or model, 405 for a wrong method, 413 for a body over `maxBodyBytes`, 429 / 503
 * as above; 500 (type `server_error`) for a failure of the server itself.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ChatEngine, type EngineEvent, type EngineResult } from './engine.js';
import { type ChatRequest, HttpError, parseChatRequest } from './protocol.js';

/** Options of {@link startChatServer}. */
export interface ChatServerOptions {
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 8000; 0 picks a free one). */
  readonly port?: number;
  /** Generations running at once (default 1). */
  readonly concurrency?: number;
  /** Requests waiting beyond those (default 16); more are refused with 429. */
  readonly maxQueue?: number;
  /** Largest request body in bytes (default 32 MiB: room for a few data-URL images). */
  readonly maxBodyBytes?: number;
}

/** A running server. */
export interface ChatServerHandle {
  readonly server: Server;
  /** `http://host:port` */
  readonly url: string;
  /** Requests running and waiting right now. */
  stats(): { running: number; queued: number; served: number; refused: number };
  /** Stop accepting, abort running generations, refuse queued ones (503), and close. Idempotent. */
  close(): Promise<void>;
}

let nextId = 0;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) { res.end(); return; }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) { reject(new HttpError(413, `the request body is over ${limit} bytes`, 'invalid_request_error', 'body')); req.resume(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A slot gate: `concurrency` holders, a FIFO queue of `maxQueue` waiters. */
class Gate {
  running = 0;
  private readonly waiting: { go: () => void; fail: (e: Error) => void }[] = [];
  constructor(private readonly concurrency: number, private readonly maxQueue: number) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Wait for a slot; rejects at once with 429 when the queue is full, or when `signal` aborts. */
  acquire(signal: AbortSignal): Promise<void> {
    if (this.running < this.concurrency && this.waiting.length === 0) { this.running++; return Promise.resolve(); }
    if (this.waiting.length >= this.maxQueue) return Promise.reject(new HttpError(429, `the server is busy: ${this.running} running and ${this.waiting.length} waiting; retry later`, 'rate_limit_exceeded', null, 'rate_limit_exceeded'));
    return new Promise((resolve, reject) => {
      const w = {
        go: () => { signal.removeEventListener('abort', drop); this.running++; resolve(); },
        fail: (e: Error) => { signal.removeEventListener('abort', drop); reject(e); },
      };
      const drop = () => {
        const i = this.waiting.indexOf(w);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new HttpError(499, 'client closed the request'));
      };
      signal.addEventListener('abort', drop, { once: true });
      this.waiting.push(w);
    });
  }

  release(): void {
    this.running--;
    const w = this.waiting.shift();
    w?.go();
  }

  /** Refuse everyone waiting. */
  failAll(e: Error): void {
    for (const w of this.waiting.splice(0)) w.fail(e);
  }
}

/** The OpenAI `finish_reason` of a run: a time limit reads as `length`; parsed calls as `tool_calls`. */
function finishReason(r: EngineResult): string {
  if (r.finishReason === 'stop' && r.toolCalls > 0) return 'tool_calls';
  return r.finishReason === 'stop' ? 'stop' : 'length';
}

function usage(r: EngineResult) {
  return { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens };
}

/** One tool call in OpenAI's message shape. */
function toolCallJson(id: string, e: Extract<EngineEvent, { kind: 'tool_call' }>) {
  return { id: `call_${id}_${e.index}`, type: 'function' as const, function: { name: e.call.name, arguments: e.call.arguments } };
}

async function completeUnstreamed(engine: ChatEngine, req: ChatRequest, res: ServerResponse, signal: AbortSignal, id: string, created: number): Promise<void> {
  let reasoning = '';
  let content = '';
  const calls: ReturnType<typeof toolCallJson>[] = [];
  const r = await engine.run(req, (e) => {
    if (e.kind === 'reasoning') reasoning += e.text;
    else if (e.kind === 'content') content += e.text;
    else calls.push(toolCallJson(id, e));
  }, signal);
  if (r.finishReason === 'abort') return;
  const message: Record<string, unknown> = { role: 'assistant', content: calls.length && content.trim() === '' ? null : content };
  if (reasoning) message.reasoning_content = reasoning;
  if (calls.length) message.tool_calls = calls;
  sendJson(res, 200, {
    id: `chatcmpl-${id}`, object: 'chat.completion', created, model: engine.modelId,
    choices: [{ index: 0, message, finish_reason: finishReason(r), logprobs: null }], usage: usage(r),
  });
}

async function completeStreamed(engine: ChatEngine, req: ChatRequest, res: ServerResponse, signal: AbortSignal, id: string, created: number): Promise<void> {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) => {
    if (signal.aborted) return;
    res.write(`data: ${JSON.stringify({ id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created, model: engine.modelId, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra })}\n\n`);
  };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  chunk({ role: 'assistant', content: '' });
  const r = await engine.run(req, (e) => {
    if (e.kind === 'reasoning') chunk({ reasoning_content: e.text });
    else if (e.kind === 'content') chunk({ content: e.text });
    else chunk({ tool_calls: [{ index: e.index, ...toolCallJson(id, e) }] });
  }, signal);
  if (r.finishReason === 'abort' || signal.aborted) return;
  chunk({}, finishReason(r));
  if (req.includeUsage) res.write(`data: ${JSON.stringify({ id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created, model: engine.modelId, choices: [], usage: usage(r) })}\n\n`);
  res.write('data: [DONE]\n\n');
  res.end();
}

/**
 * Start the server and resolve once it listens.
 *
 * @example
 * ```ts
 * // import { ChatEngine, startChatServer } from 'intern-s1-ts/server';
 * // const engine = new ChatEngine(model, tokenizer, { modelId: 'intern-s1-mini' });
 * // const srv = await startChatServer(engine, { port: 8000 });
 * // ... any OpenAI client at srv.url + '/v1' ...
 * // await srv.close();
 * ```
 */
export async function startChatServer(engine: ChatEngine, opts: ChatServerOptions = {}): Promise<ChatServerHandle> {
  const gate = new Gate(opts.concurrency ?? 1, opts.maxQueue ?? 16);
  const limit = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  const live = new Set<AbortController>();
  let closing = false;
  let served = 0;
  let refused = 0;

  const chat = async (req: IncomingMessage, res: ServerResponse) => {
    const ac = new AbortController();
    res.on('close', () => { if (!res.writableFinished) ac.abort('client'); });
    let holding = false;
    try {
      const raw = await readBody(req, limit);
      let body: unknown;
      try { body = JSON.parse(raw); } catch (e) { throw new HttpError(400, `the body is not valid JSON: ${(e as Error).message}`, 'invalid_request_error', 'body'); }
      const parsed = parseChatRequest(body);
      if (parsed.model !== null && parsed.model !== engine.modelId) throw new HttpError(404, `the model '${parsed.model}' does not exist; this server serves '${engine.modelId}'`, 'invalid_request_error', 'model', 'model_not_found');
      if (closing) throw new HttpError(503, 'the server is shutting down', 'server_error');
      await gate.acquire(ac.signal);
      holding = true;
      live.add(ac);
      if (ac.signal.aborted) return;
      const id = String(++nextId);
      const created = Math.floor(Date.now() / 1000);
      if (parsed.stream) await completeStreamed(engine, parsed, res, ac.signal, id, created);
      else await completeUnstreamed(engine, parsed, res, ac.signal, id, created);
      if (ac.signal.reason === 'shutdown') throw new HttpError(503, 'the server shut down during the generation', 'server_error');
      served++;
    } catch (e) {
      if (e instanceof HttpError) {
        if (e.status === 429) refused++;
        if (e.status === 499 || ac.signal.reason === 'client') return;
        if (res.headersSent) { res.write(`data: ${JSON.stringify(e.body())}\n\n`); res.end(); return; }
        sendJson(res, e.status, e.body(), e.status === 429 ? { 'retry-after': '1' } : {});
        return;
      }
      const err = new HttpError(500, `internal error: ${(e as Error).message}`, 'server_error');
      if (ac.signal.reason === 'client') return;
      if (res.headersSent) { res.write(`data: ${JSON.stringify(err.body())}\n\n`); res.end(); return; }
      sendJson(res, 500, err.body());
    } finally {
      if (holding) gate.release();
      live.delete(ac);
    }
  };

  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    if (url === '/v1/chat/completions') {
      if (req.method !== 'POST') return sendJson(res, 405, new HttpError(405, `${req.method} is not allowed on ${url}; use POST`).body(), { allow: 'POST' });
      void chat(req, res);
      return;
    }
    if (url === '/v1/models') {
      if (req.method !== 'GET') return sendJson(res, 405, new HttpError(405, `${req.method} is not allowed on ${url}; use GET`).body(), { allow: 'GET' });
      return sendJson(res, 200, { object: 'list', data: [{ id: engine.modelId, object: 'model', created: 0, owned_by: 'intern-s1-ts' }] });
    }
    if (url === '/health') return sendJson(res, closing ? 503 : 200, { status: closing ? 'closing' : 'ok', running: gate.running, queued: gate.queued });
    sendJson(res, 404, new HttpError(404, `no route ${req.method} ${url}`, 'invalid_request_error', null, 'not_found').body());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8000, opts.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closed: Promise<void> | null = null;
  return {
    server,
    url: `http://${host}:${addr.port}`,
    stats: () => ({ running: gate.running, queued: gate.queued, served, refused }),
    close: () => {
      closed ??= (async () => {
        closing = true;
        gate.failAll(new HttpError(503, 'the server is shutting down', 'server_error'));
        for (const ac of live) ac.abort('shutdown');
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Running generations stop after their current token; give them a moment, then cut.
        const deadline = Date.now() + 5000;
        while (gate.running > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        server.closeAllConnections();
        await done;
      })();
      return closed;
    },
  };
}
