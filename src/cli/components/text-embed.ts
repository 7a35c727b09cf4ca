/**
 * The `text.embed` component: the token embedding lookup `E = embed_tokens[ids]` (spec 3.1 and
 * 8), the first step of every text forward. It reads only the rows of the requested ids from the
 * checkpoint, so it runs on a full-size checkpoint in milliseconds.
 *
 * Inputs: `input_ids` (I64 or I32), `[T]` or `[B, T]`. Output: `embeddings` F32 `[..., D]`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import ndarray from 'ndarray';
import type { NDArray } from '../../../reference/ndarray.js';
import { toFlat } from '../../../reference/ndarray.js';
import { ValueError } from '../../errors.js';
import { type ComponentContext, registerComponent } from '../../io/components.js';
import { textPrefix } from '../../io/layout.js';

/** The embedding table's name: from the config, else whichever spelling the checkpoint has. */
function tableName(ctx: ComponentContext): string {
  if (ctx.config) return `${textPrefix(ctx.config)}embed_tokens.weight`;
  const names = ['model.language_model.embed_tokens.weight', 'model.embed_tokens.weight'];
  return names.find((n) => ctx.weights.has(n)) ?? names[0];
}

/** Rows of the table for `ids` (validated), as float32 values `[ids.length, D]`. */
function lookup(ctx: ComponentContext, ids: ArrayLike<number>): { rows: Float32Array; D: number } {
  const name = tableName(ctx);
  const [V, D] = ctx.weights.info(name).shape;
  for (let i = 0; i < ids.length; i++) {
    if (!(ids[i] >= 0 && ids[i] < V)) throw new ValueError(`text.embed: input_ids[${i}] = ${ids[i]} is outside the vocabulary [0, ${V})`);
  }
  return { rows: ctx.weights.rows(name, ids), D };
}

registerComponent({
  name: 'text.embed',
  description: 'token embedding lookup E = embed_tokens[ids] (spec 3.1, 8)',
  inputs: [{ name: 'input_ids', dtypes: ['I64', 'I32'], shapes: [['T'], ['B', 'T']], description: 'token ids, [T] or [B, T]' }],
  outputs: [{ name: 'embeddings', dtype: 'F32', description: 'embedding rows, [..., D]' }],
  weightsNeeded: (ctx) => [tableName(ctx)],
  run(ctx, { input_ids }) {
    const { rows, D } = lookup(ctx, input_ids.dataSync());
    return { embeddings: tf.tensor(rows, [...input_ids.shape, D], 'float32') };
  },
  reference(ctx, { input_ids }): { embeddings: NDArray } {
    const { rows, D } = lookup(ctx, toFlat(input_ids));
    return { embeddings: ndarray(Float64Array.from(rows), [...input_ids.shape, D]) };
  },
});
