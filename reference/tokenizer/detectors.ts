/**
 * Reference auto-detection modules (tokenizer spec §1.6): the original regular expressions,
 * ported to JavaScript (the atomic group `(?>unit)` emulated as `(?=(unit))\2`, Python's `\d` as
 * `\p{Nd}`), and the rule check written line by line after the original `check_rings_and_brackets`.
 *
 * @module
 */

import { countAsciiLetters, smilesLegitimate } from './smiles-rules.js';
import {
  type Detector, type RunDetectorOptions, type SmilesDetectorOptions,
  FASTA_RUN, PROTEIN_RUN, SMILES_MARKERS, SMILES_ONE_LETTER_ELEMENTS, SMILES_TWO_LETTER_ELEMENTS, XNA_RUN,
} from '../../src/tokenizer/detector-rules.js';

export { PERIODIC_ELEMENTS, countAsciiLetters, smilesLegitimate, smilesRuleCheck } from './smiles-rules.js';
// The detectors' data (interface, element lists, options, the run detectors' configuration) is
// shared with the fast path: it computes nothing (DESIGN.md). The scanners below are the twins.
export {
  type Detector, type RunDetectorOptions, type SmilesDetectorOptions, SMILES_ONE_LETTER_ELEMENTS, SMILES_TWO_LETTER_ELEMENTS,
} from '../../src/tokenizer/detector-rules.js';

/** The candidate regex: elements sorted by (length descending, then code point), as the original. */
function smilesRegex(): RegExp {
  const elements = [...SMILES_TWO_LETTER_ELEMENTS, ...SMILES_ONE_LETTER_ELEMENTS].sort((a, b) =>
    b.length - a.length || (a < b ? -1 : a > b ? 1 : 0),
  );
  const bracketAtom = '\\[[^\\]]+\\]';
  const singleChars = '[()\\.=\\-#@\\p{Nd}$%*:+\\/\\\\]';
  const unit = `(?:${bracketAtom}|${elements.join('|')}|${singleChars})`;
  // (?>unit){10,}  →  (?:(?=(unit))\2){10,}   (group 1 is the whole candidate)
  return new RegExp(`((?![:.=])(?:(?=(${unit}))\\2){10,}(?<![:.=]))`, 'gu');
}

/** Find-all SMILES candidate spans, by the regex. */
export function smilesCandidates(text: string, minUnits = 10): Array<[number, number]> {
  if (minUnits !== 10) throw new Error('smilesCandidates: the original pattern has {10,} units');
  return [...text.matchAll(smilesRegex())].map((m) => [m.index!, m.index! + m[1].length] as [number, number]);
}

/** The SMILES detector (min length 10, no truncation, rule-based legitimacy by default). */
export function smilesDetector(opts: SmilesDetectorOptions = {}): Detector {
  const validator = opts.validator;
  return {
    domain: opts.domain ?? 'SMILES',
    markers: opts.markers ?? SMILES_MARKERS,
    minLength: opts.minLength ?? 10,
    truncation: false,
    candidates: (text) => smilesCandidates(text),
    legitimate: validator ? (c) => countAsciiLetters(c) >= 5 && validator(c) : smilesLegitimate,
  };
}

/** A detector for runs of one character class, e.g. `([A-Z]{27,})`. */
export function runDetector(o: RunDetectorOptions): Detector {
  return {
    domain: o.domain,
    markers: o.markers,
    minLength: o.minLength,
    truncation: o.truncation,
    candidates: (text) => [...text.matchAll(new RegExp(`([${o.charClass}]{${o.minLength},})`, 'g'))].map((m) => [m.index!, m.index! + m[1].length] as [number, number]),
    legitimate: o.legitimate ?? (() => true),
  };
}

/** Intern-S1-Pro protein detector: `([A-Z]{27,})`, truncation, rejects runs of only `ATCGU`. */
export function proteinDetector(): Detector {
  return runDetector(PROTEIN_RUN);
}

/** Intern-S1-Pro nucleic-acid detector: `([ATCGU]{27,})`, truncation, always accepted. */
export function xnaDetector(): Detector {
  return runDetector(XNA_RUN);
}

/** Intern-S1 FASTA detector: `([A-Z]{27,})`, truncation, always accepted. */
export function fastaDetector(): Detector {
  return runDetector(FASTA_RUN);
}

/**
 * `re_split`: cut accepted candidates out of each text as `[before, AB, candidate, AE]`. With
 * `skip`, marker elements and elements between a begin and an end marker pass unchanged.
 */
export function reSplit(detector: Detector, texts: readonly string[], skip?: { begins: ReadonlySet<string>; ends: ReadonlySet<string> }): string[] {
  const results: string[] = [];
  const isAsciiLetter = (c: string | undefined) => c !== undefined && /^[A-Za-z]$/.test(c);
  let insideSpan = false;
  for (const text of texts) {
    if (skip && skip.begins.has(text)) {
      insideSpan = true;
      results.push(text);
      continue;
    }
    if (skip && skip.ends.has(text)) {
      insideSpan = false;
      results.push(text);
      continue;
    }
    if (skip && insideSpan) {
      results.push(text);
      continue;
    }
    let current = 0;
    for (const [start, end] of detector.candidates(text)) {
      const candidate = text.slice(start, end);
      if (Array.from(candidate).length < detector.minLength) continue;
      if (!detector.legitimate(candidate)) continue;
      if (!detector.truncation) {
        if (start > 0 && isAsciiLetter(text[start - 1])) continue;
        if (end < text.length && isAsciiLetter(text[end])) continue;
      }
      if (start > current) results.push(text.slice(current, start));
      results.push(detector.markers[0], candidate, detector.markers[1]);
      current = end;
    }
    if (current < text.length) results.push(text.slice(current));
  }
  return results;
}
