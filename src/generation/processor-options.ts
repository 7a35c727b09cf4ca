/**
 * The logits processors' options and the token history the penalties read: pure data, tfjs-free,
 * declared once for the fast path (`processors.ts`) and the float64 reference
 * (`reference/generation/processors.ts`).
 *
 * @module
 */

/** Every knob of next-token selection (HF `generation_config.json` names in camelCase). */
export interface LogitsProcessorOptions {
  /** Softmax temperature; `0` (default) means greedy argmax (HF `do_sample=False`). */
  readonly temperature?: number;
  /** Keep only the `topK` most likely tokens (0 or undefined: all). Ties go to the lower id. */
  readonly topK?: number;
  /** Keep the most likely tokens while the mass before each is below `topP` (1: all). */
  readonly topP?: number;
  /** Drop tokens whose probability is below `minP` times the top token's (0 or undefined: off). */
  readonly minP?: number;
  /** HF repetition penalty θ over prompt and generated ids: `z > 0 ? z / θ : z · θ` (1: off). */
  readonly repetitionPenalty?: number;
  /** OpenAI presence penalty in [-2, 2]: `z − α_p` for each id generated at least once. */
  readonly presencePenalty?: number;
  /** OpenAI frequency penalty in [-2, 2]: `z − α_f · c` for an id generated `c` times. */
  readonly frequencyPenalty?: number;
}

/** What the penalties look at: the prompt ids and the ids generated so far. */
export interface TokenHistory {
  /** The prompt ids (the repetition penalty looks at them). */
  readonly prompt: readonly number[];
  /** The ids generated so far (all penalties look at them). */
  readonly generated: readonly number[];
}
