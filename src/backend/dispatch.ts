/**
 * Backend dispatch: the one place where the fast path picks an implementation by backend (issue
 * 13, part 2). Each entry of {@link DISPATCH} names, per backend, the implementation an op or a
 * layer runs, and the comment above it says why, with the measurement that decided it (tfjs 4.22,
 * Node, 2 shared cores unless said otherwise). Code asks {@link kernelFor} instead of testing
 * `tf.getBackend()` itself, so a new backend (webgpu, webgl) or a new measurement changes one row.
 *
 * Every implementation of an entry computes the same function (the op's tests compare each one
 * with the reference); they differ in speed and memory only. Backends not named in a row use its
 * `default`. Browser-safe: imports only tfjs.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** One row: the implementation per backend name, and the one for every other backend. */
type Row<K extends string> = { readonly default: K } & { readonly [backend: string]: K };

/**
 * The dispatch table.
 *
 * - `matmul` (ops/matmul.ts: `matmul`, `dense`, `linear`, and every product built on them).
 *   `lowered-2d` on wasm: tfjs-wasm serves only a 2-D, untransposed, batch-1 `matMul` with XNNPACK
 *   (~16-30 GFLOP/s); a transposed or batched product falls to ~1-2 GFLOP/s. So a transpose flag
 *   becomes an explicit `tf.transpose` (O(size) traffic against O(M·K·N) work: 10x faster at 512),
 *   `linear` transposes its `[out, in]` weight on every call (models pre-transpose at load and call
 *   `dense`), a batched product becomes one 2-D product per slice once a slice has at least
 *   {@link PER_SLICE_MIN_MACS} multiply-adds, and the 2-D product's gradient is itself two 2-D
 *   untransposed products (a customGrad), so training steps stay on the fast kernel.
 *   XNNPACK's own rate also falls with the size of the right-hand operand (the weight): run on
 *   one thread, its GEMM streams the whole packed weight once per small tile of rows, so a weight
 *   larger than the cache is read from memory again and again. Measured in CPU time (M 256,
 *   K 1024, 2026-12-08, shared 2 cores): weights of 1-8 MB 26-28 GFLOP/s, 12-16 MB 14-19, the
 *   64 MB lm_head of a 16384-token vocabulary 11-12. Two fixes were measured and not taken:
 *   splitting the weight into column blocks per call costs more than it saves (tfjs-wasm's split
 *   copies the whole source per piece: 850 ms for 16 blocks of the 64 MB weight, against a
 *   760 ms product); `(W·xᵀ)ᵀ` from the checkpoint's `[out, in]` layout runs at ~25 GFLOP/s
 *   with both transposes (2.3x on the lm_head and on a fused 24 MB gate/up weight, bit-identical
 *   values) but needs models to hold large weights in that layout (DESIGN.md has them
 *   pre-transposed), a change left to its own issue.
 *   `native` elsewhere: `tf.matMul` with its transpose flags (cpu and libtensorflow have no slow
 *   transposed or batched form).
 * - `moeCombine` (models/qwen3/moe.ts, at inference; while a gradient is recorded every backend
 *   runs `tensor`, the differentiable form). `host` on wasm and cpu (host memory): each active
 *   expert's token rows are copied into one block in JS and the weighted outputs accumulated in
 *   JS. tfjs-wasm runs `slice` and `gather` by copying the whole source tensor through JS
 *   (measured: 64 row blocks of 32 × 512 sliced from a [2048, 512] tensor take 109 ms, and 1.7 ms
 *   more per block as the source grows; the same blocks copied in JS take 2.4 ms), which made the
 *   tensor form's cost grow with E. `tensor` elsewhere (device memory: reading back is the cost
 *   there): gather once, slice per expert, scatter-add back.
 * - `equalBlockAttention` (ops/attention.ts, block-diagonal attention whose blocks all have the
 *   same length L, bidirectional, no mask, no probabilities, no gradient recorded: the
 *   time-series patch encoder's rows of p positions). `host-rows` on wasm and cpu from
 *   L ≥ {@link HOST_ROWS_MIN_LENGTH}: q, k, v are read back once and each (block, head) runs as two
 *   2-D products on small tensors built in JS (about 3x faster at L = 320 on wasm: wasm's batched
 *   product runs ~1 GFLOP/s, and slicing a block out of a large tensor costs time proportional to
 *   the whole tensor there, so per-block slices do not scale). Below that length, and on other
 *   backends (device memory: no read-back), `batched`: one batched product over all (block, head)
 *   pairs.
 * - `nonFinite` (ops/logsumexp.ts, ops/softmax.ts `logSoftmax`, ops/activations.ts `relu`: the ops
 *   whose results at NaN and ±Inf inputs are specified, as PyTorch gives them). `guarded` on webgl:
 *   shader arithmetic need not follow IEEE 754 for non-finite values (GLSL allows finite-math), so
 *   those results are selected explicitly with `isNaN` / `isFinite` masks. Measured in headless
 *   Chromium 156 on SwiftShader (test/browser-suite, the ops' sample inputs): `log(0)` gave -88.03
 *   instead of -Inf (logsumexp of an all -Inf line) and `relu(-Inf)` gave NaN. webgpu has the same
 *   kind of failures (log(0); `max` / `exp` dropping NaN) but the masked form is not a fix there:
 *   its `where` over a broadcast bool mask of a computed tensor returned zeros for finite inputs,
 *   so webgpu stays `ieee` and the suite lists those samples as known webgpu failures
 *   (test/browser-suite/support/opspec.ts). `ieee` elsewhere (cpu, wasm, libtensorflow).
 * - `angleTables` (ops/rope.ts `angleCosSin`: the RoPE and FoPE tables). `host` on webgpu and
 *   webgl: the float32 angles are computed and their sin / cos taken in JS, then uploaded. GPU
 *   sin / cos reduce large arguments poorly (measured in headless Chromium 156 on SwiftShader,
 *   test/browser-suite: the RoPE and FoPE table tests with positions up to 3·10⁵ failed on webgl,
 *   where the angle reaches 3·10⁵ rad). `tensor` elsewhere (cpu, wasm: `tf.cos` / `tf.sin`).
 */
export const DISPATCH = {
  matmul: { wasm: 'lowered-2d', default: 'native' },
  moeCombine: { wasm: 'host', cpu: 'host', default: 'tensor' },
  equalBlockAttention: { wasm: 'host-rows', cpu: 'host-rows', default: 'batched' },
  nonFinite: { webgl: 'guarded', default: 'ieee' },
  angleTables: { webgpu: 'host', webgl: 'host', default: 'tensor' },
} as const satisfies Record<string, Row<string>>;

/** The ops and layers that dispatch on the backend. */
export type DispatchedOp = keyof typeof DISPATCH;

/** The implementations of one entry. */
export type Kernel<Op extends DispatchedOp> = (typeof DISPATCH)[Op][keyof (typeof DISPATCH)[Op]];

/**
 * Smallest per-slice product (M·K·N multiply-adds) that `lowered-2d` runs as separate 2-D
 * products; below it the batched kernel wins. Each per-slice call costs ~0.1 ms of dispatch on
 * wasm (measured: 64 × 32³ 1.9 ms batched vs 4.6 ms per slice; 16 × 64³ 3.8 ms vs 1.5 ms).
 */
export const PER_SLICE_MIN_MACS = 65536;

/** Shortest block for which `equalBlockAttention` runs `host-rows` (shorter blocks: `batched`). */
export const HOST_ROWS_MIN_LENGTH = 64;

/**
 * The implementation `op` runs on `backend` (default: the active one).
 *
 * @param op - an entry of {@link DISPATCH}.
 * @param backend - a tfjs backend name; default `tf.getBackend()`.
 * @returns the row's value for that backend, or its `default`.
 */
export function kernelFor<Op extends DispatchedOp>(op: Op, backend: string = tf.getBackend()): Kernel<Op> {
  const row = DISPATCH[op] as Row<string>;
  return (Object.prototype.hasOwnProperty.call(row, backend) ? row[backend] : row.default) as Kernel<Op>;
}
