/**
 * Scoped memory management for forward passes (issue 13, part 3): a layer's `forward` is written
 * like its float64 reference twin, as plain expressions, inside one {@link scope}; the scope frees
 * the intermediates. No computing code lives here, so there is no reference twin.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Run `fn` in one tfjs scope and return its result. The tensors reachable from the result (a
 * tensor, or objects and arrays of tensors nested to any depth, `null` allowed, e.g.
 * `{ hidden, router: { logits, indices, weights }, attentionProbs: null }`) survive, as do tensors
 * passed to `tf.keep` (a KV cache's); every other tensor made inside is disposed when `fn` returns,
 * and every tensor made inside is disposed when it throws, so a forward leaks nothing on bad input.
 *
 * It is `tf.tidy`, with the result's own type kept (tf.tidy types results as `TensorContainer`,
 * which an interface of named outputs does not satisfy). Reading tensors back (`dataSync`) inside
 * costs no more than outside (measured on wasm), but a loop that makes large intermediates should
 * free them per iteration (an inner `scope`), since the outer one frees only at its end.
 *
 * @param fn - the body; must not return a Promise.
 * @returns what `fn` returns.
 * Internal (not exported from the package entry): the layers' forwards use it; its behaviour is
 * checked by test/nn/scope.test.ts.
 */
export function scope<T>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as unknown as T;
}

/**
 * `{ output, probs }` of an attention result, whether it was asked for its probabilities or not
 * (`probs` is then null), so a layer can pass `returnProbs` through and destructure one shape.
 * Takes any `{ output, probs }` (a layer's own result type too). Pure bookkeeping: no tensor is made.
 */
export function outputAndProbs(r: tf.Tensor | { output: tf.Tensor; probs: tf.Tensor }): { output: tf.Tensor; probs: tf.Tensor | null } {
  return r instanceof tf.Tensor ? { output: r, probs: null } : r;
}
