import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { IncrementalDetokenizer, StopStringMatcher } from '../../src/generation/stop.js';

/** Cut `s` into pieces at the given (sorted, deduplicated) positions. */
function chunks(s: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of [...at, s.length]) { out.push(s.slice(prev, c)); prev = c; }
  return out;
}

/** The expected result, computed directly: text up to the first occurrence of any stop string. */
function oneShot(s: string, stops: string[]): { text: string; stop: string | null } {
  let at = -1;
  let which: string | null = null;
  for (const st of stops) {
    const i = s.indexOf(st);
    if (i >= 0 && (at < 0 || i < at)) [at, which] = [i, st];
  }
  return which === null ? { text: s, stop: null } : { text: s.slice(0, at), stop: which };
}

describe('StopStringMatcher', () => {
  it('any chunking gives the text before the first stop string, and never shows part of one', () => {
    const alpha = fc.constantFrom('a', 'b', 'c', '\n', 'é', '😀');
    fc.assert(fc.property(
      fc.array(alpha, { maxLength: 30 }).map((a) => a.join('')),
      fc.array(fc.array(alpha, { minLength: 1, maxLength: 4 }).map((a) => a.join('')), { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (s, stops, cuts) => {
        const m = new StopStringMatcher(stops);
        let out = '';
        let stop: string | null = null;
        for (const piece of chunks(s, cuts)) {
          const r = m.push(piece);
          out += r.text;
          // What has been shown so far never ends with a (possibly partial) stop string that later completes.
          stop = r.stop;
          if (stop) break;
        }
        if (!stop) out += m.flush();
        const e = oneShot(s, stops);
        expect(stop).toBe(e.stop === null ? null : stop);
        expect(out).toBe(e.text);
        if (e.stop) expect(s.startsWith(out + stop!)).toBe(true);
      },
    ), { numRuns: 300 });
  });

  it('holds back a split stop string, releases it when it does not complete', () => {
    const m = new StopStringMatcher(['</s>', 'STOP']);
    expect(m.push('Hello </')).toEqual({ text: 'Hello ', stop: null });
    expect(m.push('b> ST')).toEqual({ text: '</b> ', stop: null });
    expect(m.flush()).toBe('ST');
    const n = new StopStringMatcher(['STOP']);
    expect(n.push('xxST')).toEqual({ text: 'xx', stop: null });
    expect(n.push('OPyy')).toEqual({ text: '', stop: 'STOP' });
    expect(n.push('more')).toEqual({ text: '', stop: 'STOP' });
    expect(n.flush()).toBe('');
    expect(n.stopped).toBe('STOP');
  });

  it('rejects empty stop strings', () => {
    expect(() => new StopStringMatcher([''])).toThrow(ValueError);
  });
});

describe('IncrementalDetokenizer', () => {
  // A byte-level toy tokenizer: id = one byte; decode = UTF-8 with replacement, as the real one.
  const decode = (ids: readonly number[]) => new TextDecoder().decode(Uint8Array.from(ids));

  it('deltas concatenate to the full decode, and a split UTF-8 character is never shown half', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (s) => {
      const bytes = [...new TextEncoder().encode(s)];
      const d = new IncrementalDetokenizer(decode);
      let out = '';
      for (const b of bytes) {
        const delta = d.push(b);
        expect(delta).not.toContain('\uFFFD');
        out += delta;
      }
      out += d.finish();
      expect(out).toBe(s);
      expect(d.tokens).toEqual(bytes);
    }));
  });

  it('releases a dangling partial character at the end', () => {
    const d = new IncrementalDetokenizer(decode);
    expect(d.push(0x61)).toBe('a');
    expect(d.push(0xe2)).toBe('');
    expect(d.finish()).toBe('\uFFFD');
  });
});
