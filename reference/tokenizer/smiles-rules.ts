/**
 * Reference rule-based SMILES legitimacy check (tokenizer spec §1.6), written line by line after
 * the original `check_rings_and_brackets` and `check_brackets`, on code points.
 *
 * @module
 */

/** The element list of the rule check (the periodic table, H..Og). */
export const PERIODIC_ELEMENTS = [
  'H', 'He', 'Li', 'Be', 'B', 'C', 'N', 'O', 'F', 'Ne', 'Na', 'Mg', 'Al', 'Si', 'P', 'S', 'Cl', 'Ar', 'K', 'Ca',
  'Sc', 'Ti', 'V', 'Cr', 'Mn', 'Fe', 'Co', 'Ni', 'Cu', 'Zn', 'Ga', 'Ge', 'As', 'Se', 'Br', 'Kr', 'Rb', 'Sr', 'Y', 'Zr',
  'Nb', 'Mo', 'Tc', 'Ru', 'Rh', 'Pd', 'Ag', 'Cd', 'In', 'Sn', 'Sb', 'Te', 'I', 'Xe', 'Cs', 'Ba', 'La', 'Ce', 'Pr', 'Nd',
  'Pm', 'Sm', 'Eu', 'Gd', 'Tb', 'Dy', 'Ho', 'Er', 'Tm', 'Yb', 'Lu', 'Hf', 'Ta', 'W', 'Re', 'Os', 'Ir', 'Pt', 'Au', 'Hg',
  'Tl', 'Pb', 'Bi', 'Po', 'At', 'Rn', 'Fr', 'Ra', 'Ac', 'Th', 'Pa', 'U', 'Np', 'Pu', 'Am', 'Cm', 'Bk', 'Cf', 'Es', 'Fm',
  'Md', 'No', 'Lr', 'Rf', 'Db', 'Sg', 'Bh', 'Hs', 'Mt', 'Ds', 'Rg', 'Cn', 'Nh', 'Fl', 'Mc', 'Lv', 'Ts', 'Og',
] as const;

const BONDS = ['-', '=', '#', ':', '/', '\\', '.', '$'];
const ORGANIC = ['B', 'C', 'N', 'O', 'P', 'S', 'F', 'Cl', 'Br', 'I'];
const AROMATIC = ['b', 'c', 'n', 'o', 's', 'p'];
const OTHER_ALLOWS = [...BONDS, '[', ']', '(', ')', ';'];
const isDigit = (c: string | undefined): boolean => c !== undefined && /^\p{Nd}$/u.test(c);

/** Number of ASCII letters in `s`. */
export function countAsciiLetters(s: string): number {
  return [...s].filter((c) => /^[A-Za-z]$/.test(c)).length;
}

/** The original `check_rings_and_brackets` then `check_brackets`, on code points. */
export function smilesRuleCheck(candidate: string): boolean {
  const text = Array.from(candidate);
  const rings: Record<string, 'unclosed' | 'closed'> = {};
  let leftSq = 0, rightSq = 0, leftPt = 0, rightPt = 0;
  let allLower = true;
  let digitsCount = 0;
  let pos = 0;
  const toggle = (label: string) => {
    rings[label] = rings[label] === 'unclosed' ? 'closed' : 'unclosed';
  };
  while (pos < text.length) {
    let step = 0;
    const c = text[pos];
    if (c.charCodeAt(0) >= 65 && c.charCodeAt(0) <= 90) allLower = false;
    if ((pos === text.length - 1 || pos === 0) && BONDS.includes(c)) return false;
    if (pos > 0 && BONDS.includes(text[pos - 1]) && BONDS.includes(c)) return false;
    if (c === '[') {
      step = 1;
      leftSq += 1;
      if (leftSq > rightSq + 1) return false;
      if (pos === text.length - 1) return false;
      if (!text.slice(pos + 1).includes(']')) return false;
      // the quirk: up to the first ']' of the whole candidate
      const bracketSpan = text.slice(pos + 1, text.indexOf(']')).join('');
      if (/(?:[A-GI-Z]|[a-z]){3,}/.test(bracketSpan) || /\p{Nd}{4,}/u.test(bracketSpan)) return false;
      if ((bracketSpan.match(/\p{Nd}+/gu) ?? []).length > 2) return false;
    }
    if (c === ']') {
      step = 1;
      rightSq += 1;
      if (rightSq > leftSq) return false;
    }
    if (c === '(') {
      step = 1;
      leftPt += 1;
    }
    if (c === ')') {
      step = 1;
      rightPt += 1;
      if (rightPt > leftPt) return false;
    }
    if (leftSq === rightSq) {
      if (isDigit(c)) {
        digitsCount += 1;
        step = 1;
        if (pos === 0 || (pos === 1 && text[pos - 1] !== '%') || (pos > 1 && text[pos - 1] !== '%' && text[pos - 2] !== '%')) toggle(c);
      }
      if (c === '%') {
        if (pos >= text.length - 2 || !isDigit(text[pos + 1]) || !isDigit(text[pos + 2])) return false;
        step = 3;
        digitsCount += 1;
        toggle(text[pos + 1] + text[pos + 2]);
      }
      if (step === 0) {
        const allowed = [...ORGANIC, ...AROMATIC, ...OTHER_ALLOWS];
        if (pos < text.length - 1 && allowed.includes(text[pos] + text[pos + 1])) step = 2;
        else if (allowed.includes(c)) step = 1;
        else return false;
      }
    }
    if (step === 0) step = 1;
    pos += step;
  }
  if (leftSq !== rightSq || Object.values(rings).includes('unclosed')) return false;
  if (allLower && digitsCount < 2) return false;
  return checkBrackets(candidate);
}

function checkBrackets(text: string): boolean {
  for (const m of text.matchAll(/\[([^[\]]*)\]/gu)) {
    const part = Array.from(m[1]);
    if (part.includes('(') || part.includes(')')) return false;
    if (part.length === 0) return false;
    const elements: readonly string[] = PERIODIC_ELEMENTS;
    if (elements.includes(part[0]) || AROMATIC.includes(part[0]) || elements.includes(part.slice(0, 2).join(''))) return true;
  }
  return true;
}

/** At least five ASCII letters, then the rule check. */
export function smilesLegitimate(candidate: string): boolean {
  return countAsciiLetters(candidate) >= 5 && smilesRuleCheck(candidate);
}
