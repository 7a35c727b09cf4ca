/**
 * What `intern-s1 demo` and the docs playground (`docs/playground/`) both run, so that the same
 * seed gives the same tokens in Node and in a page: the built-in tokenizer and checkpoint, the
 * prompt with the built-in picture and signal, and the generation options. Imports no Node
 * built-in (the playground bundles it for the browser).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { RgbImage } from '../../image/types.js';
import type { GenerateOptions } from '../../models/intern-s1/generate.js';
import { InternS1ForConditionalGeneration } from '../../models/intern-s1/model.js';
import type { SamplingOptions } from '../../models/intern-s1/sampling.js';
import { InternS1Tokenizer } from '../../tokenizer/tokenizer.js';
import { type PreparedPrompt, preparePrompt } from '../pipeline.js';
import { type DemoCheckpoint, demoCheckpoint } from './model.js';
import { type DemoTokenizer, buildDemoTokenizer } from './tokenizer.js';

/** The demo's prompt: prose, a SMILES string and a protein sequence, so every sub-tokenizer shows. */
export const DEMO_PROMPT = 'Describe the molecule C1=CC=C(C=C1)C=O, then the protein <protein>MKTAYIAKQRQISFVKSHFSRQ</protein>, and what the image and the signal show.';

/** A tiny model variant the demo builds. */
export type DemoVariant = 'pro' | 's1' | 'mini';

/** The built-in tiny tokenizer (its files and the loaded tokenizer). */
export function demoTokenizer(): { demoTok: DemoTokenizer; tokenizer: InternS1Tokenizer } {
  const demoTok = buildDemoTokenizer();
  return { demoTok, tokenizer: InternS1Tokenizer.fromFiles(demoTok.files) };
}

/** The built-in tiny checkpoint of `variant` and its model (random weights from `seed`). */
export function demoModel(variant: DemoVariant, demoTok: DemoTokenizer, seed: number): { ckpt: DemoCheckpoint; model: InternS1ForConditionalGeneration } {
  const ckpt = demoCheckpoint(variant, demoTok, seed);
  return { ckpt, model: InternS1ForConditionalGeneration.fromWeights(ckpt.config, ckpt.weights) };
}

/** The demo's media: the picture and the signal `[T, C]` at `rate` Hz. */
export interface DemoMedia {
  readonly image: RgbImage;
  readonly signal: { readonly data: Float32Array; readonly T: number; readonly C: number; readonly rate: number };
}

/** A prepared demo prompt plus the signal tensor; {@link disposePrepared} frees both. */
export interface DemoPrompt extends PreparedPrompt {
  /** The signal as a `[T, C]` tensor. */
  readonly signalTensor: tf.Tensor;
}

/**
 * The chat prompt of `text` with the picture (when the model has a vision tower) and the signal
 * (when it has a time-series tower), preprocessed, expanded and tokenised.
 */
export function prepareDemo(model: InternS1ForConditionalGeneration, tokenizer: InternS1Tokenizer, media: DemoMedia, text = DEMO_PROMPT): DemoPrompt {
  const sig = media.signal;
  const signalTensor = tf.tensor2d(sig.data, [sig.T, sig.C]);
  try {
    const prep = preparePrompt(model, tokenizer, {
      text, image: model.vision ? media.image : undefined,
      series: model.timeSeries !== null ? { signal: signalTensor, samplingRate: sig.rate } : undefined,
    });
    return { ...prep, signalTensor };
  } catch (e) {
    signalTensor.dispose();
    throw e;
  }
}

/** Free the tensors of a {@link prepareDemo} result. */
export function disposePrepared(p: DemoPrompt): void {
  tf.dispose(p.owned);
  p.signalTensor.dispose();
}

/** The generation options of the demo: `maxNewTokens`, the sampling options, stop at `<|im_end|>`, expert load on. */
export function demoGenerateOptions(tokenizer: InternS1Tokenizer, maxNewTokens: number, sampling: SamplingOptions & { seed?: number }): GenerateOptions {
  const end = tokenizer.tokenToId('<|im_end|>');
  return { maxNewTokens, ...sampling, returnRouter: true, stopTokens: end === undefined ? [] : [end] };
}
