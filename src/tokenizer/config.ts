/**
 * Configuration of the dynamic tokenizer (tokenizer spec §1.1, §1.2): a registry of domains
 * (sentencepiece models with their id offsets, explicit tags and auto markers) and detectors,
 * with one preset per checkpoint family.
 *
 * - **Intern-S1-Pro** (`proFlavour`): SMILES / PROT / XNA, offsets read from
 *   `tokenizer_config.json` (`offset_SMILES` …), detectors SMILES → PROT → XNA, later detectors
 *   skip spans found by earlier ones (the behaviour of the hub file shipped with Pro, decision 1).
 * - **Intern-S1 / S1-mini** (`s1Flavour`): SMILES / IUPAC / FASTA, detectors SMILES → FASTA with
 *   no skipping, offsets 151669 / 151929 / 152443 (the constants of transformers' port), or
 *   computed with {@link s1Offsets} from the model sizes (the run-time rule of the original design).
 *
 * @module
 */
import { TokenizerError } from '../errors.js';

/** One domain sub-tokenizer of a flavour: model file, id offset, explicit tags and auto markers. */
export interface DomainConfig {
  /** Domain name, e.g. `SMILES`; also the label reported for its tokens. */
  readonly name: string;
  /** File name of its sentencepiece model inside the tokenizer folder. */
  readonly modelFile: string;
  /** Joint-vocabulary id of its piece 0. */
  readonly offset: number;
  /** Explicit begin tags (they switch only if they are registered added tokens). */
  readonly beginTags: readonly string[];
  /** Explicit end tags, paired with `beginTags`. */
  readonly endTags: readonly string[];
  /** Auto-detection marker pair, if the domain has a detector. Markers never get ids. */
  readonly autoMarkers?: readonly [string, string];
}

/** Which detector to run; see detectors.ts. */
export type DetectorKind = 'smiles' | 'protein' | 'xna' | 'fasta';

/** A complete tokenizer flavour: its domains, its detectors and how detected spans nest. */
export interface FlavourConfig {
  /** The flavour's name (`intern-s1-pro`, `intern-s1`, or a custom one). */
  readonly name: 'intern-s1-pro' | 'intern-s1' | string;
  /** The domain sub-tokenizers, with their offsets and tags. */
  readonly domains: readonly DomainConfig[];
  /** Detectors in the order they run. */
  readonly detectors: readonly DetectorKind[];
  /** Protect tags: content between them is never auto-detected; the tags are BPE'd as text. */
  readonly protectTags: readonly [string, string];
  /** Whether later detectors pass over spans detected by earlier ones (Pro: true; S1: false). */
  readonly skipDetectedSpans: boolean;
}

function offsetOf(cfg: Record<string, unknown>, key: string): number {
  const v = cfg[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new TokenizerError(`tokenizer_config.json: '${key}' must be a non-negative integer, found ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * The Intern-S1-Pro flavour, with offsets from the parsed `tokenizer_config.json`.
 *
 * @example
 * ```ts
 * import { proFlavour } from 'intern-s1-ts';
 * proFlavour({ offset_SMILES: 151694, offset_PROT: 152718, offset_XNA: 153742 }).domains.map((d) => d.offset);
 * // => [151694, 152718, 153742]
 * ```
 */
export function proFlavour(tokenizerConfig: Record<string, unknown>): FlavourConfig {
  return {
    name: 'intern-s1-pro',
    domains: [
      { name: 'SMILES', modelFile: 'tokenizer_SMILES.model', offset: offsetOf(tokenizerConfig, 'offset_SMILES'), beginTags: ['<SMILES>'], endTags: ['</SMILES>'], autoMarkers: ['<SMILES_AUTO_DETECT>', '</SMILES_AUTO_DETECT>'] },
      { name: 'PROT', modelFile: 'tokenizer_PROT.model', offset: offsetOf(tokenizerConfig, 'offset_PROT'), beginTags: ['<protein>'], endTags: ['</protein>'], autoMarkers: ['<PROT_AUTO_DETECT>', '</PROT_AUTO_DETECT>'] },
      { name: 'XNA', modelFile: 'tokenizer_XNA.model', offset: offsetOf(tokenizerConfig, 'offset_XNA'), beginTags: ['<dna>', '<rna>'], endTags: ['</dna>', '</rna>'], autoMarkers: ['<XNA_AUTO_DETECT>', '</XNA_AUTO_DETECT>'] },
    ],
    detectors: ['smiles', 'protein', 'xna'],
    protectTags: ['<MOLFORMULA>', '</MOLFORMULA>'],
    skipDetectedSpans: true,
  };
}

/** The Intern-S1 offsets hard-coded in transformers' port (SMILES 256 pieces, IUPAC 512). */
export const S1_OFFSETS = Object.freeze({
  /** Joint-vocabulary id of piece 0 of the SMILES model. */
  SMILES: 151669,
  /** Joint-vocabulary id of piece 0 of the IUPAC model. */
  IUPAC: 151929,
  /** Joint-vocabulary id of piece 0 of the FASTA model. */
  FASTA: 152443,
});

/**
 * Intern-S1 offsets by the run-time rule of the original design (spec §1.2): a running total of
 * base entries + sentencepiece pieces so far + added tokens so far; each model starts at the
 * running total, then its explicit tags are numbered right after its pieces.
 *
 * @param baseSize entries of vocab.json (151643 for Qwen3)
 * @param addedBefore added tokens before the first model (26 Qwen3 tokens)
 * @param models in order: piece count and number of explicit tags of each model
 *
 * @example
 * ```ts
 * import { s1Offsets } from 'intern-s1-ts/internals';
 * s1Offsets(151643, 26, [{ size: 256, tags: 4 }, { size: 512, tags: 2 }, { size: 1000, tags: 0 }]);
 * // => [151669, 151929, 152443]
 * ```
 */
export function s1Offsets(baseSize: number, addedBefore: number, models: readonly { size: number; tags: number }[]): number[] {
  let running = baseSize + addedBefore;
  return models.map(({ size, tags }) => {
    const offset = running;
    running += size + tags;
    return offset;
  });
}

/**
 * The Intern-S1 / S1-mini flavour. The real files are not available offline (spec §7.1); tests
 * use constructed configurations. `<FASTA>` switches only when the checkpoint registers it as an
 * added token (spec §3).
 */
export function s1Flavour(offsets: { SMILES: number; IUPAC: number; FASTA: number } = S1_OFFSETS): FlavourConfig {
  return {
    name: 'intern-s1',
    domains: [
      { name: 'SMILES', modelFile: 'tokenizer_SMILES.model', offset: offsets.SMILES, beginTags: ['<SMILES>', '<SELFIES>'], endTags: ['</SMILES>', '</SELFIES>'], autoMarkers: ['<SMILES_AUTO_DETECT>', '</SMILES_AUTO_DETECT>'] },
      { name: 'IUPAC', modelFile: 'tokenizer_IUPAC.model', offset: offsets.IUPAC, beginTags: ['<IUPAC>'], endTags: ['</IUPAC>'] },
      { name: 'FASTA', modelFile: 'tokenizer_FASTA.model', offset: offsets.FASTA, beginTags: ['<FASTA>'], endTags: ['</FASTA>'], autoMarkers: ['<FASTA_AUTO_DETECT>', '</FASTA_AUTO_DETECT>'] },
    ],
    detectors: ['smiles', 'fasta'],
    protectTags: ['<MOLFORMULA>', '</MOLFORMULA>'],
    skipDetectedSpans: false,
  };
}

/**
 * Pick the flavour for a parsed `tokenizer_config.json`: Pro when it carries `offset_SMILES`,
 * else Intern-S1 with its constant offsets.
 */
export function detectFlavour(tokenizerConfig: Record<string, unknown>): FlavourConfig {
  return 'offset_SMILES' in tokenizerConfig ? proFlavour(tokenizerConfig) : s1Flavour();
}
