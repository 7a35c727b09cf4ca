/**
 * The rule-based SMILES legitimacy check (tokenizer spec §1.6; the first two tests moved here from
 * detectors.test.ts): each rule on its own, the source quirks the spec says to reproduce (a
 * bracket's span ends at the first `]` of the whole candidate; `check_brackets` passes as soon as
 * the first bracket starts with an element; a digit two places after `%` is not a ring label),
 * Unicode digits (the code-point path), the five-letter gate of smilesLegitimate, and fast
 * (char codes for ASCII) == reference (line by line after the original) on random candidates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/tokenizer/smiles-rules.js';
import * as fast from '../../src/tokenizer/smiles-rules.js';
import { smilesAlphabet, smilesArb } from './support.js';
import { runs } from '../support/runs.js';

/** Assert `smilesRuleCheck(s) === want` in both paths, naming the case. */
function check(cases: [string, boolean][]): void {
  for (const impl of [fast, ref]) for (const [s, want] of cases) expect(impl.smilesRuleCheck(s), `${s}`).toBe(want);
}

describe('SMILES rule check', () => {
  it('accepts valid SMILES and rejects the spec cases', () => {
    for (const impl of [fast, ref]) {
      expect(impl.smilesRuleCheck('CC(=O)OC1=CC=CC=C1C(=O)O')).toBe(true);
      expect(impl.smilesRuleCheck('C1=CC=C(C=C1)C=O')).toBe(true);
      expect(impl.smilesRuleCheck('(CC1=CC=CC=C1)')).toBe(true); // accepted by the rules, rejected by RDKit (spec §1.6)
      expect(impl.smilesRuleCheck('C1CC')).toBe(false); // ring 1 unclosed
      expect(impl.smilesRuleCheck('=CC')).toBe(false); // bond first
      expect(impl.smilesRuleCheck('C==C')).toBe(false); // two bonds in a row
      expect(impl.smilesRuleCheck('CC)C')).toBe(false); // unmatched ')'
      expect(impl.smilesRuleCheck('C[Fe++]C%12CC%12')).toBe(true);
      expect(impl.smilesRuleCheck('C%1')).toBe(false); // % needs two digits
      expect(impl.smilesRuleCheck('C[abcd]CCC')).toBe(false); // 3+ letters other than H in a bracket
      expect(impl.smilesRuleCheck('C[NH3+]C[abcd]C')).toBe(true); // quirk: a later bracket's span ends at the first ']', so it is empty
      expect(impl.smilesRuleCheck('C[C]C[abcd]')).toBe(true);
      expect(impl.smilesRuleCheck('C[]C')).toBe(false); // empty bracket
      expect(impl.smilesRuleCheck('cccccc')).toBe(false); // all lower case and fewer than two digits
      expect(impl.smilesRuleCheck('c1ccccc1')).toBe(true);
      expect(impl.smilesRuleCheck('CCXC')).toBe(false); // X is not an organic-subset atom
    }
  });

  it('fast == reference on random candidates and strings', () => {
    fc.assert(
      fc.property(fc.oneof(smilesArb, smilesAlphabet), (s) => {
        expect(fast.smilesRuleCheck(s)).toBe(ref.smilesRuleCheck(s));
        expect(fast.smilesLegitimate(s)).toBe(ref.smilesLegitimate(s));
      }),
      { numRuns: runs(1500) },
    );
  });
});

describe('SMILES rule check: each rule of spec §1.6', () => {
  it('bonds (- = # : / \\ . $): not first, not last, never two in a row', () => {
    check([['C$C', true], ['C.C', true], ['C\\C', true], ['$CC', false], ['CC$', false], ['CC.', false], ['C$=C', false], ['C:/C', false]]);
  });

  it('brackets: no nesting, not last, a later ] needed, no unmatched ]; parentheses: no unmatched )', () => {
    check([['C[[C]]C', false], ['CC[', false], ['C[CC', false], ['C]C', false], ['C(C', true], ['C(C))', false]]);
  });

  it('bracket spans: no 3 letters in a row other than H, no 4 digits in a row, at most two digit runs', () => {
    check([
      ['C[NaCl]C', false], ['C[CHHH]C', true], ['C[NaH]C', true],
      ['C[1234C]C', false], ['C[123C]C', true], ['C[1C2C3]C', false], ['C[13CH3]C', true],
    ]);
  });

  it('outside brackets: organic-subset atoms, aromatic atoms, Cl / Br as one token, nothing else', () => {
    check([['CCl', true], ['CBr', true], ['CSc', true], ['CCu', false], ['CBa', false], ['CZn', false], ['C[Zn]C', true], ['CéC', false], ['C C', false]]);
  });

  it('rings: a digit toggles its label, %nn a two-digit label; an open label fails', () => {
    check([['C1CC1', true], ['C1CC2', false], ['C%12CC%12', true], ['C%12CC%21', false], ['C1C%11CC1', false]]);
  });

  it('Unicode decimal digits are ring labels (the code-point path)', () => {
    check([['C٣CC٣', true], ['C٣CC', false], ['c٣cc٣', true], ['C[٣٣٣٣C]C', false]]);
  });

  it('no upper-case letter needs at least two digits', () => {
    check([['cccccc', false], ['cc1cc1', true], ['c%12cc%12', true], ['CCCC', true]]);
  });
});

describe('SMILES rule check: the source quirks of spec §1.6', () => {
  it('every bracket looks only up to the first ] of the whole candidate', () => {
    check([['C[NH3+]C[abcd]C', true], ['C[abcd]C[NH3+]C', false]]);
  });

  it('check_brackets passes as soon as a bracket starts with an element; until then an empty or parenthesised one fails', () => {
    check([['C[C]C[]C', true], ['C[]C[C]C', false], ['C[N]C[N(C)]C', true], ['C[N(C)]C[N]C', false], ['C[13C]C[]C', false]]);
  });

  it('a digit with % one or two places before it is not a ring label (even across a bracket)', () => {
    check([['C[C%]1CC1', false], ['C[CH]1CC1', true], ['C[C%]1C', true]]);
  });
});

describe('smilesLegitimate and countAsciiLetters', () => {
  it('counts ASCII letters only; the predicate needs five of them before the rule check', () => {
    for (const impl of [fast, ref]) {
      expect([impl.countAsciiLetters('CCc1'), impl.countAsciiLetters('éCl٣'), impl.countAsciiLetters('')]).toEqual([3, 2, 0]);
      expect(impl.smilesRuleCheck('C1CC1')).toBe(true);
      expect(impl.smilesLegitimate('C1CC1')).toBe(false); // 3 letters
      expect(impl.smilesLegitimate('C1CCCC1')).toBe(true); // 5 letters
      expect(impl.smilesLegitimate('CCCCC=')).toBe(false); // 5 letters, a bond last
    }
  });

  it('countAsciiLetters: fast == reference on any string; the element list is the periodic table H..Og', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
      expect(fast.countAsciiLetters(s)).toBe(ref.countAsciiLetters(s));
    }), { numRuns: runs(200) });
    expect(fast.PERIODIC_ELEMENTS).toHaveLength(118);
    expect([fast.PERIODIC_ELEMENTS[0], fast.PERIODIC_ELEMENTS[5], fast.PERIODIC_ELEMENTS[117]]).toEqual(['H', 'C', 'Og']);
    expect(fast.PERIODIC_ELEMENTS).toEqual(ref.PERIODIC_ELEMENTS);
  });

  it('fast == reference on bracket-heavy and non-ASCII candidates (both fast paths)', () => {
    const unit = fc.constantFrom(...'CcN[]()%1234٣H=éa');
    fc.assert(fc.property(fc.oneof(fc.string({ unit, maxLength: 24 }), smilesArb.map((s) => s + '٣٣')), (s) => {
      expect(fast.smilesRuleCheck(s)).toBe(ref.smilesRuleCheck(s));
    }), { numRuns: runs(1000) });
  });
});
