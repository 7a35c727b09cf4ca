/**
 * The registry of `intern-s1` subcommands. Each entry loads its module lazily so that
 * `intern-s1 info` does not pay for the tokenizer or the models.
 *
 * @module
 */
import type { Command } from '../command.js';

export const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./demo.js')).demo,
  generate: async () => (await import('./generate.js')).generate,
  info: async () => (await import('./info.js')).info,
  'init-tiny': async () => (await import('./init-tiny.js')).initTinyCommand,
  inspect: async () => (await import('./inspect.js')).inspect,
  'preprocess-image': async () => (await import('./preprocess-image.js')).preprocessImage,
  'preprocess-series': async () => (await import('./preprocess-series.js')).preprocessSeries,
  run: async () => (await import('./run.js')).run,
  serve: async () => (await import('./serve.js')).serve,
  'serve-docs': async () => (await import('./serve-docs.js')).serveDocs,
  train: async () => (await import('./train.js')).train,
  tokenize: async () => (await import('./tokenize.js')).tokenize,
  detokenize: async () => (await import('./detokenize.js')).detokenize,
};
