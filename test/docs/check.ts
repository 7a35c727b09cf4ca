/**
 * The assertion behind the `// =>` and `// ~>` comments of the doc examples
 * (test/docs/examples.test.ts rewrites those lines into calls of {@link checkShown}).
 *
 * Convention, for a line of an `@example` block or of the README's ```ts blocks that holds one
 * whole statement:
 *
 * - `EXPR; // => VALUE`: EXPR equals VALUE, a JavaScript expression (deep equality; NaN equals
 *   NaN). Prose may follow VALUE after two spaces and `--`: `x; // => 3  -- the third`.
 * - `EXPR; // ~> VALUE`: the same, except that each number equals the literal written at its place
 *   in VALUE to the decimals written (`0.731` accepts 0.7305 .. 0.7315).
 * - `console.log(A, B); // => VA, VB`: the logged values, in order (VALUE is a list).
 * - `T.print(); // => VALUE`: the printed tensor's values.
 * - A line holding only `// => VALUE` right under a statement shows that statement's value.
 *
 * Before comparing, tensors (anything with `arraySync`) become nested arrays and typed arrays
 * become arrays. A comment without `=>` / `~>` is prose and checks nothing.
 *
 * @module
 */
import { expect } from 'vitest';

/** Tensors to nested arrays, typed arrays to arrays, recursively through arrays and plain objects. */
export function normalise(v: unknown): unknown {
  if (v !== null && typeof v === 'object') {
    if (typeof (v as { arraySync?: unknown }).arraySync === 'function') return (v as { arraySync(): unknown }).arraySync();
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
    if (Array.isArray(v)) return v.map(normalise);
    if (Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  }
  return v;
}

/** Decimals written in each number literal of `source`, in order (an exponent makes the tolerance relative to it). */
export function literalTolerances(source: string): number[] {
  const out: number[] = [];
  for (const m of source.matchAll(/(?<![\w.])(?:(Infinity|NaN)|\d+(?:\.(\d*))?(?:e([+-]?\d+))?)/gi)) {
    if (m[1]) {
      out.push(0);
      continue;
    }
    const decimals = m[2]?.length ?? 0;
    const exp = m[3] ? Number(m[3]) : 0;
    out.push(0.5 * 10 ** (exp - decimals));
  }
  return out;
}

function flatNumbers(v: unknown, out: number[] = []): number[] {
  if (typeof v === 'number') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => flatNumbers(x, out));
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => flatNumbers(x, out));
  return out;
}

/** Replace the numbers of `v` by markers so that two values can be compared on their structure only. */
function shape(v: unknown): unknown {
  if (typeof v === 'number') return '#';
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return v;
}

/**
 * Assert that `actual` is what the example's comment shows. `approx`: numbers to the decimals of
 * the literals of `source` (the VALUE text); `where`: `file:line` for the message.
 */
export function checkShown(actual: unknown, expected: unknown, approx: boolean, source: string, where: string): void {
  const a = normalise(actual);
  const e = normalise(expected);
  if (!approx) {
    expect(a, `${where}: the example shows ${source}`).toEqual(e);
    return;
  }
  expect(shape(a), `${where}: the example shows ${source}`).toEqual(shape(e));
  const an = flatNumbers(a);
  const en = flatNumbers(e);
  const tol = literalTolerances(source);
  expect(tol.length, `${where}: every number of ${source} must be a literal`).toBe(en.length);
  en.forEach((x, i) => {
    const ok = Number.isNaN(x) ? Number.isNaN(an[i]) : !Number.isFinite(x) ? an[i] === x : Math.abs(an[i] - x) <= tol[i] * (1 + 1e-9);
    expect(ok, `${where}: the example shows ${source}; number ${i} is ${an[i]}, not ${x} to the decimals shown`).toBe(true);
  });
}
