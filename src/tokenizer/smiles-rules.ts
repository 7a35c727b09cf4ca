/**
 * The rule-based SMILES legitimacy check of the original tokenizer (tokenizer spec §1.6), used
 * when RDKit is absent and by default here (decision 2), fast path: char-code loops for ASCII
 * candidates, the code-point version otherwise.
 *
 * @module
 */

/** The element list of the rule check (`elements` in the original: the periodic table, H..Og). */
export const PERIODIC_ELEMENTS = [
  'H', 'He', 'Li', 'Be', 'B', 'C', 'N', 'O', 'F', 'Ne', 'Na', 'Mg', 'Al', 'Si', 'P', 'S', 'Cl', 'Ar', 'K', 'Ca',
  'Sc', 'Ti', 'V', 'Cr', 'Mn', 'Fe', 'Co', 'Ni', 'Cu', 'Zn', 'Ga', 'Ge', 'As', 'Se', 'Br', 'Kr', 'Rb', 'Sr', 'Y', 'Zr',
  'Nb', 'Mo', 'Tc', 'Ru', 'Rh', 'Pd', 'Ag', 'Cd', 'In', 'Sn', 'Sb', 'Te', 'I', 'Xe', 'Cs', 'Ba', 'La', 'Ce', 'Pr', 'Nd',
  'Pm', 'Sm', 'Eu', 'Gd', 'Tb', 'Dy', 'Ho', 'Er', 'Tm', 'Yb', 'Lu', 'Hf', 'Ta', 'W', 'Re', 'Os', 'Ir', 'Pt', 'Au', 'Hg',
  'Tl', 'Pb', 'Bi', 'Po', 'At', 'Rn', 'Fr', 'Ra', 'Ac', 'Th', 'Pa', 'U', 'Np', 'Pu', 'Am', 'Cm', 'Bk', 'Cf', 'Es', 'Fm',
  'Md', 'No', 'Lr', 'Rf', 'Db', 'Sg', 'Bh', 'Hs', 'Mt', 'Ds', 'Rg', 'Cn', 'Nh', 'Fl', 'Mc', 'Lv', 'Ts', 'Og',
] as const;

const ND = /^\p{Nd}$/u;

const BONDS = new Set(['-', '=', '#', ':', '/', '\\', '.', '$']);
const ORGANIC = ['B', 'C', 'N', 'O', 'P', 'S', 'F', 'Cl', 'Br', 'I'];
const AROMATIC = new Set(['b', 'c', 'n', 'o', 's', 'p']);
const ALLOWED = new Set([...ORGANIC, ...AROMATIC, ...BONDS, '[', ']', '(', ')', ';']);
const ELEMENTS = new Set<string>(PERIODIC_ELEMENTS);
const BAN_LETTERS = /(?:[A-GI-Z]|[a-z]){3,}/;
const BAN_DIGITS = /\p{Nd}{4,}/u;
const DIGIT_RUN = /\p{Nd}+/gu;
const isDigit = (c: string | undefined): boolean => c !== undefined && ND.test(c);

/** Number of ASCII letters (`char.encode('UTF-8').isalpha()` in the original). */
export function countAsciiLetters(s: string): number {
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (c >= 0x61 && c <= 0x7a) k++;
  }
  return k;
}

function toggle(rings: Map<string, boolean>, label: string): void {
  rings.set(label, !(rings.get(label) ?? false)); // true = unclosed
}

/**
 * The original's `check_rings_and_brackets` + `check_brackets` (spec §1.6), source quirks kept:
 * a `[` looks at the text up to the *first* `]` of the whole candidate; `check_brackets` passes
 * as soon as the first bracket starts with an element. Positions are code points; digits are
 * Unicode decimal digits (Python's `\d` / `isdigit` on the characters that can occur here).
 *
 * @example
 * ```ts
 * import { smilesRuleCheck } from 'intern-s1-ts/internals';
 * smilesRuleCheck('CC(=O)OC1=CC=CC=C1C(=O)O'); // => true
 * smilesRuleCheck('CC(=O)OC1=CC=CC=C2'); // => false  -- rings 1 and 2 unclosed
 * ```
 */
export function smilesRuleCheck(candidate: string): boolean {
  for (let i = 0; i < candidate.length; i++) if (candidate.charCodeAt(i) >= 128) return ruleCheckCodePoints(candidate);
  return ruleCheckAscii(candidate);
}

const BOND_CODES = new Uint8Array(128);
for (const b of BONDS) BOND_CODES[b.charCodeAt(0)] = 1;
const ALLOWED_CODES = new Uint8Array(128);
for (const a of ALLOWED) if (a.length === 1) ALLOWED_CODES[a.charCodeAt(0)] = 1;
const BAN_LETTER_CODES = new Uint8Array(128);
for (let c = 0; c < 128; c++) BAN_LETTER_CODES[c] = /[A-GI-Za-z]/.test(String.fromCharCode(c)) ? 1 : 0;

/** {@link smilesRuleCheck} for an all-ASCII candidate, on char codes (same steps, no allocation). */
const RING_OPEN = new Uint8Array(110); // ring labels: 0-9 single digits, 10 + nn for %nn; 1 = unclosed
const isDig = (c: number): boolean => c >= 48 && c <= 57;

function ruleCheckAscii(t: string): boolean {
  const n = t.length;
  const open = RING_OPEN;
  open.fill(0);
  let lsq = 0, rsq = 0, lpt = 0, rpt = 0, digits = 0;
  let allLower = true;
  const firstClose = t.indexOf(']');
  const lastClose = t.lastIndexOf(']');
  let pos = 0;
  while (pos < n) {
    let step = 0;
    const c = t.charCodeAt(pos);
    if (c >= 65 && c <= 90) allLower = false;
    if ((pos === n - 1 || pos === 0) && BOND_CODES[c]) return false;
    if (pos > 0 && BOND_CODES[t.charCodeAt(pos - 1)] && BOND_CODES[c]) return false;
    if (c === 0x5b) {
      step = 1;
      lsq++;
      if (lsq > rsq + 1 || pos === n - 1 || lastClose <= pos) return false;
      if (firstClose > pos) {
        // span = t[pos+1, firstClose): no 3 letters other than H in a row, no 4 digits in a row, at most 2 digit runs
        let letters = 0, run = 0, runs = 0;
        for (let i = pos + 1; i < firstClose; i++) {
          const x = t.charCodeAt(i);
          letters = BAN_LETTER_CODES[x] ? letters + 1 : 0;
          if (letters >= 3) return false;
          if (isDig(x)) {
            if (run === 0) runs++;
            run++;
            if (run >= 4) return false;
          } else run = 0;
        }
        if (runs > 2) return false;
      }
    }
    if (c === 0x5d) {
      step = 1;
      rsq++;
      if (rsq > lsq) return false;
    }
    if (c === 0x28) {
      step = 1;
      lpt++;
    }
    if (c === 0x29) {
      step = 1;
      rpt++;
      if (rpt > lpt) return false;
    }
    if (lsq === rsq) {
      if (isDig(c)) {
        digits++;
        step = 1;
        if (pos === 0 || (pos === 1 && t.charCodeAt(pos - 1) !== 0x25) || (pos > 1 && t.charCodeAt(pos - 1) !== 0x25 && t.charCodeAt(pos - 2) !== 0x25)) open[c - 48] ^= 1;
      }
      if (c === 0x25) {
        if (pos >= n - 2 || !isDig(t.charCodeAt(pos + 1)) || !isDig(t.charCodeAt(pos + 2))) return false;
        step = 3;
        digits++;
        open[10 + (t.charCodeAt(pos + 1) - 48) * 10 + (t.charCodeAt(pos + 2) - 48)] ^= 1;
      }
      if (step === 0) {
        const d = pos < n - 1 ? t.charCodeAt(pos + 1) : -1;
        if ((c === 0x43 && d === 0x6c) || (c === 0x42 && d === 0x72)) step = 2; // Cl, Br
        else if (ALLOWED_CODES[c]) step = 1;
        else return false;
      }
    }
    pos += step === 0 ? 1 : step;
  }
  if (lsq !== rsq) return false;
  for (let i = 0; i < open.length; i++) if (open[i]) return false;
  if (allLower && digits < 2) return false;
  return checkBrackets(t);
}

/** {@link smilesRuleCheck} on code points (candidates with non-ASCII characters). */
function ruleCheckCodePoints(candidate: string): boolean {
  const t = Array.from(candidate);
  const n = t.length;
  const rings = new Map<string, boolean>();
  let lsq = 0, rsq = 0, lpt = 0, rpt = 0, digits = 0;
  let allLower = true;
  const firstClose = t.indexOf(']');
  const lastClose = t.lastIndexOf(']');
  let pos = 0;
  while (pos < n) {
    let step = 0;
    const c = t[pos];
    if (c >= 'A' && c <= 'Z') allLower = false;
    if ((pos === n - 1 || pos === 0) && BONDS.has(c)) return false;
    if (pos > 0 && BONDS.has(t[pos - 1]) && BONDS.has(c)) return false;
    if (c === '[') {
      step = 1;
      lsq++;
      if (lsq > rsq + 1) return false;
      if (pos === n - 1) return false;
      if (lastClose <= pos) return false;
      const span = firstClose > pos ? t.slice(pos + 1, firstClose).join('') : '';
      if (BAN_LETTERS.test(span) || BAN_DIGITS.test(span)) return false;
      if ((span.match(DIGIT_RUN)?.length ?? 0) > 2) return false;
    }
    if (c === ']') {
      step = 1;
      rsq++;
      if (rsq > lsq) return false;
    }
    if (c === '(') {
      step = 1;
      lpt++;
    }
    if (c === ')') {
      step = 1;
      rpt++;
      if (rpt > lpt) return false;
    }
    if (lsq === rsq) {
      if (isDigit(c)) {
        digits++;
        step = 1;
        if (pos === 0 || (pos === 1 && t[pos - 1] !== '%') || (pos > 1 && t[pos - 1] !== '%' && t[pos - 2] !== '%')) toggle(rings, c);
      }
      if (c === '%') {
        if (pos >= n - 2 || !isDigit(t[pos + 1]) || !isDigit(t[pos + 2])) return false;
        step = 3;
        digits++;
        toggle(rings, t[pos + 1] + t[pos + 2]);
      }
      if (step === 0) {
        if (pos < n - 1 && ALLOWED.has(c + t[pos + 1])) step = 2;
        else if (ALLOWED.has(c)) step = 1;
        else return false;
      }
    }
    pos += step === 0 ? 1 : step;
  }
  if (lsq !== rsq) return false;
  for (const unclosed of rings.values()) if (unclosed) return false;
  if (allLower && digits < 2) return false;
  return checkBrackets(candidate);
}

/** `check_brackets`: every `[...]` (without nested brackets) must be non-empty and free of parentheses, until one starts with an element. */
function checkBrackets(text: string): boolean {
  for (const m of text.matchAll(/\[([^[\]]*)\]/gu)) {
    const part = Array.from(m[1]);
    if (part.includes('(') || part.includes(')')) return false;
    if (part.length === 0) return false;
    if (ELEMENTS.has(part[0]) || AROMATIC.has(part[0]) || ELEMENTS.has(part.slice(0, 2).join(''))) return true;
  }
  return true;
}

/**
 * The SMILES legitimacy predicate used when RDKit is absent (the default, decision 2): at least
 * five ASCII letters, then {@link smilesRuleCheck}.
 */
export function smilesLegitimate(candidate: string): boolean {
  return countAsciiLetters(candidate) >= 5 && smilesRuleCheck(candidate);
}
