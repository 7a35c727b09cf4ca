/**
 * The fuzz harness (issue #12): every input must give a result or an {@link InternS1Error}, never
 * another exception, never a hang, never a leaked tensor.
 *
 * - Runs are seeded (the global seed of test/support/setup.ts) and bounded; `FUZZ_RUNS` multiplies
 *   them (`npm run fuzz` sets it to 40 and runs only test/fuzz).
 * - A hang cannot be interrupted inside one synchronous call, so each input is timed and one that
 *   takes over {@link PER_INPUT_MS} fails the property (a hang detector, generous on purpose; the
 *   vitest timeout catches a true infinite loop).
 * - `mutate` makes hostile variants of valid files: flipped, overwritten, inserted, deleted and
 *   duplicated bytes, truncation, and length fields set to huge values.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { InternS1Error } from '../../src/errors.js';

/** Runs per property: `base` times FUZZ_RUNS (default 1). */
export function runs(base: number): number {
  const m = Number(process.env.FUZZ_RUNS ?? 1);
  return Math.max(1, Math.round(base * (Number.isFinite(m) && m > 0 ? m : 1)));
}

/** Longest time one input may take before it counts as a hang. */
export const PER_INPUT_MS = 10_000;

/** What {@link outcome} saw. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: InternS1Error };

/**
 * Run `fn` on one input and check the contract: it returns, or throws an InternS1Error; it takes
 * less than {@link PER_INPUT_MS}; `tf.memory().numTensors` is back where it started (`fn` must
 * dispose the tensors it returns). Throws (failing the property) otherwise.
 */
export function outcome(what: string, fn: () => unknown): Outcome {
  const before = tf.memory().numTensors;
  const t0 = performance.now();
  let r: Outcome;
  try {
    r = { ok: true, value: fn() };
  } catch (e) {
    if (!(e instanceof InternS1Error)) {
      throw new Error(`${what}: threw ${(e as Error)?.constructor?.name ?? typeof e} instead of an InternS1Error: ${(e as Error)?.message ?? String(e)}`);
    }
    if (e.message.includes('\n')) throw new Error(`${what}: error message is not one line: ${JSON.stringify(e.message)}`);
    r = { ok: false, error: e };
  }
  const ms = performance.now() - t0;
  if (ms > PER_INPUT_MS) throw new Error(`${what}: took ${ms.toFixed(0)} ms (> ${PER_INPUT_MS} ms: a hang)`);
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${what}: tensor leak (${before} -> ${after})`);
  return r;
}

/** One mutation of a byte string. */
type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'huge'; at: number; width: 2 | 4 | 8 }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'dup'; at: number; count: number }
  | { kind: 'truncate'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x22, 0x5b, 0x7b) }),
  fc.record({ kind: fc.constant('huge' as const), at: fc.nat(), width: fc.constantFrom(2 as const, 4 as const, 8 as const) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function apply(b: Uint8Array, m: Mutation): Uint8Array {
  const n = b.length;
  if (n === 0) return m.kind === 'insert' ? Uint8Array.from(m.bytes) : b;
  const at = m.at % n;
  const out = Array.from(b);
  switch (m.kind) {
    case 'flip': out[at] ^= 1 << m.bit; break;
    case 'set': out[at] = m.value; break;
    case 'huge': for (let i = 0; i < m.width && at + i < n; i++) out[at + i] = i === m.width - 1 ? 0x7f : 0xff; break;
    case 'insert': out.splice(at, 0, ...m.bytes); break;
    case 'delete': out.splice(at, m.count); break;
    case 'dup': out.splice(at, 0, ...out.slice(at, at + m.count)); break;
    case 'truncate': out.length = at; break;
  }
  return Uint8Array.from(out);
}

/** Hostile variants of `valid`: 1 to 4 mutations, or the file unchanged. */
export function mutated(valid: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.array(mutationArb, { minLength: 0, maxLength: 4 }))
    .map(([i, ms]) => ms.reduce(apply, valid[i]));
}

/** Random bytes, optionally starting with `prefix` (a magic number, so the parser gets past it). */
export function randomBytes(prefix: readonly number[] = [], maxLength = 256): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength }).map((b) => Uint8Array.from([...prefix, ...b]));
}
