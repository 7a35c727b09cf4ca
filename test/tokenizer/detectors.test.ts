/**
 * Auto-detectors: the fast linear SMILES scanner vs the reference regex (with the atomic-group
 * emulation), `reSplit`, the spec §1.6 / §3 cases, and long adversarial inputs. The SMILES rule
 * check has its own file (smiles-rules.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/tokenizer/detectors.js';
import * as fast from '../../src/tokenizer/detectors.js';
import { dnaArb, mixedArb, proteinArb, smilesAlphabet, smilesArb, textArb } from './support.js';
import { runs } from '../support/runs.js';

// without '[' the fast scanner first finds zones with a regex; make sure that path is exercised
const noBracket = fc.string({ unit: fc.constantFrom(...'CcNnOoSsPBrlFaAgZnu()=.:-#@$%*+/\\12٣ Hx'), maxLength: 60 });
const anyText = fc.oneof(textArb, smilesArb, mixedArb, smilesAlphabet, proteinArb, dnaArb, noBracket, smilesArb.map((s) => s.replace(/[[\]]/g, '')));

describe('SMILES candidates', () => {
  it('follow the atomic-group semantics of the original pattern (spec §1.6)', () => {
    for (const impl of [fast, ref]) {
      expect(impl.smilesCandidates('CCCCCCCCSc')).toEqual([]); // 'Sc' is one unit: only 9
      expect(impl.smilesCandidates('CCCCCCCCSC')).toEqual([[0, 10]]);
      expect(impl.smilesCandidates('CCCCC٣CCCCC')).toEqual([[0, 11]]); // \d is any Nd digit
      expect(impl.smilesCandidates('abc[C@@H]CCCCCCCCCxyz')).toEqual([[1, 18]]); // starts mid-word on 'b'
      expect(impl.smilesCandidates('=CCCCCCCCCC=')).toEqual([[1, 11]]); // no leading / trailing ':.='
      expect(impl.smilesCandidates('CCCCCCCCC' + '='.repeat(20))).toEqual([]);
      expect(impl.smilesCandidates('[]CCCCCCCCCC')).toEqual([[2, 12]]);
      expect(impl.smilesCandidates('Describe C1=CC=C(C=C1)C=O')).toEqual([[9, 25]]);
    }
  });

  it('fast (linear scan) == reference (regex) on random text', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        expect(fast.smilesCandidates(s)).toEqual(ref.smilesCandidates(s));
      }),
      { numRuns: runs(1500) },
    );
  });

  it('stays linear on adversarial inputs of 1 MB (no quadratic rescans, no stack overflow)', () => {
    const n = 1 << 20;
    const cases = [
      'C'.repeat(n),
      'CCCCCCCCC' + '='.repeat(n),
      '['.repeat(n / 2) + 'C]' + '='.repeat(n / 2),
      'C='.repeat(n / 2),
      'The quick brown fox. '.repeat(n / 21),
    ];
    for (const s of cases) {
      const c = fast.smilesCandidates(s);
      expect(c.every(([a, b]) => a < b && b <= s.length)).toBe(true);
    }
    expect(fast.smilesCandidates('C'.repeat(n))).toEqual([[0, n]]);
  });
});

describe('reSplit', () => {
  const proSkip = { begins: new Set(['<SMILES_AUTO_DETECT>', '<PROT_AUTO_DETECT>', '<XNA_AUTO_DETECT>']), ends: new Set(['</SMILES_AUTO_DETECT>', '</PROT_AUTO_DETECT>', '</XNA_AUTO_DETECT>']) };
  const chain = (impl: typeof fast, s: string, skip = true): string[] => {
    let list = [s];
    for (const d of [impl.smilesDetector(), impl.proteinDetector(), impl.xnaDetector()]) list = impl.reSplit(d, list, skip ? proSkip : undefined);
    return list;
  };

  it('cuts out accepted candidates (spec §1.6 and §3)', () => {
    for (const impl of [fast, ref]) {
      expect(chain(impl, 'Describe C1=CC=C(C=C1)C=O')).toEqual(['Describe ', '<SMILES_AUTO_DETECT>', 'C1=CC=C(C=C1)C=O', '</SMILES_AUTO_DETECT>']);
      expect(chain(impl, 'xCCCCCCCCCC')).toEqual(['xCCCCCCCCCC']); // touches an ASCII letter
      expect(chain(impl, 'éCCCCCCCCCC')).toEqual(['é', '<SMILES_AUTO_DETECT>', 'CCCCCCCCCC', '</SMILES_AUTO_DETECT>']); // non-ASCII letters do not block
      expect(chain(impl, 'abc[C@@H]CCCCCCCCCxyz')).toEqual(['abc[C@@H]CCCCCCCCCxyz']);
      expect(chain(impl, 'THISISANUPPERCASESENTENCEWITHOUTSPACES')).toEqual(['<PROT_AUTO_DETECT>', 'THISISANUPPERCASESENTENCEWITHOUTSPACES', '</PROT_AUTO_DETECT>']);
      const dna = 'ATGCGTACGTTAGCATGCATGCATGCATGCAA';
      expect(chain(impl, `DNA ${dna}.`)).toEqual(['DNA ', '<XNA_AUTO_DETECT>', dna, '</XNA_AUTO_DETECT>', '.']);
      expect(chain(impl, '')).toEqual([]);
      // Pro: PROT does not look inside a SMILES span (30 capitals are a SMILES candidate first)
      expect(chain(impl, 'C'.repeat(30))).toEqual(['<SMILES_AUTO_DETECT>', 'C'.repeat(30), '</SMILES_AUTO_DETECT>']);
      // S1 (no skipping): the FASTA-like detector nests inside the SMILES span
      let s1 = [`${'C'.repeat(30)}`];
      for (const d of [impl.smilesDetector(), impl.fastaDetector()]) s1 = impl.reSplit(d, s1);
      expect(s1).toEqual(['<SMILES_AUTO_DETECT>', '<FASTA_AUTO_DETECT>', 'C'.repeat(30), '</FASTA_AUTO_DETECT>', '</SMILES_AUTO_DETECT>']);
    }
  });

  it('a rejected run is consumed: no sub-run of it is retried', () => {
    for (const impl of [fast, ref]) expect(chain(impl, 'CCCCCCCCCCCCC1 ok')).toEqual(['CCCCCCCCCCCCC1 ok']);
  });

  it('a validator option replaces the rule check (the RDKit hook)', () => {
    const none = fast.smilesDetector({ validator: () => false });
    expect(fast.reSplit(none, ['Describe C1=CC=C(C=C1)C=O'])).toEqual(['Describe C1=CC=C(C=C1)C=O']);
    const seen: string[] = [];
    const all = ref.smilesDetector({ validator: (c) => (seen.push(c), true) });
    expect(ref.reSplit(all, ['x CC(C)(C)(C)CCCC y'])).toEqual(['x ', '<SMILES_AUTO_DETECT>', 'CC(C)(C)(C)CCCC', '</SMILES_AUTO_DETECT>', ' y']);
    expect(seen).toEqual(['CC(C)(C)(C)CCCC']);
  });

  it('fast == reference through the Pro chain (skipping) and the S1 chain (nesting)', () => {
    fc.assert(
      fc.property(fc.array(anyText, { maxLength: 4 }), (texts) => {
        let a = texts;
        let b = texts;
        for (const k of ['smilesDetector', 'proteinDetector', 'xnaDetector'] as const) {
          a = fast.reSplit(fast[k](), a, proSkip);
          b = ref.reSplit(ref[k](), b, proSkip);
        }
        expect(a).toEqual(b);
        let c = texts;
        let d = texts;
        for (const k of ['smilesDetector', 'fastaDetector'] as const) {
          c = fast.reSplit(fast[k](), c);
          d = ref.reSplit(ref[k](), d);
        }
        expect(c).toEqual(d);
      }),
      { numRuns: runs(500) },
    );
  });
});
