/**
 * Issue 13, part 3: every layer's `forward` reads like its reference twin. For each paired class
 * (test/support/forward-lines.ts counts the code lines of the bodies of the `forward*` methods in
 * src/ and in reference/), the fast path's body is at most 1.5x the reference's (rounded down) plus
 * two lines: the call that validates the input (typed errors), which the reference, fed only by
 * tests, does not make, and the closing line of the `scope(() => { ... })` that frees the
 * intermediates. A one- or two-line reference body could not otherwise absorb those.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { forwardPairs, forwardsIn } from '../support/forward-lines.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pairs = forwardPairs(root);

/** Allowed code lines of a fast forward whose reference twin has `ref` lines. */
const limit = (ref: number) => Math.floor(1.5 * ref) + 2;

describe('forward length: fast path vs reference twin', () => {
  it('counts code lines only: no blank lines, comments, signature or braces', () => {
    const src = ['class A {', '  forward(x) {', '    // a comment', '', '    const y = f(x); /* inline */', '    /* block', '       comment */', '    return g(', '      y);', '  }', '  other() { return 1; }', '}',
      'class B { forwardEmbeds(e) { return e; } }'].join('\n');
    expect([...forwardsIn(src)]).toEqual([['A.forward', 3], ['B.forwardEmbeds', 1]]);
  });
  it('finds the paired layer classes', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(25);
    const names = pairs.map((p) => p.name);
    for (const n of ['models/qwen3/decoder.ts#Qwen3DecoderLayer.forward', 'models/qwen3/attention.ts#Qwen3Attention.forward', 'nn/norm.ts#RMSNorm.forward']) {
      expect(names).toContain(n);
    }
  });
  for (const p of pairs) {
    it(`${p.name}: ${p.src} lines vs ${p.ref} in the reference (at most ${limit(p.ref)})`, () => {
      expect(p.src).toBeLessThanOrEqual(limit(p.ref));
    });
  }
});
