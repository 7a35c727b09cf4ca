/**
 * `intern-s1 serve <checkpoint> [--host H] [--port N]`: an OpenAI-compatible HTTP server over a
 * checkpoint folder (see `src/server/`), until SIGINT or SIGTERM.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../backend/index.js';
import { parseGenerationConfig } from '../../generation/config.js';
import { InternS1ForConditionalGeneration } from '../../models/intern-s1/model.js';
import { ChatEngine } from '../../server/engine.js';
import { startChatServer } from '../../server/server.js';
import { InternS1Tokenizer } from '../../tokenizer/tokenizer.js';
import { type Command, println, UsageError } from '../command.js';
import { backendFlag, intFlag } from '../flags.js';
import { progress } from '../show.js';

export const serve: Command = {
  name: 'serve',
  summary: 'serve a checkpoint over an OpenAI-compatible HTTP API (/v1/chat/completions)',
  help: `Usage: intern-s1 serve <checkpoint-dir> [--host 127.0.0.1] [--port 8000] [--model-name NAME]
                       [--concurrency 1] [--max-queue 16] [--max-tokens 512] [--no-vision]
                       [--backend tensorflow|wasm|cpu]

Loads the model, the tokenizer and generation_config.json (decoding defaults, eos ids) from
<checkpoint-dir> and answers OpenAI chat-completion requests:
  GET  /v1/models             the one model (its id: --model-name, default the folder name)
  POST /v1/chat/completions   messages, tools, tool_choice, stream, max_tokens, temperature, top_p,
                              top_k, min_p, stop, seed, presence/frequency/repetition penalties,
                              images as data: URLs, chat_template_kwargs.enable_thinking
Replies carry reasoning_content (the <think> part) and tool_calls parsed from <tool_call> blocks.
--concurrency generations run at once, --max-queue more wait; beyond that a request gets 429.
--max-tokens is the default for requests that set none. SIGINT or SIGTERM: running generations
stop, queued requests get 503, the server closes and the command exits 0.

Examples:
  intern-s1 serve ./Intern-S1-mini --port 8000
  curl http://127.0.0.1:8000/v1/chat/completions -H 'content-type: application/json' \\
       -d '{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 32}'`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        host: { type: 'string' }, port: { type: 'string' }, 'model-name': { type: 'string' }, concurrency: { type: 'string' },
        'max-queue': { type: 'string' }, 'max-tokens': { type: 'string' }, 'no-vision': { type: 'boolean' }, backend: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('serve needs exactly one <checkpoint-dir>');
    const port = intFlag('port', values.port, { min: 0, max: 65535 }) ?? 8000;
    const concurrency = intFlag('concurrency', values.concurrency, { min: 1, max: 64 }) ?? 1;
    const maxQueue = intFlag('max-queue', values['max-queue'], { min: 0 }) ?? 16;
    const maxTokens = intFlag('max-tokens', values['max-tokens'], { min: 1 });
    const backend = backendFlag(values.backend);
    const dir = positionals[0];
    await initBackend(backend);
    const genFile = path.join(dir, 'generation_config.json');
    const generationConfig = existsSync(genFile) ? parseGenerationConfig(readFileSync(genFile, 'utf8'), genFile) : undefined;
    const tokenizer = InternS1Tokenizer.fromDir(dir);
    const model = progress(io, `loading ${dir}`, () => InternS1ForConditionalGeneration.fromCheckpoint(dir, { vision: values['no-vision'] !== true, timeSeries: false }));
    const modelId = values['model-name'] ?? path.basename(path.resolve(dir));
    let srv;
    try {
      srv = await startChatServer(new ChatEngine(model, tokenizer, { modelId, generationConfig, defaultMaxTokens: maxTokens }), {
        host: values.host ?? '127.0.0.1', port, concurrency, maxQueue,
      });
    } catch (e) {
      model.dispose();
      throw new UsageError(`serve: cannot listen on ${values.host ?? '127.0.0.1'}:${port}: ${(e as Error).message}`);
    }
    println(io.stdout, `serving ${modelId} on ${srv.url}/v1 (Ctrl-C to stop)`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const on = (s: NodeJS.Signals) => { process.off('SIGINT', on); process.off('SIGTERM', on); resolve(s); };
      process.on('SIGINT', on);
      process.on('SIGTERM', on);
    });
    const { served, refused } = srv.stats();
    await srv.close();
    model.dispose();
    println(io.stderr, `${signal}: shut down (${served} served, ${refused} refused with 429)`);
    return 0;
  },
};
