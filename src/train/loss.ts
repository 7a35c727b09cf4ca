/**
 * The language-model loss of training (issue 16): mean next-token cross-entropy, shifted as
 * Hugging Face's `ForCausalLMLoss` does.
 *
 * ```
 * z = logits[:, :-1]            [B, T−1, V]      y = labels[:, 1:]   [B, T−1]
 * ℓ_{b,t} = logsumexp(z_{b,t}) − z_{b,t,y_{b,t}}  for y_{b,t} ≠ −100 (IGNORE_INDEX)
 * loss = Σ ℓ / #{y ≠ −100}       (0 when every label is ignored, as a guard: HF gives NaN)
 * ```
 *
 * The backward is hand-written (`dz = (softmax(z) − onehot(y)) / n` on counted rows): the
 * one-hot is a scatter of −1/n into the softmax, so no `[N, V]` one-hot table is made (V is 155k
 * for the real checkpoints) and no kernel wasm lacks is used (the gather's own gradient needs
 * UnsortedSegmentSum).
 *
 * Legend: B batch, T tokens, V vocabulary, N = B·(T−1) predicted positions.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../errors.js';
import { checkFloat, checkInt, checkRank, fmtShape } from '../util/check.js';

/** Labels equal to this are not predicted (PyTorch's `ignore_index`, HF's `-100`). */
export const IGNORE_INDEX = -100;

/** Validated flat targets: the row of each counted position in `[N, V]` and its label. */
interface Targets {
  rows: Int32Array;
  labels: Int32Array;
}

function targets(op: string, labels: Int32Array | Float32Array | Uint8Array, B: number, T: number, V: number): Targets {
  const rows: number[] = [];
  const ys: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 1; t < T; t++) {
      const y = labels[b * T + t];
      if (y === IGNORE_INDEX) continue;
      if (!(Number.isInteger(y) && y >= 0 && y < V)) throw new ValueError(`${op}: 'labels' holds ${y} at [${b}, ${t}], outside [0, ${V}) and not ${IGNORE_INDEX}`);
      rows.push(b * (T - 1) + t - 1);
      ys.push(y);
    }
  }
  return { rows: Int32Array.from(rows), labels: Int32Array.from(ys) };
}

/**
 * Mean next-token cross-entropy of `logits [B, T, V]` against `labels [B, T]` (int32; −100 =
 * ignored), shifted: position t's logits predict label t+1 (HF `ForCausalLMLoss`). A scalar,
 * differentiable in the logits.
 *
 * @param logits - float32 `[B, T, V]`.
 * @param labels - int32 `[B, T]`, each in [0, V) or −100.
 * @returns the mean over counted positions; 0 when none is counted (HF would give NaN).
 * @throws ShapeError / DTypeError for bad shapes or dtypes; ValueError for a label outside [0, V).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { causalLmLoss } from 'intern-s1-ts';
 * const logits = tf.zeros([1, 3, 4]);          // uniform over 4 tokens
 * const labels = tf.tensor2d([[0, 1, 2]], [1, 3], 'int32');
 * causalLmLoss(logits, labels).print(); // ~> 1.3863  -- log 4
 * ```
 */
export function causalLmLoss(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  const op = 'causalLmLoss';
  checkFloat(op, 'logits', logits);
  checkRank(op, 'logits', logits, 3);
  checkInt(op, 'labels', labels);
  const [B, T, V] = logits.shape as [number, number, number];
  if (labels.rank !== 2 || labels.shape[0] !== B || labels.shape[1] !== T) {
    throw new ShapeError(`${op}: 'labels' must be [B, T] = [${B}, ${T}] like the logits, got ${fmtShape(labels.shape)}`);
  }
  const tg = targets(op, labels.dataSync() as Int32Array, B, T, V);
  const N = B * (T - 1);
  const n = tg.rows.length;
  if (n === 0) return tf.tidy(() => tf.mul(tf.sum(logits), 0)); // keeps the graph connected
  const flat = Int32Array.from(tg.rows, (r, i) => r * V + tg.labels[i]); // positions in [N·V]
  const f = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const zs = tf.reshape(tf.slice(z, [0, 0, 0], [B, T - 1, V]), [N, V]); // [N, V]
    const rowsT = tf.tensor1d(tg.rows, 'int32');
    const zr = tf.gather(zs, rowsT); // [n, V]
    const picked = tf.gather(tf.reshape(zs, [N * V]), tf.tensor1d(flat, 'int32')); // [n]
    const lse = tf.logSumExp(zr, 1); // [n]
    save([zs]);
    return {
      value: tf.div(tf.sum(tf.sub(lse, picked)), n),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [zs0] = saved;
        const counted = new Float32Array(N);
        for (const r of tg.rows) counted[r] = 1;
        const p = tf.mul(tf.softmax(zs0), tf.tensor2d(counted, [N, 1])); // [N, V], zero on ignored rows
        const hot = tf.scatterND(tf.tensor2d(flat, [n, 1], 'int32'), tf.fill([n], 1), [N * V]); // [N·V]
        const dz = tf.mul(tf.sub(p, tf.reshape(hot, [N, V])), tf.div(dy, n)); // [N, V]
        return tf.pad(tf.reshape(dz, [B, T - 1, V]), [[0, 0], [0, 1], [0, 0]]); // [B, T, V]: the last position predicts nothing
      }),
    };
  }) as never) as unknown as (z: tf.Tensor) => tf.Tensor;
  return tf.tidy(() => f(logits));
}
