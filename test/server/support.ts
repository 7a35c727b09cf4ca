/** Servers for the HTTP tests: the demo's tiny checkpoint and tokenizer, and a scripted model. */
import * as tf from '@tensorflow/tfjs';
import { buildDemoTokenizer, type DemoTokenizer } from '../../src/cli/demo/tokenizer.js';
import { demoCheckpoint } from '../../src/cli/demo/checkpoint.js';
import { InternS1ForConditionalGeneration, type ModelInputs } from '../../src/models/intern-s1/model.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';

let demoTok: DemoTokenizer | null = null;

/** The demo tokenizer (built once per test file). */
export function demoTokenizer(): { files: DemoTokenizer; tokenizer: InternS1Tokenizer } {
  demoTok ??= buildDemoTokenizer();
  return { files: demoTok, tokenizer: InternS1Tokenizer.fromFiles(demoTok.files) };
}

/** The tiny demo checkpoint of `variant`, wired to the demo tokenizer. */
export function tinyModel(variant: 'mini' | 'pro', vision = false): InternS1ForConditionalGeneration {
  const { files } = demoTokenizer();
  const ck = demoCheckpoint(variant, files, 3);
  return InternS1ForConditionalGeneration.fromWeights(ck.config, ck.weights, { vision, timeSeries: false });
}

/**
 * A model double that "generates" a fixed script: each forward returns logits `[1, 1, V]` with
 * the next scripted id far ahead of the rest, so greedy decoding (and any sampling with a sane
 * top-p) replays the script. It records every prompt it is given, and counts its forward calls.
 */
export class ScriptedModel {
  readonly variant = 'mini';
  readonly vision = null;
  readonly timeSeries = null;
  readonly prompts: number[][] = [];
  forwards = 0;
  private step = 0;
  readonly text: { cfg: { vocab_size: number; eos_token_id: number | null } };

  constructor(readonly vocab: number, public script: number[]) {
    this.text = { cfg: { vocab_size: vocab, eos_token_id: null } };
  }

  newCache() {
    return { dispose: () => {} };
  }

  forward(inputs: ModelInputs) {
    this.forwards++;
    if (inputs.inputIds[0].length > 1) { this.prompts.push([...inputs.inputIds[0]]); this.step = 0; } // a prefill
    const next = this.script[Math.min(this.step++, this.script.length - 1)];
    const logits = new Float32Array(this.vocab).fill(-20);
    logits[next] = 20;
    return { logits: tf.tensor3d(logits, [1, 1, this.vocab]), hidden: tf.zeros([1, 1, 2]), router: null, expertLoad: null, mediaTokens: {} };
  }

  disposeOutput(out: { logits: tf.Tensor | null; hidden: tf.Tensor }) {
    out.logits?.dispose();
    out.hidden.dispose();
  }

  /** Use as the engine's model (the engine reads only what this double provides). */
  asModel(): InternS1ForConditionalGeneration {
    return this as unknown as InternS1ForConditionalGeneration;
  }
}
