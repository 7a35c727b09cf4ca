/**
 * Training data (issue 16, item 4): a text or JSONL corpus tokenised into one stream, cut into
 * sequences of T tokens, and a deterministic batch order for a seed, so that step s always sees
 * the same batch (what makes a resumed run continue exactly). Pure data: no tensors.
 *
 * @module
 */
import { ValueError } from '../errors.js';
import { mulberry32 } from '../util/random.js';

/**
 * The documents of a corpus: JSONL (one JSON object per line with a string `text` field, or a
 * JSON string) when `format` is `'jsonl'`, else plain text with documents separated by blank lines.
 * @throws ValueError naming the line for malformed JSONL; for an empty corpus.
 */
export function corpusDocuments(text: string, format: 'text' | 'jsonl'): string[] {
  let docs: string[];
  if (format === 'jsonl') {
    docs = text.split(/\r?\n/).flatMap((line, i) => {
      if (line.trim() === '') return [];
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        throw new ValueError(`corpus: line ${i + 1} is not JSON`);
      }
      const t = typeof v === 'string' ? v : (v as { text?: unknown })?.text;
      if (typeof t !== 'string') throw new ValueError(`corpus: line ${i + 1} has no string 'text' field`);
      return [t];
    });
  } else {
    docs = text.split(/\n\s*\n/).map((d) => d.trim());
  }
  docs = docs.filter((d) => d.length > 0);
  if (docs.length === 0) throw new ValueError('corpus: no text (the corpus is empty)');
  return docs;
}

/**
 * Token streams cut into sequences: documents joined with `eos` after each, then consecutive
 * windows of T tokens (the tail shorter than T is dropped).
 * @throws ValueError when the stream is shorter than one sequence.
 */
export function packSequences(docs: readonly (readonly number[])[], eos: number, T: number): number[][] {
  const stream: number[] = [];
  for (const d of docs) stream.push(...d, eos);
  const n = Math.floor(stream.length / T);
  if (n === 0) throw new ValueError(`corpus: ${stream.length} tokens, fewer than one sequence of --seq ${T}`);
  return Array.from({ length: n }, (_, i) => stream.slice(i * T, (i + 1) * T));
}

/**
 * The sequence indices of the batch of step s (0-based): epochs of a seeded permutation of the
 * sequences (Fisher–Yates with mulberry32(seed + epoch)), read `batch` at a time.
 */
export function batchIndices(count: number, batch: number, step: number, seed: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < batch; j++) {
    const k = step * batch + j;
    const epoch = Math.floor(k / count);
    out.push(permutation(count, seed + epoch)[k % count]);
  }
  return out;
}

const perms = new Map<string, number[]>();

function permutation(n: number, seed: number): number[] {
  const key = `${n}:${seed}`;
  let p = perms.get(key);
  if (!p) {
    const r = mulberry32(seed);
    p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
    if (perms.size > 16) perms.clear();
    perms.set(key, p);
  }
  return p;
}
