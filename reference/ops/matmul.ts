/**
 * Reference matrix products (spec section 2), float64, plain loops.
 *
 * Shape legend: B batch (any number of leading dims), M rows, K inner, N columns.
 *
 * @module
 */
import {
  type NDArray, broadcastIndex, broadcastShapes, sizeOf, toFlat, unravel, zeros,
} from '../ndarray.js';

/** Transpose flags of the two operands of {@link matmul}. */
export interface MatmulOptions {
  /** Use the transpose of the last two dims of `a`. */
  transposeA?: boolean;
  /** Use the transpose of the last two dims of `b`. */
  transposeB?: boolean;
}

/** A view of `x` with its last two dims swapped. */
function swapLast(x: NDArray): NDArray {
  const perm = x.shape.map((_, i) => i);
  perm[x.shape.length - 2] = x.shape.length - 1;
  perm[x.shape.length - 1] = x.shape.length - 2;
  return x.transpose(...perm);
}

/** `C[i][j] = Σ_p A[i][p] · B[p][j]` for flat row-major `A [M, K]`, `B [K, N]`. */
function product2d(A: Float64Array, B: Float64Array, m: number, k: number, n: number): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = A[i * k + p];
      for (let j = 0; j < n; j++) C[i * n + j] += aip * B[p * n + j];
    }
  }
  return C;
}

/**
 * `y[..., i, j] = Σ_p A[..., i, p] · B[..., p, j]`, `A = transposeA ? aᵀ : a`,
 * `B = transposeB ? bᵀ : b`; batch dims broadcast as in `torch.matmul`.
 *
 * `a [...Ba, M, K]`, `b [...Bb, K, N]` → `[...broadcast(Ba, Bb), M, N]`.
 */
export function matmul(a: NDArray, b: NDArray, opts: MatmulOptions = {}): NDArray {
  const A = opts.transposeA ? swapLast(a) : a; // [...Ba, M, K]
  const B = opts.transposeB ? swapLast(b) : b; // [...Bb, K, N]
  const [m, k] = A.shape.slice(-2);
  const [k2, n] = B.shape.slice(-2);
  if (k !== k2) throw new Error(`matmul: 'b' has inner dimension ${k2} but 'a' has ${k}`);
  const aBatch = A.shape.slice(0, -2);
  const bBatch = B.shape.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch);
  if (!batch) throw new Error(`matmul: batch shapes [${aBatch}] and [${bBatch}] do not broadcast`);
  const out = zeros([...batch, m, n]); // [..., M, N]
  for (let o = 0; o < sizeOf(batch); o++) {
    const idx = unravel(o, batch);
    const Ao = toFlat(A.pick(...broadcastIndex(idx, aBatch), null, null) as NDArray); // [M, K]
    const Bo = toFlat(B.pick(...broadcastIndex(idx, bBatch), null, null) as NDArray); // [K, N]
    out.data.set(product2d(Ao, Bo, m, k, n), o * m * n);
  }
  return out;
}

/**
 * `y = x·W' + b` with a pre-transposed weight `W' [in, out]`:
 * `y[..., j] = Σ_p x[..., p] · W'[p, j] + b[j]`. `x [..., in]` → `[..., out]`.
 */
export function dense(x: NDArray, weightT: NDArray, bias?: NDArray): NDArray {
  const [inDim, outDim] = weightT.shape;
  const rows = sizeOf(x.shape.slice(0, -1));
  const y = product2d(toFlat(x), toFlat(weightT), rows, inDim, outDim); // [rows, out]
  if (bias) {
    for (let r = 0; r < rows; r++) for (let j = 0; j < outDim; j++) y[r * outDim + j] += bias.get(j);
  }
  const out = zeros([...x.shape.slice(0, -1), outDim]); // [..., out]
  out.data.set(y);
  return out;
}

/**
 * `y = x·Wᵀ + b` with a PyTorch-layout weight `W [out, in]`:
 * `y[..., j] = Σ_p x[..., p] · W[j, p] + b[j]`. `x [..., in]` → `[..., out]`.
 */
export function linear(x: NDArray, weight: NDArray, bias?: NDArray): NDArray {
  return dense(x, weight.transpose(1, 0), bias);
}
