/**
 * Checkpoint-name helpers both trees use when they load weights: joining a module prefix and a
 * tensor name, and checking a tensor's shape against what the config implies. Pure functions over
 * strings and number arrays, no twin (DESIGN.md): the fast path's loaders (`io/load.ts`) and the
 * reference's model configs import them from here (they were copies before).
 *
 * @module
 */
import { ShapeError } from '../errors.js';
import { fmtShape } from '../util/check-values.js';

/** Join a prefix and a name with a dot (`''` prefix: the name alone). */
export function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/**
 * Throw a ShapeError naming `op` and the tensor unless `shape` (that of checkpoint tensor `name`)
 * equals `want`: `op: 'name' has shape [a, b], expected [c, d]`.
 */
export function checkShape(op: string, name: string, shape: readonly number[], want: readonly number[]): void {
  if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${op}: '${name}' has shape ${fmtShape(shape)}, expected ${fmtShape(want)}`);
  }
}
