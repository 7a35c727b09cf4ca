/**
 * `intern-s1 serve-docs [--port P] [--host H] [--files TOKENIZER_DIR] [--docs DIR]`: serve the built
 * documentation site (`npm run docs` writes it to `docs/api/`), playground included, with the
 * cross-origin isolation headers the playground needs for threaded wasm (see
 * `src/server/static.ts`), until SIGINT or SIGTERM.
 *
 * With `--files`, the tokenizer folder is served under {@link TOKENIZER_MOUNT}; the playground
 * fetches it from there and tokenizes with the real tokenizer instead of the built-in tiny one.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FileError, TokenizerError } from '../../errors.js';
import { startStaticServer } from '../../server/static.js';
import { type Command, println, UsageError } from '../command.js';
import { intFlag } from '../flags.js';

/** Where the playground looks for a tokenizer folder (decision: one fixed path, so the page needs no configuration). */
export const TOKENIZER_MOUNT = '/tokenizer/';

/** Files a tokenizer folder must hold for the playground (the sentencepiece models are named by its config). */
const TOKENIZER_FILES = ['tokenizer_config.json', 'vocab.json', 'merges.txt'];

/** The repository (or installed package) root: the nearest folder above this module with intern-s1-ts's package.json. */
export function packageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'intern-s1-ts') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The built site folder, checked: a FileError saying to run `npm run docs` when it is not built. */
export function builtDocs(dir: string | undefined): string {
  const root = dir ?? path.join(packageRoot() ?? '.', 'docs', 'api');
  if (!existsSync(path.join(root, 'index.html'))) {
    throw new FileError(`serve-docs: the docs are not built: '${path.join(root, 'index.html')}' does not exist (run 'npm run docs' in the intern-s1-ts repository first${dir === undefined ? '' : ', or give --docs the folder it wrote'})`);
  }
  return root;
}

/** A tokenizer folder, checked: FileError when it is not a folder, TokenizerError naming the files it lacks. */
export function tokenizerFolder(dir: string): string {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new FileError(`serve-docs: --files '${dir}' does not exist`, (e as NodeJS.ErrnoException).code);
  }
  if (!isDir) throw new FileError(`serve-docs: --files '${dir}' is not a folder (give the folder that holds tokenizer_config.json, vocab.json and merges.txt)`);
  const missing = TOKENIZER_FILES.filter((f) => !existsSync(path.join(dir, f)));
  if (missing.length) throw new TokenizerError(`serve-docs: --files '${dir}' is not a tokenizer folder: ${missing.join(', ')} missing`);
  return dir;
}

export const serveDocs: Command = {
  name: 'serve-docs',
  summary: 'serve the built docs site and its playground (COOP/COEP headers for threaded wasm)',
  help: `Usage: intern-s1 serve-docs [--port 8080] [--host 127.0.0.1] [--files TOKENIZER_DIR] [--docs DIR]

Serves the documentation site that 'npm run docs' builds (docs/api/ of the repository, or --docs
DIR) over HTTP, with the headers that make its pages cross-origin isolated
(Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp): the
playground page (/playground/) needs them for tfjs-wasm's threaded build. Pages opened as files
cannot load the playground's modules and wasm binaries.

The playground shows the dynamic tokenizer's pieces coloured by sub-tokenizer and runs the built-in
tiny model end to end (image, signal, text, streamed tokens) on a backend you pick (webgpu, webgl,
wasm, cpu). With --files, the tokenizer folder (tokenizer_config.json, vocab.json, merges.txt and
the tokenizer_*.model files, e.g. Intern-S1-Pro's) is served at ${TOKENIZER_MOUNT} and the playground
tokenizes with it; without it, with the built-in tiny demo tokenizer.

Stops on SIGINT or SIGTERM (Ctrl-C).

Examples:
  npm run docs && intern-s1 serve-docs
  intern-s1 serve-docs --port 8090 --files ./Intern-S1-Pro`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { port: { type: 'string' }, host: { type: 'string' }, files: { type: 'string' }, docs: { type: 'string' } },
    });
    if (positionals.length) throw new UsageError(`serve-docs takes no positional argument, got '${positionals[0]}' (a tokenizer folder goes after --files)`);
    const port = intFlag('port', values.port, { min: 0, max: 65535 }) ?? 8080;
    const host = values.host ?? '127.0.0.1';
    const root = builtDocs(values.docs);
    const files = values.files === undefined ? undefined : tokenizerFolder(values.files);
    let srv;
    try {
      srv = await startStaticServer({ root, host, port, mounts: files ? { [TOKENIZER_MOUNT]: files } : {} });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UsageError(`serve-docs: port ${port} on ${host} is already in use (EADDRINUSE): stop what holds it or pick another with --port`);
      throw new UsageError(`serve-docs: cannot listen on ${host}:${port}: ${(e as Error).message}`);
    }
    println(io.stdout, `serving ${root} on ${srv.url}/ (playground: ${srv.url}/playground/)`);
    println(io.stdout, files ? `tokenizer: ${path.resolve(files)} at ${srv.url}${TOKENIZER_MOUNT}` : 'tokenizer: the built-in tiny demo tokenizer (give --files DIR for a real one)');
    println(io.stdout, 'Ctrl-C to stop');
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const on = (s: NodeJS.Signals) => { process.off('SIGINT', on); process.off('SIGTERM', on); resolve(s); };
      process.on('SIGINT', on);
      process.on('SIGTERM', on);
    });
    await srv.close();
    println(io.stderr, `${signal}: stopped`);
    return 0;
  },
};
