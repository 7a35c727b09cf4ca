/** Leak checks: `tf.memory().numTensors` must return to its starting value (DESIGN.md, 8). */
import * as tf from '@tensorflow/tfjs';

/** Run `fn` and assert no tensor outlives it. `fn` must dispose what it returns. */
export async function expectNoLeak(fn: () => unknown | Promise<unknown>, what = ''): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new Error(`${what ? what + ': ' : ''}tensor leak: ${after - before} tensors (${before} -> ${after})`);
  }
}

/** Assert that `fn` throws an error of class `cls` (message matching `msg`) and leaks nothing. */
export async function expectThrowsNoLeak(
  fn: () => unknown | Promise<unknown>,
  cls: new (...a: never[]) => Error,
  msg?: RegExp,
): Promise<void> {
  const before = tf.memory().numTensors;
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error(`expected ${cls.name}${msg ? ` matching ${msg}` : ''}, nothing was thrown`);
  if (!(thrown instanceof cls)) {
    throw new Error(`expected ${cls.name}, got ${(thrown as Error)?.constructor?.name}: ${(thrown as Error)?.message}`);
  }
  if (msg && !msg.test((thrown as Error).message)) {
    throw new Error(`${cls.name} message ${JSON.stringify((thrown as Error).message)} does not match ${msg}`);
  }
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`tensor leak after ${cls.name}: ${after - before} tensors`);
}
