/**
 * Logits processors of generation, in Hugging Face's order (`GenerationMixin._get_logits_processor`
 * of transformers 4.56): first the processors that edit logits from the history (repetition
 * penalty; then the OpenAI presence / frequency penalties, which HF lacks and which vLLM applies at
 * the same place), then, when sampling, the warpers temperature → top-k → top-p → min-p. Greedy
 * decoding (`temperature` 0, HF's `do_sample=False`) applies the penalties and takes the argmax.
 *
 * Works on the host copy of one row of logits (`V` floats), in float64: penalties touch only the
 * ids in the history, top-k is an O(V log k) heap, and only the kept candidates are sorted.
 * Randomness comes only from the seeded generator passed in.
 *
 * @module
 */
import { ValueError } from '../errors.js';
import type { Rng } from '../util/random.js';

export type { LogitsProcessorOptions, TokenHistory } from './processor-options.js';
import type { LogitsProcessorOptions, TokenHistory } from './processor-options.js';

const EMPTY: TokenHistory = { prompt: [], generated: [] };

/** Validate the options against a vocabulary of `vocab` ids; throws ValueError naming the field. */
export function checkProcessorOptions(o: LogitsProcessorOptions, vocab: number): void {
  const t = o.temperature ?? 0;
  if (!Number.isFinite(t) || t < 0) throw new ValueError(`sampling: 'temperature' must be a finite number >= 0, got ${t}`);
  const k = o.topK ?? 0;
  if (!Number.isInteger(k) || k < 0 || k > vocab) throw new ValueError(`sampling: 'topK' must be an integer in [0, ${vocab}], got ${k}`);
  const p = o.topP ?? 1;
  if (!(p > 0 && p <= 1)) throw new ValueError(`sampling: 'topP' must be in (0, 1], got ${p}`);
  const m = o.minP ?? 0;
  if (!(m >= 0 && m <= 1)) throw new ValueError(`sampling: 'minP' must be in [0, 1], got ${m}`);
  const r = o.repetitionPenalty ?? 1;
  if (!(r > 0 && Number.isFinite(r))) throw new ValueError(`sampling: 'repetitionPenalty' must be a finite number > 0, got ${r}`);
  for (const f of ['presencePenalty', 'frequencyPenalty'] as const) {
    const v = o[f] ?? 0;
    if (!(v >= -2 && v <= 2)) throw new ValueError(`sampling: '${f}' must be in [-2, 2], got ${v}`);
  }
}

function checkHistory(h: TokenHistory, vocab: number): void {
  for (const [name, ids] of [['prompt', h.prompt], ['generated', h.generated]] as const) {
    for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new ValueError(`sampling: history '${name}' holds id ${id}, outside [0, ${vocab})`);
  }
}

/**
 * The penalised logits, in float64 (a copy; the input is not changed).
 *
 * Repetition (HF `RepetitionPenaltyLogitsProcessor`, once per distinct id of prompt ∪ generated):
 * `z_j ← z_j / θ` if `z_j > 0` else `z_j · θ`. Then presence / frequency (OpenAI, over generated
 * ids only): `z_j ← z_j − c_j · α_f − [c_j > 0] · α_p`.
 *
 * @example
 * ```ts
 * import { applyPenalties } from 'intern-s1-ts';
 * const z = applyPenalties(Float32Array.from([2, -1, 0.5]), { repetitionPenalty: 2, frequencyPenalty: 0.5 }, { prompt: [1], generated: [0, 0] });
 * console.log(Array.from(z)); // [0, -2, 0.5]: 2/2 − 2·0.5, −1·2, untouched
 * ```
 */
export function applyPenalties(logits: ArrayLike<number>, o: LogitsProcessorOptions, history: TokenHistory = EMPTY): Float64Array {
  const V = logits.length;
  checkProcessorOptions(o, V);
  checkHistory(history, V);
  const z = Float64Array.from(logits);
  for (let i = 0; i < V; i++) if (Number.isNaN(z[i])) throw new ValueError(`sampling: logit ${i} is NaN`);
  const theta = o.repetitionPenalty ?? 1;
  if (theta !== 1) {
    const seen = new Set<number>(history.prompt);
    for (const id of history.generated) seen.add(id);
    for (const id of seen) z[id] = z[id] > 0 ? z[id] / theta : z[id] * theta;
  }
  const ap = o.presencePenalty ?? 0;
  const af = o.frequencyPenalty ?? 0;
  if (ap !== 0 || af !== 0) {
    const counts = new Map<number, number>();
    for (const id of history.generated) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const [id, c] of counts) z[id] -= c * af + ap;
  }
  return z;
}

/** Index of the largest value (ties to the lower index); NaN logits are an error. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < logits.length; i++) {
    if (Number.isNaN(logits[i])) throw new ValueError(`sampling: logit ${i} is NaN`);
    if (logits[i] > logits[best]) best = i;
  }
  return best;
}

/**
 * The candidate tokens and their probabilities after all processors, in increasing token order.
 *
 * With `z` the penalised logits ({@link applyPenalties}) and `τ` the temperature: greedy when
 * `τ = 0` (one token, probability 1). Else `p_i ∝ exp(z_i / τ)`; top-k keeps the k largest `z`;
 * top-p keeps, in decreasing probability, each token whose predecessors' mass is below `topP`
 * (at least one); min-p keeps those with `p_i ≥ minP · max p`; the kept set is renormalised.
 *
 * @example
 * ```ts
 * import { nextTokenDistribution } from 'intern-s1-ts';
 * const d = nextTokenDistribution(Float32Array.from([2, 1, 0]), { temperature: 1, minP: 0.3 });
 * console.log(d.tokens, d.probs); // [0, 1], [0.731, 0.269]
 * ```
 */
export function nextTokenDistribution(logits: ArrayLike<number>, o: LogitsProcessorOptions, history: TokenHistory = EMPTY): {
  /** Candidate token ids, increasing (one, the argmax, when `temperature` is 0). */
  tokens: number[];
  /** Their probabilities, summing to 1. */
  probs: number[];
} {
  if (logits.length === 0) throw new ValueError('sampling: the logits are empty (a vocabulary of 0 tokens has nothing to sample)');
  const z = applyPenalties(logits, o, history);
  const tau = o.temperature ?? 0;
  if (tau === 0) return { tokens: [argmax(z)], probs: [1] };
  const V = z.length;
  const k = o.topK ?? 0;
  let order = k > 0 && k < V ? selectTopK(z, k) : Array.from({ length: V }, (_, i) => i);
  order.sort((a, b) => z[b] - z[a] || a - b); // decreasing logit, ties to the lower index
  const m = z[order[0]];
  let w = order.map((i) => Math.exp((z[i] - m) / tau)); // unnormalised, w[0] = 1 is the top token
  const p = o.topP ?? 1;
  if (p < 1) {
    const sum = w.reduce((a, b) => a + b, 0);
    let acc = 0;
    let keep = 0;
    while (keep < order.length && acc < p * sum) acc += w[keep++];
    order = order.slice(0, Math.max(1, keep));
    w = w.slice(0, order.length);
  }
  const minP = o.minP ?? 0;
  if (minP > 0) {
    let keep = 1;
    while (keep < w.length && w[keep] >= minP * w[0]) keep++; // w is decreasing: a prefix survives
    order = order.slice(0, keep);
    w = w.slice(0, keep);
  }
  const sum = w.reduce((a, b) => a + b, 0);
  const pairs = order.map((tok, j) => [tok, w[j] / sum] as const).sort((a, b) => a[0] - b[0]);
  return { tokens: pairs.map((q) => q[0]), probs: pairs.map((q) => q[1]) };
}

/** The k largest logits' indices (ties to the lower index), in O(V log k). */
function selectTopK(logits: ArrayLike<number>, k: number): number[] {
  const better = (a: number, b: number) => logits[a] > logits[b] || (logits[a] === logits[b] && a < b);
  const heap: number[] = []; // min-heap by "better": heap[0] is the worst kept
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j], heap[i]]);
  for (let i = 0; i < logits.length; i++) {
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0 && better(heap[(c - 1) >> 1], heap[c]); c = (c - 1) >> 1) swap(c, (c - 1) >> 1);
    } else if (better(i, heap[0])) {
      heap[0] = i;
      for (let j = 0; ;) {
        const l = 2 * j + 1;
        let w = j;
        if (l < k && better(heap[w], heap[l])) w = l;
        if (l + 1 < k && better(heap[w], heap[l + 1])) w = l + 1;
        if (w === j) break;
        swap(j, w);
        j = w;
      }
    }
  }
  return heap;
}

/**
 * Pick the next token: the argmax when greedy, else draw `u = rng()` and return the first candidate
 * (in increasing token order) whose cumulative probability exceeds `u`. One draw per sampled step,
 * so a seed fixes the whole sequence.
 *
 * @example
 * ```ts
 * import { mulberry32, sampleNext } from 'intern-s1-ts';
 * const rng = mulberry32(7);
 * console.log(sampleNext(Float32Array.from([0, 5, 0]), { temperature: 0.7, topP: 0.9 }, rng)); // 1
 * ```
 */
export function sampleNext(logits: ArrayLike<number>, o: LogitsProcessorOptions, rng: Rng, history: TokenHistory = EMPTY): number {
  const { tokens, probs } = nextTokenDistribution(logits, o, history);
  if (tokens.length === 1) return tokens[0];
  const u = rng();
  let acc = 0;
  for (let j = 0; j < tokens.length; j++) {
    acc += probs[j];
    if (u < acc) return tokens[j];
  }
  return tokens[tokens.length - 1];
}
