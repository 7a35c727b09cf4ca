/**
 * Fuzz: the config parser (issue #12). The tiny configs of every variant with keys replaced by
 * hostile values (huge, negative, fractional, NaN-like strings, null, arrays, objects, deep
 * nesting) or deleted, at any depth, and random JSON: parseConfig returns a config or throws a
 * ConfigError-like InternS1Error, fast (the size keys are capped by CONFIG_LIMITS before use).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/io/config.js';
import { tinyConfigJson } from '../../src/io/tiny-config.js';
import { outcome, runs } from './support.js';

const bases = (['s1', 'mini', 'pro'] as const).map((v) => tinyConfigJson(v));

const hostile = fc.oneof(
  fc.constantFrom(0, -1, 1, 2, 1e6, 1e9, 1e12, 2 ** 53, 2 ** 31, -(2 ** 31), 0.5, 1e-300, Number.MAX_VALUE, '', '1', 'NaN', null, true, false, [], {}, [1, 2], [0, 0, 0]),
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer(),
  fc.double(),
);

type Json = Record<string, unknown>;

/** All key paths of `o` (objects only). */
function paths(o: Json, prefix: string[] = []): string[][] {
  return Object.entries(o).flatMap(([k, v]) => {
    const p = [...prefix, k];
    return v && typeof v === 'object' && !Array.isArray(v) ? [p, ...paths(v as Json, p)] : [p];
  });
}

function withValue(o: Json, p: string[], v: unknown, del: boolean): Json {
  const c = structuredClone(o);
  let cur = c;
  for (const k of p.slice(0, -1)) cur = cur[k] as Json;
  if (del) delete cur[p[p.length - 1]];
  else cur[p[p.length - 1]] = v;
  return c;
}

describe('fuzz: config parser', () => {
  it('the tiny configs parse', () => {
    for (const b of bases) expect(outcome('tiny config', () => parseConfig(b)).ok).toBe(true);
  });

  it('one to three keys replaced or deleted: a config or an InternS1Error', () => {
    const arb = fc.tuple(fc.nat({ max: bases.length - 1 }), fc.array(fc.tuple(fc.nat(), hostile, fc.boolean()), { minLength: 1, maxLength: 3 }));
    fc.assert(fc.property(arb, ([bi, edits]) => {
      let c = bases[bi];
      for (const [pi, v, del] of edits) {
        const ps = paths(c);
        if (ps.length) c = withValue(c, ps[pi % ps.length], v, del && pi % 5 === 0);
      }
      outcome('mutated config', () => parseConfig(c));
    }), { numRuns: runs(400) });
  });

  it('random JSON values: a config or an InternS1Error', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      outcome('random config', () => parseConfig(v));
    }), { numRuns: runs(200) });
  });
});
