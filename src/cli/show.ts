/**
 * Output helpers of the commands that run the model: stage lines, a progress indicator for long
 * steps (on stderr, only when it is a terminal), token display by sub-tokenizer, and sampling flags.
 *
 * @module
 */
import { byteLevelDecode } from '../tokenizer/bytes.js';
import type { Encoding } from '../tokenizer/tokenizer.js';
import type { SamplingOptions } from '../models/intern-s1/sampling.js';
import { type CliIO, println } from './command.js';
import { intFlag, numberFlag } from './flags.js';

/** ANSI colour per sub-tokenizer (used only when the stream is a terminal; `tokenize` and `demo`). */
export const DOMAIN_COLOURS: Readonly<Record<string, string>> = {
  text: '\x1b[37m', added: '\x1b[35m', marker: '\x1b[2m', SMILES: '\x1b[32m', PROT: '\x1b[33m', FASTA: '\x1b[33m',
  XNA: '\x1b[36m', IUPAC: '\x1b[34m',
};
export const RESET = '\x1b[0m';

/** How a token reads as text: BPE tokens decoded from the byte alphabet, pieces and added tokens as they are. */
export function readableToken(token: string, domain: string): string {
  if (domain !== 'text') return token;
  try {
    return byteLevelDecode(token);
  } catch {
    return token;
  }
}

/** `[stage] message` on stdout. */
export function stage(io: CliIO, name: string, message: string): void {
  println(io.stdout, `[${name}] ${message}`);
}

/** Run `fn`, showing `what…` with the elapsed time on stderr while it runs (terminal only), then its duration. */
export function progress<T>(io: CliIO, what: string, fn: () => T): T {
  const t0 = performance.now();
  const tty = io.stderr.isTTY === true;
  if (tty) io.stderr.write(`… ${what}`);
  try {
    return fn();
  } finally {
    const ms = performance.now() - t0;
    if (tty) io.stderr.write(`\r\x1b[K`);
    println(io.stderr, `(${what}: ${ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`})`);
  }
}

/**
 * Tokens grouped by sub-tokenizer: runs of one repeated added token (media placeholders) are
 * folded as `<|image_pad|>×70`; every other piece is shown as `text|domain` or in colour.
 */
export function formatTokens(enc: Encoding, colour: boolean): string {
  const parts: string[] = [];
  for (let i = 0; i < enc.tokens.length;) {
    let j = i + 1;
    while (j < enc.tokens.length && enc.domains[i] === 'added' && enc.tokens[j] === enc.tokens[i]) j++;
    const d = enc.domains[i];
    const shown = readableToken(enc.tokens[i], d).replace(/\n/g, '\\n') + (j - i > 1 ? `×${j - i}` : '');
    parts.push(colour ? `${DOMAIN_COLOURS[d] ?? ''}${shown}${RESET}` : `${shown}|${d}`);
    i = j;
  }
  const counts = new Map<string, number>();
  for (const d of enc.domains) counts.set(d, (counts.get(d) ?? 0) + 1);
  return `  ${parts.join(' ')}\n  by sub-tokenizer: ${[...counts].map(([d, n]) => `${d} ${n}`).join(', ')}`;
}

/**
 * `--temperature`, `--top-k`, `--top-p`, `--seed` as sampling options (greedy when no temperature).
 * A bad value is a usage error naming the flag: temperature >= 0, top-k an integer >= 0 (0: all),
 * top-p in (0, 1], seed an integer.
 */
export function parseSampling(v: { temperature?: string; 'top-k'?: string; 'top-p'?: string; seed?: string }): SamplingOptions & { seed?: number } {
  return {
    temperature: numberFlag('temperature', v.temperature, { min: 0 }), topK: intFlag('top-k', v['top-k'], { min: 0 }),
    topP: numberFlag('top-p', v['top-p'], { positive: true, max: 1 }), seed: intFlag('seed', v.seed),
  };
}

/** A text progress bar `[####....]` of `width` cells, `done` of `total` filled. */
export function progressBar(done: number, total: number, width: number): string {
  const fill = Math.max(0, Math.min(width, Math.round((width * done) / Math.max(total, 1))));
  return `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]`;
}
