/**
 * Reference auto-detection modules (tokenizer spec §1.6): the original regular expressions,
 * ported to JavaScript (the atomic group `(?>unit)` emulated as `(?=(unit))\2`, Python's `\d` as
 * `\p{Nd}`), and the rule check written line by line after the original `check_rings_and_brackets`.
 *
 * @module
 */

import { countAsciiLetters, smilesLegitimate } from './smiles-rules.js';

export { PERIODIC_ELEMENTS, countAsciiLetters, smilesLegitimate, smilesRuleCheck } from './smiles-rules.js';

/** The auto-detection interface: the domain it feeds, its marker pair and its split function. */
export interface Detector {
  /** Name of the domain (sentencepiece model) the detected spans are sent to. */
  readonly domain: string;
  /** The begin / end auto markers (`<SMILES_AUTO_DETECT>`, `</SMILES_AUTO_DETECT>`). */
  readonly markers: readonly [string, string];
  /** Minimum candidate length in code points. */
  readonly minLength: number;
  /** When false, a candidate touching an ASCII letter on either side is rejected. */
  readonly truncation: boolean;
  /** Candidate spans `[start, end)` (UTF-16 indices) in find-all order, before any filtering. */
  candidates(text: string): Array<[number, number]>;
  /** The legitimacy predicate: whether a candidate is accepted. */
  legitimate(candidate: string): boolean;
}

/** The 98 two-letter element symbols of the SMILES candidate pattern. */
export const SMILES_TWO_LETTER_ELEMENTS = [
  'Ac', 'Ag', 'Al', 'Am', 'Ar', 'As', 'At', 'Au', 'Ba', 'Be', 'Bh', 'Bi', 'Bk', 'Br', 'Ca', 'Cd',
  'Ce', 'Cf', 'Cl', 'Cm', 'Cn', 'Co', 'Cr', 'Cs', 'Cu', 'Db', 'Ds', 'Dy', 'Er', 'Es', 'Eu', 'Fe',
  'Fl', 'Fm', 'Fr', 'Ga', 'Gd', 'Ge', 'He', 'Hf', 'Hg', 'Ho', 'Hs', 'In', 'Ir', 'Kr', 'La', 'Li',
  'Lr', 'Lu', 'Lv', 'Mc', 'Md', 'Mg', 'Mn', 'Mo', 'Mt', 'Na', 'Nb', 'Nd', 'Ne', 'Nh', 'Ni', 'No',
  'Np', 'Og', 'Os', 'Pa', 'Pb', 'Pd', 'Pm', 'Po', 'Pr', 'Pt', 'Pu', 'Ra', 'Rb', 'Re', 'Rf', 'Rg',
  'Rh', 'Rn', 'Ru', 'Sb', 'Sc', 'Se', 'Sg', 'Si', 'Sm', 'Sn', 'Sr', 'Ta', 'Tb', 'Tc', 'Te', 'Th',
  'Ti', 'Tl', 'Tm', 'Ts', 'Xe', 'Yb', 'Zn', 'Zr',
] as const;
/** The one-letter element symbols of the SMILES candidate pattern. */
export const SMILES_ONE_LETTER_ELEMENTS = ['B', 'C', 'F', 'H', 'I', 'K', 'N', 'O', 'P', 'S', 'U', 'V', 'W', 'Y', 'b', 'c', 'n', 'o', 'p', 's'] as const;
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

/** Options of {@link smilesDetector}. */
export interface SmilesDetectorOptions {
  /** Minimum candidate length in code points (default 10). */
  minLength?: number;
  /** Marker pair (default `<SMILES_AUTO_DETECT>` / `</SMILES_AUTO_DETECT>`). */
  markers?: readonly [string, string];
  /** Domain fed (default `SMILES`). */
  domain?: string;
  /** Replaces the rule check; it receives candidates that already have ≥ 5 ASCII letters. */
  validator?: (candidate: string) => boolean;
}

/** The SMILES detector (min length 10, no truncation, rule-based legitimacy by default). */
export function smilesDetector(opts: SmilesDetectorOptions = {}): Detector {
  const validator = opts.validator;
  return {
    domain: opts.domain ?? 'SMILES',
    markers: opts.markers ?? ['<SMILES_AUTO_DETECT>', '</SMILES_AUTO_DETECT>'],
    minLength: opts.minLength ?? 10,
    truncation: false,
    candidates: (text) => smilesCandidates(text),
    legitimate: validator ? (c) => countAsciiLetters(c) >= 5 && validator(c) : smilesLegitimate,
  };
}

/** Options of {@link runDetector}. */
export interface RunDetectorOptions {
  /** Name of the domain the detected runs are sent to (e.g. `PROT`). */
  domain: string;
  /** The begin / end auto markers put around a detected run. */
  markers: readonly [string, string];
  /** A run of characters from this class (the body of a `[...]` character class, ASCII). */
  charClass: string;
  /** Minimum run length. */
  minLength: number;
  /** When false, a run touching an ASCII letter on either side is rejected. */
  truncation: boolean;
  /** Accept or reject a run; default: accept all. */
  legitimate?: (candidate: string) => boolean;
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
  return runDetector({
    domain: 'PROT', markers: ['<PROT_AUTO_DETECT>', '</PROT_AUTO_DETECT>'], charClass: 'A-Z', minLength: 27, truncation: true,
    legitimate: (c) => !/^[ATCGU]+$/.test(c),
  });
}

/** Intern-S1-Pro nucleic-acid detector: `([ATCGU]{27,})`, truncation, always accepted. */
export function xnaDetector(): Detector {
  return runDetector({ domain: 'XNA', markers: ['<XNA_AUTO_DETECT>', '</XNA_AUTO_DETECT>'], charClass: 'ATCGU', minLength: 27, truncation: true });
}

/** Intern-S1 FASTA detector: `([A-Z]{27,})`, truncation, always accepted. */
export function fastaDetector(): Detector {
  return runDetector({ domain: 'FASTA', markers: ['<FASTA_AUTO_DETECT>', '</FASTA_AUTO_DETECT>'], charClass: 'A-Z', minLength: 27, truncation: true });
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
