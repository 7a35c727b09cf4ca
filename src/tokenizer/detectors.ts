/**
 * Auto-detection modules of the dynamic tokenizer (tokenizer spec §1.6), fast path.
 *
 * A detector scans a text with find-all semantics for candidates, keeps those that are long
 * enough, legitimate and (unless `truncation`) not touching an ASCII letter, and cuts each out as
 * `[before, AB, candidate, AE]`. After a match the scan resumes at the match end even when the
 * match is rejected.
 *
 * The SMILES candidate pattern of the original is
 * `(?![:.=])(?>unit){10,}(?<![:.=])` with `unit = \[[^\]]+\] | <element> | [()\.=\-#@\d$%*:+\-/\\]`
 * (atomic units, leftmost-first alternatives, two-letter elements first). Instead of running that
 * regex (the reference does, with the atomic group emulated as `(?=(unit))\1`), the fast path
 * computes it in linear time: because units are atomic, the units from a position form one
 * deterministic chain, and the regex matches at p iff p is not `:`/`.`/`=` and the chain from p
 * has, among its ends not preceded by `:`/`.`/`=`, one at ≥ 10 units; the match ends at the
 * farthest such end. One right-to-left pass over the text gives that for every p.
 *
 * @module
 */

import { smilesScanStats } from './scan-stats.js';
import { countAsciiLetters, smilesLegitimate } from './smiles-rules.js';
import {
  type Detector, type RunDetectorOptions, type SmilesDetectorOptions,
  FASTA_RUN, PROTEIN_RUN, SMILES_MARKERS, SMILES_ONE_LETTER_ELEMENTS, SMILES_TWO_LETTER_ELEMENTS, XNA_RUN,
} from './detector-rules.js';

export { PERIODIC_ELEMENTS, countAsciiLetters, smilesLegitimate, smilesRuleCheck } from './smiles-rules.js';
export {
  type Detector, type RunDetectorOptions, type SmilesDetectorOptions, SMILES_ONE_LETTER_ELEMENTS, SMILES_TWO_LETTER_ELEMENTS,
} from './detector-rules.js';

// ---- SMILES candidate scanner -----------------------------------------------------------------

const TWO = new Uint8Array(128 * 128);
for (const e of SMILES_TWO_LETTER_ELEMENTS) TWO[(e.charCodeAt(0) << 7) | e.charCodeAt(1)] = 1;
/** ASCII characters that are a one-character unit: one-letter elements, digits, `()\.=-#@$%*:+/\`. */
const ONE = new Uint8Array(128);
for (const c of SMILES_ONE_LETTER_ELEMENTS) ONE[c.charCodeAt(0)] = 1;
for (const c of '().=-#@$%*:+/\\0123456789') ONE[c.charCodeAt(0)] = 1;
const isBadEnd = (c: number): boolean => c === 0x3a || c === 0x2e || c === 0x3d; // : . =
const ND = /^\p{Nd}$/u;

/**
 * Scratch buffers of {@link scanCandidates}, indexed relative to the scanned range. Ranges up to
 * {@link SCRATCH_KEEP} units reuse these (grown geometrically); longer ones get their own arrays,
 * dropped after the call, so a huge text neither keeps memory alive nor reallocates per zone
 * (reallocating per zone to the absolute end index made the scan quadratic, issue #12 item 8).
 */
const SCRATCH_KEEP = 1 << 16;
let farBuf = new Int32Array(256);
let cntBuf = new Int32Array(256);

/** Length (UTF-16 units) of the atomic SMILES unit starting at i, or 0. `close` = index of the first `]` at or after i+1, or -1. */
function unitLength(s: string, i: number, close: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x5b) return close > i + 1 ? close + 1 - i : 0; // [ non-empty content ]
  if (c < 128) {
    if (i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d < 128 && TWO[(c << 7) | d]) return 2;
    }
    return ONE[c];
  }
  if (c >= 0xdc00 && c <= 0xdfff) return 0; // never start inside a surrogate pair
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return ND.test(s.slice(i, i + 2)) ? 2 : 0;
    return 0;
  }
  return ND.test(s[i]) ? 1 : 0;
}

/**
 * Find-all SMILES candidate spans `[start, end)` with the semantics of the original regex
 * `((?![:.=])(?>unit){10,}(?<![:.=]))`, in one linear pass (see the module comment).
 */
export function smilesCandidates(s: string, minUnits = 10): Array<[number, number]> {
  if (s.indexOf('[') >= 0 || minUnits < 10) return scanCandidates(s, 0, s.length, minUnits);
  // Without brackets every unit is one or two characters, and every chain of units is a run of
  // ZONE tokens (an upper-case letter followed by a lower-case one, or a one-character unit), at
  // most two units per token: a chain of 10 units lies inside a ZONE match of ≥ 5 tokens. Matches
  // cannot start outside such zones or cross their ends, so scanning only the zones gives the
  // same find-all result.
  const out: Array<[number, number]> = [];
  ZONE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ZONE.exec(s)) !== null) {
    for (const c of scanCandidates(s, m.index, m.index + m[0].length, minUnits)) out.push(c);
  }
  return out;
}

const ZONE = /(?:[A-Z][a-z]|[()\.=\-#@$%*:+\/\\BCFHIKNOPSUVWYbcnops]|\p{Nd}){5,}/gu;

/** The linear scan over `s[from, to)` (positions are indices into `s`). */
function scanCandidates(s: string, from: number, to: number, minUnits: number): Array<[number, number]> {
  const n = to;
  const m = to - from + 1;
  let far = farBuf;
  let cnt = cntBuf;
  if (m > SCRATCH_KEEP) {
    far = new Int32Array(m);
    cnt = new Int32Array(m);
    smilesScanStats.scratchAllocated += 2 * m;
  } else if (farBuf.length < m) {
    const size = Math.min(SCRATCH_KEEP, Math.max(m, farBuf.length * 2));
    far = farBuf = new Int32Array(size);
    cnt = cntBuf = new Int32Array(size);
    smilesScanStats.scratchAllocated += 2 * size;
  }
  // Right to left: the first `]` at or after each position, unit lengths, and the chain DP.
  // far[i - from] / cnt[i - from]: end and unit count of the longest chain starting at i.
  let close = -1;
  far[n - from] = -1;
  let any = false;
  for (let i = n - 1; i >= from; i--) {
    const c = s.charCodeAt(i);
    const L = unitLength(s, i, c === 0x5b ? close : -1);
    if (c === 0x5d) close = i;
    const k = i - from;
    if (L === 0 || i + L > n) {
      far[k] = -1;
      continue;
    }
    const j = i + L;
    if (j < n && far[j - from] >= 0) {
      far[k] = far[j - from];
      cnt[k] = cnt[j - from] + 1;
    } else if (!isBadEnd(s.charCodeAt(j - 1))) {
      far[k] = j;
      cnt[k] = 1;
    } else {
      far[k] = -1;
      continue;
    }
    if (cnt[k] >= minUnits) any = true;
  }
  const out: Array<[number, number]> = [];
  if (!any) return out;
  let p = from;
  while (p < n) {
    if (far[p - from] >= 0 && cnt[p - from] >= minUnits && !isBadEnd(s.charCodeAt(p))) {
      out.push([p, far[p - from]]);
      p = far[p - from];
    } else {
      const c = s.charCodeAt(p);
      p += c >= 0xd800 && c <= 0xdbff && p + 1 < n && (s.charCodeAt(p + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    }
  }
  return out;
}

// ---- detectors --------------------------------------------------------------------------------

/**
 * The SMILES detector (min length 10, `truncation` false, rule-based legitimacy by default).
 *
 * @example
 * ```ts
 * import { smilesDetector, reSplit } from 'intern-s1-ts/internals';
 * reSplit(smilesDetector(), ['Describe C1=CC=C(C=C1)C=O']);
 * // => ['Describe ', '<SMILES_AUTO_DETECT>', 'C1=CC=C(C=C1)C=O', '</SMILES_AUTO_DETECT>']
 * ```
 */
export function smilesDetector(opts: SmilesDetectorOptions = {}): Detector {
  const minLength = opts.minLength ?? 10;
  const validator = opts.validator;
  return {
    domain: opts.domain ?? 'SMILES',
    markers: opts.markers ?? SMILES_MARKERS,
    minLength,
    truncation: false,
    candidates: (text) => smilesCandidates(text, 10),
    legitimate: validator ? (c) => countAsciiLetters(c) >= 5 && validator(c) : smilesLegitimate,
  };
}

/** A detector for runs of one character class, e.g. `([A-Z]{27,})`. */
export function runDetector(o: RunDetectorOptions): Detector {
  const re = new RegExp(`[${o.charClass}]{${o.minLength},}`, 'g');
  return {
    domain: o.domain,
    markers: o.markers,
    minLength: o.minLength,
    truncation: o.truncation,
    candidates(text) {
      const out: Array<[number, number]> = [];
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) out.push([m.index, m.index + m[0].length]);
      return out;
    },
    legitimate: o.legitimate ?? (() => true),
  };
}

/** Intern-S1-Pro protein detector: `([A-Z]{27,})`, truncation, rejects runs made only of `ATCGU` (left to XNA). */
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

const isAsciiLetter = (c: number): boolean => ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);

function codePointLength(s: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if ((s.charCodeAt(i) & 0xfc00) !== 0xdc00) n++;
  return n;
}

/**
 * `re_split` (spec §1.6): split every text of `texts` on the accepted candidates of `detector`.
 * With `skip` (Intern-S1-Pro), elements that are auto markers, and elements between a begin and
 * an end marker, pass through unchanged; without it (Intern-S1) every element is scanned.
 * Empty texts disappear, as in the original.
 */
export function reSplit(detector: Detector, texts: readonly string[], skip?: { begins: ReadonlySet<string>; ends: ReadonlySet<string> }): string[] {
  const out: string[] = [];
  const [ab, ae] = detector.markers;
  let inside = false;
  for (const text of texts) {
    if (skip) {
      if (skip.begins.has(text)) {
        inside = true;
        out.push(text);
        continue;
      }
      if (skip.ends.has(text)) {
        inside = false;
        out.push(text);
        continue;
      }
      if (inside) {
        out.push(text);
        continue;
      }
    }
    let cur = 0;
    for (const [s, e] of detector.candidates(text)) {
      if (e - s < detector.minLength || codePointLength(text, s, e) < detector.minLength) continue;
      const cand = text.slice(s, e);
      if (!detector.legitimate(cand)) continue;
      if (!detector.truncation) {
        if (s > 0 && isAsciiLetter(text.charCodeAt(s - 1))) continue;
        if (e < text.length && isAsciiLetter(text.charCodeAt(e))) continue;
      }
      if (s > cur) out.push(text.slice(cur, s));
      out.push(ab, cand, ae);
      cur = e;
    }
    if (cur < text.length) out.push(cur === 0 ? text : text.slice(cur));
  }
  return out;
}
