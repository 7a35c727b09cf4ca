/**
 * The data of the auto-detection modules (tokenizer spec §1.6), shared by the fast path and the
 * reference: the {@link Detector} interface, the element lists of the SMILES candidate pattern,
 * the options, and the configuration (domain, markers, character class, minimum length,
 * truncation, legitimacy rule) of the protein, nucleic-acid and FASTA detectors.
 *
 * It computes nothing, so it has no twin (DESIGN.md): the scanners that turn text into
 * candidates (`smilesCandidates`, `runDetector`, `reSplit`) stay twinned in
 * src/tokenizer/detectors.ts and reference/tokenizer/detectors.ts.
 *
 * @module
 */

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
/** The one-letter element symbols of the SMILES candidate pattern (aromatic forms included). */
export const SMILES_ONE_LETTER_ELEMENTS = ['B', 'C', 'F', 'H', 'I', 'K', 'N', 'O', 'P', 'S', 'U', 'V', 'W', 'Y', 'b', 'c', 'n', 'o', 'p', 's'] as const;

/** The SMILES detector's marker pair. */
export const SMILES_MARKERS: readonly [string, string] = ['<SMILES_AUTO_DETECT>', '</SMILES_AUTO_DETECT>'];

/** The length, marker, domain and validator options of `smilesDetector`. */
export interface SmilesDetectorOptions {
  /** Minimum length (code points, and units). Default 10. */
  minLength?: number;
  /** Marker pair. Default `<SMILES_AUTO_DETECT>` / `</SMILES_AUTO_DETECT>`. */
  markers?: readonly [string, string];
  /** Domain fed. Default `SMILES`. */
  domain?: string;
  /**
   * Replaces the rule check (e.g. an RDKit-based validator; give it a length cap, spec §3). It
   * receives candidates that already have ≥ 5 ASCII letters.
   */
  validator?: (candidate: string) => boolean;
}

/** One run detector of the dynamic tokenizer for `runDetector`: character class, length, markers, domain. */
export interface RunDetectorOptions {
  /** Name of the domain the detected runs are sent to (e.g. `PROT`). */
  domain: string;
  /** The begin / end auto markers put around a detected run. */
  markers: readonly [string, string];
  /** A run of characters from this class (the body of a `[...]` character class, ASCII). */
  charClass: string;
  /** Minimum run length. */
  minLength: number;
  /** When false, a run touching an ASCII letter on either side is rejected (see {@link Detector.truncation}). */
  truncation: boolean;
  /** Accept or reject a run; default: accept all. */
  legitimate?: (candidate: string) => boolean;
}

/** Intern-S1-Pro protein detector: `([A-Z]{27,})`, truncation, rejects runs made only of `ATCGU` (left to XNA). */
export const PROTEIN_RUN: RunDetectorOptions = Object.freeze({
  domain: 'PROT', markers: ['<PROT_AUTO_DETECT>', '</PROT_AUTO_DETECT>'] as const, charClass: 'A-Z', minLength: 27, truncation: true,
  legitimate: (c: string) => !/^[ATCGU]+$/.test(c),
});

/** Intern-S1-Pro nucleic-acid detector: `([ATCGU]{27,})`, truncation, always accepted. */
export const XNA_RUN: RunDetectorOptions = Object.freeze({
  domain: 'XNA', markers: ['<XNA_AUTO_DETECT>', '</XNA_AUTO_DETECT>'] as const, charClass: 'ATCGU', minLength: 27, truncation: true,
});

/** Intern-S1 FASTA detector: `([A-Z]{27,})`, truncation, always accepted. */
export const FASTA_RUN: RunDetectorOptions = Object.freeze({
  domain: 'FASTA', markers: ['<FASTA_AUTO_DETECT>', '</FASTA_AUTO_DETECT>'] as const, charClass: 'A-Z', minLength: 27, truncation: true,
});
